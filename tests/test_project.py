"""ganzoo project: latents that reproduce real images beat the best of 1000 random latents
(dcgan by default, StyleGAN in the slow suite), the written files reproduce the
reconstruction, latent files feed interpolate/arithmetic, and bad inputs give one line and
write nothing."""

import json
import os

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from ganzoo import cli, images, latent, perceptual, project
from ganzoo.metrics.digits_classifier import digits_images
from ganzoo.presets import load_generator


@pytest.fixture(scope="module")
def digits():
    """Two digits of the classifier's test split (the presets trained on all digits)."""
    return digits_images("test")[0][[0, 7]]


@pytest.fixture(scope="module")
def distance():
    return perceptual.build_distance("digits")


def beats_baseline(generator, targets, distance, latents):
    _, baseline = project.random_baseline(generator, targets, distance, count=1000)
    scores = distance.measure(latent.generate(generator, latents), targets)
    for key in ("pixel_mse", "feature_distance"):
        assert scores[key].mean() < 0.7 * baseline[key].mean(), (key, scores, baseline)


@pytest.mark.slow  # tracing the StyleGAN step takes 3-14 s on the shared CPU
def test_stylegan_projection_beats_random_latents_and_restores_noise(digits, distance):
    generator = load_generator("stylegan_digits")
    stored = [conv.noise_const.numpy() for conv in generator.convs]
    ws = project.project(generator, digits, distance, steps=60)
    assert ws.shape == (2, generator.num_ws, generator.w_dim)
    np.testing.assert_array_equal(ws[:, 0], ws[:, -1])  # one w for every layer
    for conv, noise in zip(generator.convs, stored):
        np.testing.assert_array_equal(conv.noise_const.numpy(), noise)
    beats_baseline(generator, digits, distance, ws)


def test_schedule_and_noise_regularization():
    assert project.schedule(0.0) == (0.0, 0.05)
    assert project.schedule(0.5) == (1.0, pytest.approx(0.05 / 9))
    assert project.schedule(0.9)[0] == pytest.approx(0.5 - 0.5 * np.cos(np.pi * 0.4))
    assert project.schedule(0.8)[1] == 0.0
    white = tf.constant(np.random.default_rng(0).standard_normal((32, 32)), tf.float32)
    smooth = tf.ones((32, 32))  # each scale adds 2 * mean(1)^2: 32, 16, 8
    assert float(project.noise_regularization([white])) < 1e-2
    assert float(project.noise_regularization([smooth])) == pytest.approx(6.0)


def save_png(path, array):
    Image.fromarray(array).save(path)
    return str(path)


def test_cli_project_writes_reproducible_files_and_latents_feed_latent_tools(
        tmp_path, digits):
    rgb = np.repeat(images.to_uint8(digits[0]), 3, axis=-1)
    first = save_png(tmp_path / "one.png", np.asarray(Image.fromarray(rgb).resize((50, 40))))
    second = save_png(tmp_path / "two.png", images.to_uint8(digits[1])[..., 0])
    out = str(tmp_path / "out")
    assert cli.main(["project", "dcgan_digits", first, second, "--out", out,
                     "--steps", "60", "--restarts", "2"]) == 0
    record = json.load(open(os.path.join(out, "projection.json")))
    assert record["latent"] == "z" and record["extractor"] == "digits"
    generator = load_generator("dcgan_digits")
    z = np.stack([np.load(os.path.join(out, f"{name}.npy")) for name in ("one", "two")])
    assert z.shape == (2, generator.latent_dim)
    targets = project.read_targets([first, second], generator.data_shape)
    beats_baseline(generator, targets, perceptual.build_distance("digits"), z)
    z = z[0]
    reconstruction = latent.generate(generator, z[None])
    np.testing.assert_array_equal(images.to_uint8(reconstruction)[0, ..., 0], np.asarray(
        Image.open(os.path.join(out, "one_projected.png"))))
    target = np.asarray(Image.open(os.path.join(out, "one_target.png")), np.float32) / 127.5 - 1
    scores = perceptual.build_distance("digits").measure(reconstruction, target[None, ..., None])
    assert record["images"]["one"]["pixel_mse"] == pytest.approx(  # the target PNG is 8-bit
        scores["pixel_mse"][0], abs=1e-3)
    strip = str(tmp_path / "strip.png")
    assert cli.main(["interpolate", "dcgan_digits", "--latent", os.path.join(out, "one.npy"),
                     "--latent", os.path.join(out, "two.npy"), "--seeds", "3", "--steps", "3",
                     "--out", strip]) == 0
    width, height = Image.open(strip).size
    assert 4.5 < width / height < 5  # 5 frames (2 segments) of 2-pixel padded squares


