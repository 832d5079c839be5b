"""inpaint: masks, compositing, the fill baselines and ``ganzoo inpaint`` (the family's
training, checkpoint, preset and export go through the harness)."""

import keras
import numpy as np
import pytest
from PIL import Image

from conftest import tiny_config
from ganzoo import cli, presets
from ganzoo.factory import build_family
from ganzoo.data import load_dataset
from ganzoo.families.inpaint import box_masks, free_form_masks, with_mask
from ganzoo.metrics import restoration
from ganzoo.restore import parse_box, read_masks


@pytest.fixture(scope="module")
def inpaint_model():
    config = tiny_config("inpaint", **{"data.resolution": 16, "family_args.hole_size": 6})
    _, info = load_dataset(config.data, 4)
    return config, info, build_family(config, info)


@pytest.fixture(scope="module")
def inpaint_preset(inpaint_model, tmp_path_factory):
    config, info, model = inpaint_model
    return presets.save_preset(model, str(tmp_path_factory.mktemp("p") / "inpaint"), config, info)


def test_box_masks_are_one_square_each_at_seeded_positions():
    masks = np.asarray(box_masks(64, 16, 16, 6, keras.random.SeedGenerator(0)))
    assert masks.shape == (64, 16, 16, 1) and set(np.unique(masks)) == {0.0, 1.0}
    assert (masks.sum((1, 2, 3)) == 36).all()
    rows = masks.any(2)[..., 0].argmax(1)
    assert len(set(rows)) > 5 and rows.max() <= 10  # spread over every valid position
    again = np.asarray(box_masks(64, 16, 16, 6, keras.random.SeedGenerator(0)))
    np.testing.assert_array_equal(masks, again)


def test_free_form_masks_are_strokes():
    masks = np.asarray(free_form_masks(32, 16, 16, 3, 2.0, keras.random.SeedGenerator(1)))
    covered = masks.mean((1, 2, 3))
    assert (covered > 0).all() and covered.mean() < 0.5
    assert len({m.tobytes() for m in masks}) == 32


def test_generator_keeps_the_known_pixels_and_the_family_draws_per_sample(inpaint_model):
    _, _, model = inpaint_model
    clean = np.random.default_rng(0).uniform(-1, 1, (8, 16, 16, 1)).astype("float32")
    degraded = np.asarray(model.degrade(clean, keras.random.SeedGenerator(3)))
    masks = degraded[..., 1:]
    assert degraded.shape == (8, 16, 16, 2) and len({m.tobytes() for m in masks}) == 8
    filled = np.asarray(model.generator(degraded))
    np.testing.assert_array_equal(filled * (1 - masks), clean * (1 - masks))
    # nothing of the hole's content reaches the generator
    other = np.where(masks > 0, 0.9, clean)
    np.testing.assert_allclose(np.asarray(model.generator(with_mask(other, masks))), filled,
                               atol=1e-6)


def test_fill_baselines_and_hole_l1():
    ramp = np.linspace(-1, 1, 16, dtype="float32")[None, None, :, None] * np.ones(
        (1, 16, 16, 1), "float32")
    masks = np.asarray(box_masks(1, 16, 16, 6, keras.random.SeedGenerator(0)))
    mean_error = restoration.hole_l1(restoration.mean_fill(ramp, masks), ramp, masks)[0]
    diffusion_error = restoration.hole_l1(restoration.diffusion_fill(ramp, masks), ramp, masks)[0]
    assert mean_error > 0.1 and diffusion_error < 0.01  # a ramp is harmonic: diffusion recovers it
    np.testing.assert_allclose(restoration.hole_l1(ramp + 0.25 * masks, ramp, masks), 0.25)


def _write_images(folder, count, size=20):
    folder.mkdir()
    for i in range(count):
        Image.fromarray(np.full((size, size), 40 * i + 30, np.uint8)).save(folder / f"img{i}.png")


def test_inpaint_command_with_a_box_and_with_masks(inpaint_preset, tmp_path):
    _write_images(tmp_path / "in", 2)
    cli.main(["inpaint", inpaint_preset, "--input", str(tmp_path / "in"), "--box", "2,3,5,4",
              "--out", str(tmp_path / "box")])
    source = np.asarray(Image.open(tmp_path / "in" / "img1.png").resize((16, 16)), float)
    result = np.asarray(Image.open(tmp_path / "box" / "img1.png"), float)
    known = np.ones((16, 16), bool)
    known[3:7, 2:7] = False
    assert result.shape == (16, 16) and np.abs(result - source)[known].max() <= 1
    (tmp_path / "masks").mkdir()
    for i in range(2):
        Image.fromarray(np.pad(np.full((4, 4), 255, np.uint8), 8)).save(
            tmp_path / "masks" / f"img{i}.png")
    cli.main(["inpaint", inpaint_preset, "--input", str(tmp_path / "in"), "--masks",
              str(tmp_path / "masks"), "--out", str(tmp_path / "masked")])
    assert (tmp_path / "masked" / "before_after.png").exists()


def test_bad_boxes_and_mask_folders_are_refused(tmp_path):
    for box, message in (("10,10,12,12", "must lie inside"), ("1,2,3", "four integers"),
                         ("1,2,0,3", "must lie inside")):
        with pytest.raises(ValueError, match=message):
            parse_box(box, 16)
    assert parse_box("2,3,5,4", 16) == (2, 3, 5, 4)
    with pytest.raises(FileNotFoundError, match="no such folder"):
        read_masks(str(tmp_path / "missing"), ["img0"], 16)
    with pytest.raises(ValueError, match="has no mask for img0"):
        read_masks(str(tmp_path), ["img0"], 16)
