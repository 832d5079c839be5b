"""Latent tools: interpolation math, arithmetic, attribute directions, and the CLI."""

import numpy as np
import pytest
from PIL import Image

from conftest import tiny_config
from ganzoo import cli, latent, training
from ganzoo.factory import build_networks
from ganzoo.data import load_dataset
from ganzoo.registry import NETWORKS


def test_slerp_endpoints_and_unit_norm():
    rng = np.random.default_rng(0)
    z0, z1 = rng.standard_normal((2, 16))
    path = latent.slerp(z0, z1, np.linspace(0, 1, 7))
    np.testing.assert_allclose(path[0], z0, atol=1e-5)
    np.testing.assert_allclose(path[-1], z1, atol=1e-5)
    u0, u1 = z0 / np.linalg.norm(z0), z1 / np.linalg.norm(z1)
    norms = np.linalg.norm(latent.slerp(u0, u1, np.linspace(0, 1, 9)), axis=1)
    np.testing.assert_allclose(norms, 1.0, atol=1e-5)
    # lerp between unit vectors cuts the chord: its midpoint is shorter.
    assert np.linalg.norm(latent.lerp(u0, u1, [0.5])[0]) < 0.95


def test_slerp_of_parallel_latents_is_lerp():
    z = np.ones(4, np.float32)
    np.testing.assert_allclose(latent.slerp(z, 3 * z, [0.5]), latent.lerp(z, 3 * z, [0.5]))


def test_lerp_midpoint_and_path():
    z0, z1 = np.zeros(3), np.array([2.0, 4.0, -2.0])
    np.testing.assert_allclose(latent.lerp(z0, z1, [0.5])[0], [1.0, 2.0, -1.0])
    path = latent.path([z0, z1, z0], 5, "lerp")
    assert path.shape == (9, 3)  # the shared endpoint appears once
    np.testing.assert_allclose(path[4], z1)
    with pytest.raises(ValueError, match="slerp, lerp"):
        latent.path([z0, z1], 5, "cubic")


def test_arithmetic_and_attribute_direction():
    a, b, c = np.eye(3, dtype=np.float32)
    np.testing.assert_allclose(latent.arithmetic([a, b], [c], [2 * c]), [1.0, 1.0, 1.0])
    latents = np.array([[1.0, 0.0], [3.0, 0.0], [0.0, 5.0], [0.0, 1.0]])
    direction = latent.attribute_direction(latents, [True, True, False, False])
    np.testing.assert_allclose(direction, [2.0, -3.0])
    with pytest.raises(ValueError, match="with and without"):
        latent.attribute_direction(latents, [True] * 4)


def test_seed_latent_matches_sample_grid_row():
    generator = NETWORKS.get("mlp_generator")(latent_dim=5, data_shape=(2,), num_classes=0)
    np.testing.assert_array_equal(latent.seed_latent(7, 5), generator.sample_inputs(3, 7)[0])


@pytest.fixture(scope="module")
def digits_generator():
    config = tiny_config("dcgan", **{"data.resolution": 32})
    _, info = load_dataset(config.data, 4)
    return build_networks(config, info)[0]


def test_interpolate_and_digit_direction(digits_generator):
    z0, z1 = (latent.seed_latent(s, 4) for s in (1, 2))
    frames = latent.interpolate(digits_generator, z0, z1, steps=6)
    assert frames.shape == (6, 32, 32, 1)
    np.testing.assert_allclose(frames[0], latent.generate(digits_generator, z0[None])[0],
                               atol=1e-5)
    predicted = np.arange(200) % 10

    class FakeClassifier:
        def logits(self, images):
            return np.eye(10)[predicted[:len(images)]]

    direction = latent.digit_direction(digits_generator, 3, n=200, extractor=FakeClassifier())
    rng = np.random.default_rng(0)
    latents = rng.standard_normal((200, 4)).astype(np.float32)
    np.testing.assert_allclose(direction, latents[predicted == 3].mean(0)
                               - latents[predicted != 3].mean(0), atol=1e-6)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    folder = str(tmp_path_factory.mktemp("run"))
    training.train(tiny_config("dcgan", **{"train.steps": 1}), folder, verbose=0)
    return folder


def test_cli_interpolate_writes_png_strip_and_gif(run_dir, tmp_path):
    strip, gif = str(tmp_path / "strip.png"), str(tmp_path / "anim.gif")
    assert cli.main(["interpolate", run_dir, "--seeds", "1,2,3", "--steps", "4",
                     "--out", strip]) == 0
    assert cli.main(["interpolate", run_dir, "--seeds", "1,2", "--steps", "5", "--method", "lerp",
                     "--out", gif]) == 0
    picture = Image.open(strip)
    assert picture.width == 6 * picture.height  # one row of 7 padded 8x8 images
    animation = Image.open(gif)
    assert animation.is_animated and animation.n_frames == 5


def test_cli_arithmetic_writes_strip(run_dir, tmp_path, capsys):
    out = str(tmp_path / "arith.png")
    assert cli.main(["arithmetic", run_dir, "--plus", "3,5", "--minus", "7", "--out", out]) == 0
    picture = Image.open(out)
    assert picture.width > 3 * picture.height  # plus, plus, minus, result
    assert cli.main(["arithmetic", str(tmp_path), "--plus", "1"]) == 2
    assert "error" in capsys.readouterr().err