def test_w_plus_latent_files_feed_stylegan_synthesis(tmp_path):
    generator = load_generator("stylegan_digits")
    ws = latent.to_ws(generator, np.stack([latent.seed_latent(s, 64) for s in (1, 2)]))
    ws[1, 3:] = ws[0, 3:]  # a w+ that no single w gives
    paths = [str(tmp_path / f"{i}.npy") for i in range(2)]
    for path, value in zip(paths, ws):
        np.save(path, value)
    loaded = [latent.load_latent(path, generator) for path in paths]
    mixed = latent.common_space(generator, [*loaded, latent.seed_latent(3, 64)])
    np.testing.assert_allclose(mixed[2],
                               latent.to_ws(generator, latent.seed_latent(3, 64)[None])[0])
    frames = latent.generate(generator, latent.path(mixed, 3))
    np.testing.assert_allclose(frames[0], np.asarray(
        generator.synthesis(ws[:1], noise_mode="const"))[0], atol=1e-5)
    np.testing.assert_allclose(frames[1], latent.generate(generator, (ws[:1] + ws[1:]) / 2)[0],
                               atol=1e-5)  # lerp in W
    assert cli.main(["arithmetic", "stylegan_digits", "--latent", paths[0], "--plus", "4",
                     "--minus-latent", paths[1], "--out", str(tmp_path / "sum.png")]) == 0


BAD = [
    (["dcgan_digits", "{bad}"], "not a readable image"),
    (["dcgan_digits", "{missing}"], "no such image file"),
    (["cgan_digits", "{good}"], "--label"),
    (["dcgan_digits", "{good}", "--w-plus"], "needs a StyleGAN"),
    (["dcgan_digits", "{good}", "{twin}"], "Several target images are named"),
    (["dcgan_digits", "{good}", "--extractor", "vgg16"], "--vgg-weights"),
    (["dcgan_digits", "{good}", "--extractor", "sift"], "sift"),
    (["dcgan_digits", "{good}", "--steps", "0"], "--steps"),
    (["gan_ring", "{good}"], "not images"),
]


@pytest.mark.parametrize("args,message", BAD, ids=[m for _, m in BAD])
def test_bad_project_inputs_give_one_line_and_write_nothing(tmp_path, capsys, digits, args,
                                                            message):
    os.makedirs(tmp_path / "twin")
    paths = {"bad": str(tmp_path / "bad.png"), "missing": str(tmp_path / "none.png"),
             "good": save_png(tmp_path / "good.png", images.to_uint8(digits[0])[..., 0]),
             "twin": save_png(tmp_path / "twin" / "good.png",
                              images.to_uint8(digits[1])[..., 0])}
    open(paths["bad"], "w").write("not an image")
    out = str(tmp_path / "out")
    argv = ["project", *(a.format(**paths) for a in args), "--out", out, "--steps", "1"]
    if "--steps" in args:
        argv = argv[:-2]
    assert cli.main(argv) == 2
    error = capsys.readouterr().err.strip()
    assert message in error and len(error.splitlines()) == 1
    assert not os.path.exists(out)


def test_bad_latent_files_are_refused(tmp_path, capsys):
    wrong = str(tmp_path / "wrong.npy")
    np.save(wrong, np.zeros((3, 5), np.float32))
    for path, message in ((wrong, "shape (3, 5)"), (str(tmp_path / "no.npy"), "no such file")):
        assert cli.main(["interpolate", "dcgan_digits", "--latent", path, "--latent", path,
                         "--out", str(tmp_path / "x.png")]) == 2
        assert message in capsys.readouterr().err
    assert not os.path.exists(tmp_path / "x.png")


@pytest.mark.slow
def test_vgg16_distance_from_a_weights_file(tmp_path):
    import keras

    path = str(tmp_path / "vgg16_notop.weights.h5")
    keras.applications.VGG16(weights=None, include_top=False,
                             input_shape=(perceptual.VGG_RESOLUTION,) * 2 + (3,)).save_weights(path)
    distance = perceptual.build_distance("vgg16", vgg_weights=path)
    x = np.random.default_rng(0).uniform(-1, 1, (2, 16, 16, 1)).astype(np.float32)
    scores = distance.measure(x, x[::-1])
    assert scores["feature_distance"][0] > 0
    assert distance.measure(x, x)["distance"] == pytest.approx([0, 0], abs=1e-6)
