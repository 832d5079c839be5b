"""CycleGAN / pix2pix networks compute what junyanz/pytorch-CycleGAN-and-pix2pix computes.

Reference numbers: ../shared/fixtures/cyclegan_pix2pix_reference.npz (``<net>/<state dict
key>``, ``<net>/io/x`` -> ``<net>/io/y``, NCHW) and each network's ``.pth`` (torch zip and
legacy formats), produced by the original code in eval mode; see the fixtures' README.
"""

import os

import numpy as np
import pytest
from PIL import Image

import ganzoo.io  # noqa: F401  (registers the converters)
from conftest import shared_fixture
from ganzoo import cli, load_generator
from ganzoo.io import cyclegan

REFERENCE = "cyclegan_pix2pix_reference.npz"
TRACE = "cyclegan_pix2pix_reference_trace.npz"
GENERATORS = {"cyclegan_resnet_9blocks_G": ("resnet", 64), "cyclegan_resnet_6blocks_G":
              ("resnet", 64), "pix2pix_unet_128_G": ("unet", 128)}
DISCRIMINATORS = {"cyclegan_basic_D": False, "pix2pix_basic_D": True}
PTH = ["cyclegan_resnet_9blocks_G", "cyclegan_resnet_6blocks_G",
       "cyclegan_resnet_9blocks_G_legacy_format", "pix2pix_unet_128_G",
       "pix2pix_unet_128_G_legacy_format", "cyclegan_basic_D", "pix2pix_basic_D"]


@pytest.fixture(scope="module")
def reference():
    with np.load(shared_fixture(REFERENCE)) as npz:
        return {key: npz[key] for key in npz.files}


def state_of(reference, net):
    prefix = f"{net}/"
    return {key[len(prefix):]: value for key, value in reference.items()
            if key.startswith(prefix) and "/io/" not in key}


def nhwc(x):
    return np.transpose(x, (0, 2, 3, 1))


def assert_parity(network, reference, net):
    out = np.asarray(network(nhwc(reference[f"{net}/io/x"])))
    ref = nhwc(reference[f"{net}/io/y"])
    assert out.shape == ref.shape
    diff = float(np.abs(out - ref).max())
    assert diff <= 2e-4 * max(1.0, float(np.abs(ref).max())), (net, diff)
    return diff


def network_of(net, state):
    if net in DISCRIMINATORS:
        paired = DISCRIMINATORS[net]
        channels = state["model.0.weight"].shape[1] // (2 if paired else 1)
        return cyclegan.build_discriminator(state, channels, paired, resolution=64)
    return cyclegan.build_generator(state, resolution=GENERATORS[net][1])


@pytest.mark.parametrize("net", [*GENERATORS, *DISCRIMINATORS])
def test_npz_parity(reference, net):
    """Seen (max abs diff): resnet 9 blocks 5.6e-6, 6 blocks 5.3e-6, unet_128 1.1e-6,
    CycleGAN D 2.0e-6, pix2pix D 2.7e-6."""
    assert_parity(network_of(net, state_of(reference, net)), reference, net)


def test_resnet_layers_follow_the_trace(reference):
    """Layer by layer against the reference's module outputs (where a port departs)."""
    net = "cyclegan_resnet_9blocks_G"
    with np.load(shared_fixture(TRACE)) as trace:
        x = nhwc(reference[f"{net}/io/x"][:1])
        for i, layer in enumerate(network_of(net, state_of(reference, net)).model.layers):
            x = np.asarray(layer(x))
            ref = nhwc(trace[f"{net}/model.{i}"])
            assert np.abs(x - ref).max() <= 2e-4 * max(1.0, np.abs(ref).max()), f"model.{i}"


def test_architecture_is_read_from_the_tensors(reference):
    assert cyclegan.generator_args(state_of(reference, "cyclegan_resnet_9blocks_G")) == (
        "resnet", {"ngf": 8, "n_blocks": 9, "n_downsampling": 2, "norm": "instance",
                   "input_channels": 3, "dropout": 0.0, "output_channels": 3})
    assert cyclegan.generator_args(state_of(reference, "pix2pix_unet_128_G")) == (
        "unet", {"ngf": 8, "depth": 7, "norm": "batch", "input_channels": 3,
                 "output_channels": 3})
    assert cyclegan.patchgan_args(state_of(reference, "pix2pix_basic_D")) == {
        "ndf": 8, "n_layers": 3, "norm": "batch", "input_channels": 6}


def test_old_instance_norm_statistics_are_dropped(reference):
    """torch < 0.4 wrote running stats for affine-free InstanceNorm2d; the reference's
    loader deletes them, so does ganzoo (and they must not be taken for a batch norm)."""
    state = state_of(reference, "cyclegan_resnet_6blocks_G")
    stale = {"model.2.running_mean": np.zeros(8, np.float32),
             "model.2.running_var": np.ones(8, np.float32),
             "model.10.conv_block.2.running_mean": np.zeros(32, np.float32)}
    assert cyclegan.clean_state_dict({**state, **stale}) == state
    generator = cyclegan.build_generator({**state, **stale}, resolution=64)
    assert_parity(generator, reference, "cyclegan_resnet_6blocks_G")


