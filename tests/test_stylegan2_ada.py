"""ganzoo's stylegan networks compute what NVlabs/stylegan2-ada-pytorch computes: outputs of
the official code (../shared/fixtures) from the same weights, read from the npz state dicts
and from the official network pickles through the converter."""

import json
import os
import pickle

import numpy as np
import pytest
import tensorflow as tf

import ganzoo
from conftest import shared_fixture
from ganzoo import cli
from ganzoo.export import export
from ganzoo.io import stylegan2_ada
from ganzoo.networks.stylegan import StyleGANGenerator

KINDS = ("uncond", "cond")


@pytest.fixture(autouse=True)
def exact_float32():
    """The references are float32: no TensorFloat-32 matmuls/convolutions on a GPU that
    has them (10-bit mantissas would exceed the tolerance); a no-op on CPUs."""
    enabled = tf.config.experimental.tensor_float_32_execution_enabled()
    tf.config.experimental.enable_tensor_float_32_execution(False)
    yield
    tf.config.experimental.enable_tensor_float_32_execution(enabled)


def reference(kind):
    with np.load(shared_fixture(f"stylegan2_ada_reference_{kind}.npz")) as data:
        return {key: data[key] for key in data.files}


def state_dict(ref, net):
    return {key[len(net) + 1:]: value for key, value in ref.items()
            if key.startswith(net + "/")}


def assert_parity(name, got, want):
    err, tol = np.abs(np.asarray(got) - want).max(), 2e-4 * max(1.0, np.abs(want).max())
    assert err <= tol, f"{name}: max |ganzoo - reference| = {err:.3g} > {tol:.3g}"


def nhwc(images):
    return np.transpose(images, (0, 2, 3, 1))


def check_outputs(g, d, ref):
    """Every reference output of the fixture, ganzoo's images compared in NCHW."""
    z = ref["io/z"]
    labels = ref["io/c"].argmax(axis=1).astype("int32") if g.num_classes else None
    assert_parity("ws", g.mapping(z, labels), ref["io/ws"])
    assert_parity("ws_psi07", g.mapping(z, labels, truncation_psi=0.7), ref["io/ws_psi07"])
    for name, ws, mode in [("img_const", "ws", "const"), ("img_none", "ws", "none"),
                           ("img_psi07_const", "ws_psi07", "const")]:
        images = np.asarray(g.synthesis(ref[f"io/{ws}"], noise_mode=mode))
        assert_parity(name, np.transpose(images, (0, 3, 1, 2)), ref[f"io/{name}"])
    for name, images in [("d_fake", ref["io/img_const"]), ("d_real", ref["io/reals"])]:
        x = nhwc(images)
        assert_parity(name, d([x, labels] if d.num_classes else x), ref[f"io/{name}"])


@pytest.mark.parametrize("kind", KINDS)
def test_networks_from_the_npz_state_dicts_match_the_official_outputs(kind):
    ref = reference(kind)
    g = stylegan2_ada.build_generator(state_dict(ref, "G"))
    d = stylegan2_ada.build_discriminator(state_dict(ref, "D"))
    check_outputs(g, d, ref)


def test_architecture_is_inferred_from_the_tensors():
    ref = reference("cond")
    g_args = stylegan2_ada.generator_args(state_dict(ref, "G"))
    d_args = stylegan2_ada.discriminator_args(state_dict(ref, "D"))
    assert {k: g_args[k] for k in ("latent_dim", "w_dim", "num_classes", "data_shape",
                                   "mapping_layers", "channel_base", "channel_max")} == {
        "latent_dim": 64, "w_dim": 64, "num_classes": 10, "data_shape": (32, 32, 3),
        "mapping_layers": 8, "channel_base": 2048, "channel_max": 128}
    assert {k: d_args[k] for k in ("num_classes", "data_shape", "channel_base", "channel_max",
                                   "mbstd_num_channels", "mapping_layers", "cmap_dim")} == {
        "num_classes": 10, "data_shape": (32, 32, 3), "channel_base": 2048,
        "channel_max": 128, "mbstd_num_channels": 1, "mapping_layers": 8, "cmap_dim": 128}


def test_a_resnet_generator_is_refused_with_a_clear_error():
    g_state = state_dict(reference("uncond"), "G")
    g_state["synthesis.b8.skip.weight"] = np.zeros((128, 128, 1, 1), "float32")
    with pytest.raises(ValueError, match="'resnet' StyleGAN2 generator"):
        stylegan2_ada.generator_args(g_state)


