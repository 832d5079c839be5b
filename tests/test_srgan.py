"""srgan: the degradation, the content features, the restoration metrics and ``ganzoo
upscale`` (the family's training, checkpoint, preset and export go through the harness)."""

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from conftest import tiny_config
from ganzoo import cli, presets
from ganzoo.factory import build_family
from ganzoo.data import load_dataset
from ganzoo.families.restoration import downsample
from ganzoo.families.srgan import ContentFeatures
from ganzoo.metrics import restoration


@pytest.fixture(scope="module")
def srgan_preset(tmp_path_factory):
    config = tiny_config("srgan", **{"data.resolution": 16})
    _, info = load_dataset(config.data, 4)
    model = build_family(config, info)
    return presets.save_preset(model, str(tmp_path_factory.mktemp("p") / "srgan"), config, info)


def test_low_resolution_input_is_bicubic_antialiased_downsampling():
    x = np.random.default_rng(0).uniform(-1, 1, (2, 16, 16, 1)).astype("float32")
    expected = tf.image.resize(x, (4, 4), method="bicubic", antialias=True).numpy()
    np.testing.assert_allclose(downsample(x, 4).numpy(), np.clip(expected, -1, 1), atol=1e-6)


def test_content_features_digits_and_refused_choices(tmp_path):
    features = ContentFeatures("digits", (16, 16, 1))
    x = np.random.default_rng(1).uniform(-1, 1, (3, 16, 16, 1)).astype("float32")
    phi = features(x).numpy()
    assert phi.shape == (3, 128) and phi.std() > 0
    assert ContentFeatures("none", (16, 16, 1)).network is None
    with pytest.raises(FileNotFoundError, match="never downloads VGG19"):
        ContentFeatures(f"vgg19:{tmp_path}/missing.h5", (32, 32, 3))
    with pytest.raises(ValueError, match="digits, vgg19:PATH or none"):
        ContentFeatures("vgg", (32, 32, 3))


def test_digits_content_loss_trains_the_generator_alone():
    config = tiny_config("srgan", **{"data.resolution": 16, "family_args.pixel_weight": 0.0,
                                     "family_args.content_features": "digits"})
    dataset, info = load_dataset(config.data, 4)
    model = build_family(config, info)
    clean, degraded = model.unpack(next(iter(dataset)))
    with tf.GradientTape() as tape:
        loss = model.restoration_loss(model.generator(degraded, training=True), clean, degraded)
    grads = tape.gradient(loss, model.generator.trainable_variables)
    assert float(loss) > 0 and all(g is not None for g in grads)
    assert max(float(tf.reduce_max(tf.abs(g))) for g in grads) > 0
    assert not model.content_features.network.trainable_weights  # frozen
    phi = {id(w) for w in model.content_features.network.weights}
    assert not phi & {id(w) for w in model.variables}  # not in checkpoints or presets


def test_psnr_ssim_and_bicubic_baseline():
    x = np.random.default_rng(2).uniform(-1, 1, (2, 16, 16, 1)).astype("float32")
    # [-1, 1] images with max_val 2 give the PSNR of the same images on [0, 1]
    np.testing.assert_allclose(restoration.psnr(x + 0.2, x), 10 * np.log10(4 / 0.04),
                               rtol=1e-5)
    np.testing.assert_allclose(restoration.ssim(x, x), 1.0, atol=1e-6)
    smooth = np.linspace(-1, 1, 16, dtype="float32")[None, :, None, None] * np.ones(
        (1, 16, 16, 1), "float32")
    upsampled = restoration.bicubic_upsample(downsample(smooth, 2), 2)
    assert upsampled.shape == smooth.shape and restoration.psnr(upsampled, smooth)[0] > 30


def _write_images(folder, count, size=20):
    folder.mkdir()
    for i in range(count):
        Image.fromarray(np.full((size, size), 40 * i, np.uint8)).save(folder / f"img{i}.png")


def test_upscale_writes_high_resolution_images(srgan_preset, tmp_path, capsys):
    _write_images(tmp_path / "in", 3)
    out = tmp_path / "out"
    assert cli.main(["upscale", srgan_preset, "--input", str(tmp_path / "in"),
                     "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["before_after.png", "img0.png",
                                                     "img1.png", "img2.png"]
    assert Image.open(out / "img0.png").size == (16, 16)  # 8x8 input, scale 2
    assert "Upscaled 3 images" in capsys.readouterr().out


def test_translate_and_a_wrong_family_are_refused(srgan_preset, tmp_path, capsys):
    _write_images(tmp_path / "in", 1)
    for argv in (["translate", srgan_preset], ["inpaint", srgan_preset, "--box", "1,1,2,2"]):
        assert cli.main([*argv, "--input", str(tmp_path / "in"),
                         "--out", str(tmp_path / "out")]) == 2
        assert not (tmp_path / "out").exists()
    error = capsys.readouterr().err
    assert "use ganzoo upscale" in error and "ganzoo inpaint needs a inpaint one" in error