def test_a_foreign_tensor_is_refused(reference):
    state = state_of(reference, "cyclegan_basic_D")
    with pytest.raises(ValueError, match="does not fit"):
        cyclegan.load_state(network_of("cyclegan_basic_D", state),
                            {**state, "model.0.bias": np.zeros(9, np.float32)})


def test_pix2pix_dropout_at_inference_is_random(reference):
    state = state_of(reference, "pix2pix_unet_128_G")
    generator = cyclegan.build_generator(state, 128, dropout_at_inference=True)
    x = nhwc(reference["pix2pix_unet_128_G/io/x"])
    assert np.abs(np.asarray(generator(x)) - np.asarray(generator(x))).max() > 1e-3


@pytest.mark.parametrize("name", PTH)
def test_pth_parity_through_the_reader(reference, name):
    from ganzoo.io.tensors import read_state_dict

    net = name.replace("_legacy_format", "")
    state = read_state_dict(shared_fixture(f"{name}.pth"))
    assert_parity(network_of(net, state), reference, net)


@pytest.mark.parametrize("name, family", [
    ("pix2pix_unet_128_G", "pix2pix"),
    pytest.param("cyclegan_resnet_9blocks_G", "cyclegan", marks=pytest.mark.slow)])
def test_convert_command_with_a_discriminator(reference, tmp_path, name, family):
    """The cyclegan case takes about 15 s: the family builds and compiles four networks."""
    from ganzoo.presets import load_preset

    d_name = {"cyclegan": "cyclegan_basic_D", "pix2pix": "pix2pix_basic_D"}[family]
    out = str(tmp_path / "preset")
    assert cli.main(["convert", family, shared_fixture(f"{name}.pth"), "--out", out,
                     "--resolution", str(GENERATORS[name][1]), "--discriminator",
                     shared_fixture(f"{d_name}.pth"), "--direction", "b2a"]) == 0
    model = load_preset(out)
    assert_parity(model.generator, reference, name)
    assert_parity(model.discriminator, reference, d_name)
    if family == "pix2pix":
        assert list(model.translators()) == ["b2a"]


def test_a_pickle_that_runs_code_is_refused(tmp_path, capsys):
    import pickle

    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    path = tmp_path / "evil.pth"
    path.write_bytes(pickle.dumps({"model.1.weight": Evil()}, protocol=2))
    assert cli.main(["convert", "cyclegan", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "pwned" not in err[0], err
    assert not (tmp_path / "out").exists()


def _write_images(folder, count, size):
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(count):
        Image.fromarray(rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)).save(
            folder / f"img{i}.jpg")
    return str(folder)


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    """A cyclegan preset converted from the 9-block generator in torch's legacy format."""
    out = str(tmp_path_factory.mktemp("converted") / "horse2zebra")
    assert cli.main(["convert", "cyclegan",
                     shared_fixture("cyclegan_resnet_9blocks_G_legacy_format.pth"),
                     "--out", out, "--resolution", "64"]) == 0
    return out


def test_converted_generator_loads_with_parity(reference, converted):
    assert_parity(load_generator(converted), reference, "cyclegan_resnet_9blocks_G")


def test_translate_a_folder_of_another_size(converted, tmp_path):
    inputs = _write_images(tmp_path / "inputs", 2, (90, 70))
    out = tmp_path / "out"
    assert cli.main(["translate", converted, "--input", inputs, "--out", str(out)]) == 0
    assert Image.open(out / "img0.png").size == (64, 64)
    assert (out / "before_after.png").exists()


@pytest.mark.slow
def test_export_of_a_converted_generator(converted, tmp_path):
    """Seen: about 20 s. Max abs diffs: SavedModel 0, TFLite float32 4.8e-6, float16
    2.3e-3, dynamic range 0.084 (the 6-block generator's 0.11 exceeds the exporter's 0.1:
    these fixture weights are random)."""
    from ganzoo.export import export

    record = export(converted, "saved_model,tflite", str(tmp_path), fresh_process=False)
    assert max(record["saved_model"]["max_abs_diff"].values()) <= 1e-4
    assert record["tflite"]["files"]["float32"]["max_abs_diff"] <= 1e-4


def test_jitter_crops_and_flips_a_pair_alike_and_unpaired_domains_apart():
    """The reference's resize_and_crop: loaded at load_size, a random crop and flip."""
    import tensorflow as tf

    from ganzoo import config as config_lib
    from ganzoo.data import paired

    config = config_lib.DataConfig(resolution=4)
    assert paired.jitter_config(config, 6).resolution == 6
    x = tf.reshape(tf.range(36, dtype=tf.float32), (6, 6, 1))
    element = {"a": x, "b": x + 100.0}
    together = [paired.random_jitter(4, paired=True, seed=0)(element, i) for i in range(8)]
    apart = [paired.random_jitter(4, paired=False, seed=0)(element, i) for i in range(8)]
    for out in together:
        assert out["a"].shape == out["b"].shape == (4, 4, 1)
        np.testing.assert_array_equal(out["b"], out["a"] + 100.0)
    assert any(np.any(out["b"] != out["a"] + 100.0) for out in apart)
    assert len({float(out["a"][0, 0, 0]) for out in together}) > 1
    again = paired.random_jitter(4, paired=False, seed=0)(element, 3)
    np.testing.assert_array_equal(again["a"], apart[3]["a"])  # a function of the seed