def convert(kind, out):
    """Converts the official network pickle of ``kind`` with ``ganzoo convert``."""
    assert cli.main(["convert", "stylegan2-ada", shared_fixture(f"stylegan2_ada_{kind}.pkl"),
                     "--out", str(out)]) == 0
    return str(out)


@pytest.mark.parametrize("kind", KINDS)
def test_converted_network_pickle_matches_the_official_outputs(kind, tmp_path):
    folder = convert(kind, tmp_path / kind)
    check_outputs(ganzoo.load_generator(folder), ganzoo.load_preset(folder).discriminator,
                  reference(kind))
    with open(os.path.join(folder, "metadata.json")) as f:
        metadata = json.load(f)
    assert metadata["format"] == "stylegan2-ada network pickle"
    assert metadata["license"] == "NVIDIA Source Code License-NC"
    assert metadata["source"]["file"] == f"stylegan2_ada_{kind}.pkl"
    assert len(metadata["source"]["sha256"]) == 64
    assert sorted(metadata["files"]) == ["config.json", "discriminator.weights.h5",
                                         "ema_generator.weights.h5", "generator.weights.h5"]


def test_a_state_dict_file_converts_to_the_same_generator(tmp_path):
    ref = reference("uncond")
    source = tmp_path / "g_ema.npz"
    np.savez(source, **{f"G_ema/{k}": v for k, v in state_dict(ref, "G").items()})
    folder = stylegan2_ada.StyleGAN2ADAConverter.convert(
        str(source), str(tmp_path / "preset"), cli.parser().parse_args(
            ["convert", "stylegan2-ada", str(source), "--out", "x", "--conv-clamp", "none"]))
    g = ganzoo.load_generator(folder)
    assert g.get_config()["conv_clamp"] is None
    assert_parity("img_const", np.transpose(g.synthesis(ref["io/ws"]), (0, 3, 1, 2)),
                  ref["io/img_const"])
    assert not os.path.exists(os.path.join(folder, "discriminator.weights.h5"))


def test_other_checkpoints_are_refused_with_one_line(capsys, tmp_path):
    source = shared_fixture("cyclegan_resnet_9blocks_G.pth")
    assert cli.main(["convert", "stylegan2-ada", source, "--out", str(tmp_path / "p")]) == 2
    error = capsys.readouterr().err
    assert "not the state dict of a StyleGAN2-ADA" in error and len(error.splitlines()) == 1


class RunsCode:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def test_a_pickle_that_runs_code_is_refused_and_nothing_runs(capsys, tmp_path):
    marker, source = tmp_path / "ran", tmp_path / "network.pkl"
    source.write_bytes(pickle.dumps({"G": RunsCode(marker)}, protocol=2))
    assert cli.main(["convert", "stylegan2-ada", str(source), "--out", str(tmp_path / "p")]) == 2
    error = capsys.readouterr().err
    assert "refused" in error and len(error.splitlines()) == 1
    assert not marker.exists() and not (tmp_path / "p").exists()


def test_converted_generator_round_trips_its_config_and_keeps_noise_modes_apart():
    ref = reference("uncond")
    g = stylegan2_ada.build_generator(state_dict(ref, "G"))
    clone = StyleGANGenerator.from_config(g.get_config()).build_for_data()
    assert clone.get_config() == g.get_config()
    clone.set_weights(g.get_weights())
    z = ref["io/z"][:2]
    np.testing.assert_array_equal(np.asarray(clone(z)), np.asarray(g(z)))
    ws = ref["io/ws"][:2]
    random = [np.asarray(g.synthesis(ws, noise_mode="random")) for _ in range(2)]
    assert np.abs(random[0] - random[1]).max() > 1e-3
    np.testing.assert_array_equal(np.asarray(g.synthesis(ws)), np.asarray(g.synthesis(ws)))
    with pytest.raises(ValueError, match="noise_mode"):
        g.synthesis(ws, noise_mode="fixed")


@pytest.mark.slow
def test_converted_generator_exports_to_saved_model_and_tflite(tmp_path):
    g = ganzoo.load_generator(convert("cond", tmp_path / "preset"))
    record = export(g, out=str(tmp_path / "exports"), name="stylegan2_ada_cond",
                    fresh_process=False)
    assert max(record["saved_model"]["max_abs_diff"].values()) <= 1e-4, record
    assert record["tflite"]["files"]["float32"]["max_abs_diff"] <= 1e-4, record["tflite"]
    served = tf.saved_model.load(record["saved_model"]["path"]).signatures["serving_default"]
    graph = served.graph.as_graph_def()
    ops = {node.op for node in graph.node}
    ops |= {node.op for function in graph.library.function for node in function.node_def}
    assert not [op for op in ops if "Random" in op], "random ops in the served graph"
