"""ganzoo's stylegan networks compute what NVlabs/stylegan2-ada-pytorch computes: outputs of
the official code (../shared/fixtures) from the same weights, read from the npz state dicts
and from the official network pickles through the converter."""

import numpy as np
import pytest

from conftest import shared_fixture
from ganzoo.io import stylegan2_ada

KINDS = ("uncond", "cond")


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
