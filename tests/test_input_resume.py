"""The input pipeline's position is saved with each checkpoint: a resume continues the data
where it stopped without reading the consumed batches again, across data epochs, from
memory or from the on-disk cache (data.cache); older checkpoints still resume by skipping."""

import warnings

import h5py
import numpy as np
import pytest
from PIL import Image

from conftest import tiny_config
from ganzoo import checkpointing, config as config_lib, training
from ganzoo.data import cache, load_dataset

IMAGES = 24  # with batch 4: a data epoch is 6 steps, so step 7 is in the second epoch


@pytest.fixture(scope="module")
def image_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("images")
    rng = np.random.default_rng(0)
    for i in range(IMAGES):
        Image.fromarray(rng.integers(0, 256, (8, 8, 3), np.uint8)).save(folder / f"{i:03d}.png")
    return str(folder)


def _config(folder, steps, **overrides):
    return tiny_config("dcgan", f"folder:{folder}", **{
        "train.steps": steps, "train.steps_per_epoch": 5, "train.checkpoint_every": 100,
        **overrides})


def _final(run_dir):
    return checkpointing.checkpoints(run_dir)[-1][1]


@pytest.fixture(scope="module")
def uninterrupted_run(tmp_path_factory, image_folder):
    run_dir = str(tmp_path_factory.mktemp("uninterrupted"))
    training.train(_config(image_folder, 10), run_dir, verbose=0)
    return run_dir


@pytest.fixture(scope="module")
def uninterrupted(uninterrupted_run):
    return checkpointing.arrays(_final(uninterrupted_run))


def _assert_same(expected, actual):
    assert sorted(expected) == sorted(actual)
    assert not [n for n in expected if not np.array_equal(expected[n], actual[n])]


def test_resume_in_second_data_epoch_restores_position_without_skipping(
        tmp_path, image_folder, uninterrupted):
    run_dir = str(tmp_path / "run")
    training.train(_config(image_folder, 7), run_dir, verbose=0)
    state = checkpointing.input_state(_final(run_dir))
    assert state and sum(map(len, state.values())) < 1 << 20  # positions, not images
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        training.train(_config(image_folder, 10), run_dir, verbose=0)
    assert not [w for w in caught if "consumed batches" in str(w.message)]
    _assert_same(uninterrupted, checkpointing.arrays(_final(run_dir)))


@pytest.mark.slow  # two more trainings; the skip is the path multi-device runs take
def test_checkpoint_without_input_position_resumes_by_skipping(tmp_path, image_folder,
                                                                uninterrupted):
    run_dir = str(tmp_path / "run")
    training.train(_config(image_folder, 7), run_dir, verbose=0)
    with h5py.File(_final(run_dir), "a") as f:  # as ganzoo wrote them before this change
        del f[checkpointing.INPUT_GROUP]
        f.attrs["ganzoo_sha256"] = checkpointing._digest(f)
    with pytest.warns(UserWarning, match=r"reads the 7 consumed batches \(28 examples\) again"):
        training.train(_config(image_folder, 10), run_dir, verbose=0)
    _assert_same(uninterrupted, checkpointing.arrays(_final(run_dir)))


def test_input_position_is_covered_by_the_digest(tmp_path, uninterrupted_run):
    path = str(tmp_path / "step.weights.h5")
    with open(_final(uninterrupted_run), "rb") as src, open(path, "wb") as dst:
        dst.write(src.read())
    with h5py.File(path, "a") as f:
        name = next(iter(f[checkpointing.INPUT_GROUP]))
        f[checkpointing.INPUT_GROUP][name][0] ^= 1
    with pytest.raises(checkpointing.CheckpointError, match="corrupt"):
        checkpointing.verify(path)


def test_disk_cache_reads_the_examples_memory_does_in_the_same_order(tmp_path, image_folder):
    data = _config(image_folder, 2).data
    on_disk = config_lib.override(_config(image_folder, 2, **{"data.cache": str(tmp_path)}),
                                  {}).data
    for _ in range(2):  # the second load reads the folder the first one wrote
        expected, _ = load_dataset(data, 4)
        actual, _ = load_dataset(on_disk, 4)
        for a, b in zip(expected.take(8), actual.take(8)):
            np.testing.assert_array_equal(a, b)
    assert [p.name for p in tmp_path.iterdir()] == [cache.key(on_disk)]


def test_data_cache_that_is_a_file_is_a_clear_error(tmp_path, image_folder):
    (tmp_path / "file").write_text("")
    with pytest.raises(config_lib.ConfigError, match="data.cache .* is a file"):
        _config(image_folder, 2, **{"data.cache": str(tmp_path / "file")})
