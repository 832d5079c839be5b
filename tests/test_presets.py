"""The zoo: shipped presets load and are real, files are hash-checked, save/load round trips."""

import functools
import json
import os
import shutil

import numpy as np
import pytest
from conftest import tiny_config

from ganzoo import cli, presets, runs
from ganzoo.config import DataConfig
from ganzoo.export.signatures import takes_images
from ganzoo.factory import build_family
from ganzoo.data import DatasetInfo, load_dataset
from ganzoo.families.inpaint import box_at, with_mask
from ganzoo.families.restoration import downsample
from ganzoo.metrics import DigitsExtractor, restoration
from ganzoo.hashing import sha256_of

REQUIRED = ("cgan_digits", "dcgan_digits", "gan_ring", "inpaint_digits", "srgan_digits",
            "stackgan_digits", "wgan_gp_digits")
TINY_DIGITS = DatasetInfo("digits", (8, 8, 1), 10, 1797)


def latents(generator, n, seed=0):
    """Inputs for ``n`` outputs of any generator: its ``sample_inputs`` (latents, with
    labels or caption tokens), or, for one that takes images (srgan: low-resolution
    images; inpaint: image and mask), uniform [-1, 1] images of that shape, as the
    harness previews image-to-image families."""
    if takes_images(generator):
        return np.random.default_rng(seed).uniform(
            -1, 1, (n, *generator.input_shape_of_data())).astype(np.float32)
    return generator.sample_inputs(n, seed)


@functools.cache
def shipped_generator(name):
    """``presets.load_generator(name)``, loaded once for this module's tests."""
    return presets.load_generator(name)


def held_out_digits(n):
    """The first ``n`` (images [n, 32, 32, 1], labels) of digits' train[80%:], which the
    restoration presets never saw."""
    data = DataConfig(name="digits", resolution=32, split="train[80%:]")
    images, labels = next(iter(load_dataset(data, n, repeat=False)[0]))
    return np.asarray(images), np.asarray(labels)


def test_required_presets_are_shipped():
    assert set(REQUIRED) <= set(presets.shipped_presets())


@pytest.mark.parametrize("name", sorted(set(REQUIRED) | set(presets.shipped_presets())))
def test_shipped_preset_loads_and_matches_its_hashes(name):
    folder = os.path.join(presets.PRETRAINED_DIR, name)
    with open(os.path.join(presets.PRETRAINED_DIR, presets.INDEX_FILE)) as f:
        recorded = json.load(f)[name]["files"]
    assert presets.WEIGHT_FILES["generator"] in recorded
    for filename, sha256 in recorded.items():
        assert sha256_of(os.path.join(folder, filename)) == sha256, filename
    metadata = presets.shipped_presets()[name]
    assert metadata["train_seconds"] > 0 and metadata["steps"] > 0 and metadata["metrics"]

    generator = shipped_generator(name)
    images = np.asarray(generator(latents(generator, 16)))
    assert images.shape == (16, *metadata["data_shape"])
    assert np.all(np.isfinite(images))
    if len(metadata["data_shape"]) == 3:  # tanh outputs stay in [-1, 1]; StyleGAN2's are
        # unbounded (NVIDIA's code clamps them for pictures and metrics): near that range
        assert np.mean(np.abs(images - np.clip(images, -1.0, 1.0))) < 0.01
        assert images.std() > 0.1
    model = presets.load_preset(name)
    assert model.untrained_networks == []  # the discriminator too (--init-from uses it)
    np.testing.assert_array_equal(np.asarray(model(latents(generator, 16))), images)


def test_cgan_digits_draws_the_digit_it_is_asked_for():
    generator = shipped_generator("cgan_digits")
    labels = np.repeat(np.arange(10, dtype=np.int32), 50)
    z = np.random.default_rng(7).standard_normal((len(labels), generator.latent_dim))
    images = generator([z.astype(np.float32), labels])
    predicted = np.argmax(DigitsExtractor().logits(images), axis=1)
    assert np.mean(predicted == labels) >= 0.8


def test_srgan_digits_beats_bicubic_on_held_out_digits():
    generator = shipped_generator("srgan_digits")
    originals, _ = held_out_digits(20)
    small = downsample(originals, generator.scale).numpy()
    upscaled = np.asarray(generator(small))
    bicubic = restoration.bicubic_upsample(small, generator.scale)
    assert (restoration.psnr(upscaled, originals).mean()
            > restoration.psnr(bicubic, originals).mean() + 1.0)


def test_inpaint_digits_fills_held_out_holes_better_than_the_mean():
    generator = shipped_generator("inpaint_digits")
    originals, _ = held_out_digits(20)
    corners = np.random.default_rng(0).integers(0, 32 - 12 + 1, (20, 2, 1, 1, 1))
    masks = np.asarray(box_at(corners[:, 0], corners[:, 1], 12, 12, 32, 32))
    filled = np.asarray(generator(np.asarray(with_mask(originals, masks))))
    mean_filled = restoration.mean_fill(originals, masks)
    assert (restoration.hole_l1(filled, originals, masks).mean()
            < 0.5 * restoration.hole_l1(mean_filled, originals, masks).mean())


def test_stackgan_digits_draws_a_three_when_asked():
    """More often than chance (0.1): the preset's "a three" is read as 3 in 31-34% of 100
    images (seeds 0-3), as 2 in the rest (its digit rate over all ten digits is 0.64)."""
    generator = shipped_generator("stackgan_digits")
    images = generator(generator.sample_inputs(100, seed=3, captions=["a three"]))
    assert np.mean(np.argmax(DigitsExtractor().logits(images), axis=1) == 3) >= 0.2


def tampered_copy(tmp_path, name="dcgan_digits"):
    folder = shutil.copytree(os.path.join(presets.PRETRAINED_DIR, name), tmp_path / name)
    with open(folder / presets.WEIGHT_FILES["generator"], "r+b") as f:
        f.seek(-100, os.SEEK_END)
        byte = f.read(1)
        f.seek(-100, os.SEEK_END)
        f.write(bytes([byte[0] ^ 0xFF]))
    return folder


def test_a_tampered_local_preset_is_refused(tmp_path):
    with pytest.raises(presets.PresetError, match="generator.weights.h5: its sha256 is"):
        presets.load_generator(str(tampered_copy(tmp_path)))


def test_a_tampered_shipped_preset_is_refused(tmp_path, monkeypatch):
    tampered_copy(tmp_path)
    shutil.copy(os.path.join(presets.PRETRAINED_DIR, presets.INDEX_FILE), tmp_path)
    monkeypatch.setattr(runs, "PRETRAINED_DIR", str(tmp_path))
    with pytest.raises(presets.PresetError, match="generator.weights.h5: its sha256 is"):
        presets.load_generator("dcgan_digits")


def test_unknown_name_suggests_a_shipped_one():
    with pytest.raises(presets.PresetError, match="Did you mean 'dcgan_digits'"):
        presets.load_generator("dcgan_digit")


@pytest.fixture
def trained_tiny_cgan():
    """A tiny conditional family with EMA whose weights differ from any fresh init."""
    model = build_family(tiny_config("cgan", **{"family_args.ema_decay": 0.9}), TINY_DIGITS)
    for weight in model.ema_generator.weights:
        weight.assign(weight + 0.01)
    return model


@pytest.mark.parametrize("form", ["folder", "tar.gz", "zip"])
def test_save_then_load_gives_identical_outputs(form, trained_tiny_cgan, tmp_path, monkeypatch):
    monkeypatch.setenv("GANZOO_HOME", str(tmp_path / "cache"))
    model = trained_tiny_cgan
    path = presets.save_preset(model, str(tmp_path / ("tiny" if form == "folder" else
                                                      f"tiny.{form}")))
    source, sha256 = path, None
    if form != "folder":
        source, sha256 = f"file://{path}", sha256_of(path)
    loaded = presets.load_preset(source, sha256=sha256)
    z = latents(model.generator, 8)
    for original, restored in [(model.generator, loaded.generator),
                               (model.ema_generator, loaded.ema_generator)]:
        np.testing.assert_array_equal(np.asarray(original(z)), np.asarray(restored(z)))
    images = np.asarray(model.discriminator([np.asarray(model.generator(z)), z[1]]))
    np.testing.assert_array_equal(
        images, np.asarray(loaded.discriminator([np.asarray(model.generator(z)), z[1]])))
    assert loaded.ema_decay == 0.9 and type(loaded) is type(model)
    ema_generator = presets.load_generator(source, sha256=sha256)
    np.testing.assert_array_equal(np.asarray(model.ema_generator(z)),
                                  np.asarray(ema_generator(z)))


def test_a_url_needs_the_right_sha256(trained_tiny_cgan, tmp_path, monkeypatch):
    monkeypatch.setenv("GANZOO_HOME", str(tmp_path / "cache"))
    archive = presets.save_preset(trained_tiny_cgan, str(tmp_path / "tiny.tar.gz"))
    with pytest.raises(presets.PresetError, match="without its sha256"):
        presets.load_generator(f"file://{archive}")
    with pytest.raises(presets.PresetError, match=f"sha256 is {sha256_of(archive)} but 0+ was"):
        presets.load_generator(f"file://{archive}", sha256="0" * 64)
    presets.register_preset("tiny_remote", f"file://{archive}", sha256_of(archive))
    assert presets.load_generator("tiny_remote").num_classes == 10


def test_cli_lists_pretrained_presets_with_metrics(capsys):
    assert cli.main(["list", "presets"]) == 0
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()[1:]}
    assert "fid=" in lines["dcgan_digits"] and "modes_covered=" in lines["gan_ring"]


def test_cli_train_save_preset(tmp_path):
    config = tmp_path / "tiny.yaml"
    config.write_text(tiny_config("dcgan").to_yaml())
    preset = tmp_path / "zoo" / "tiny_dcgan"
    assert cli.main(["train", "--config", str(config), "--out", str(tmp_path / "run"),
                     "--save-preset", str(preset)]) == 0
    metadata = json.loads((preset / presets.METADATA_FILE).read_text())
    assert metadata["dataset"] == "digits" and metadata["steps"] == 2
    assert presets.load_generator(str(preset)).data_shape == (8, 8, 1)
