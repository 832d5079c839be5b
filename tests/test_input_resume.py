"""A resumed run continues the data where it stopped without reading the consumed batches
again (the batches are a function of the step, ganzoo.data.batches), across data epochs, on
one device or two replicas, from memory, from files or from the on-disk cache (data.cache);
readers of some rows (replicas, workers) read only theirs. Streamed data skips, and says so."""

import warnings

import h5py
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from conftest import tiny_config
from ganzoo import checkpointing, config as config_lib, training
from ganzoo.data import batches, cache, load_dataset

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


def _train_quietly(config, run_dir):
    """Trains, failing on any warning that consumed batches are read again."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        training.train(config, run_dir, verbose=0)
    assert not [w for w in caught if "consumed batches" in str(w.message)]


def test_resume_in_second_data_epoch_continues_the_data_without_reading_it_again(
        tmp_path, image_folder, uninterrupted):
    run_dir = str(tmp_path / "run")
    training.train(_config(image_folder, 7), run_dir, verbose=0)
    with h5py.File(_final(run_dir), "r") as f:  # the position is the step alone
        assert checkpointing.INPUT_GROUP not in f
    _train_quietly(_config(image_folder, 10), run_dir)
    _assert_same(uninterrupted, checkpointing.arrays(_final(run_dir)))


def test_checkpoint_of_an_earlier_version_with_an_iterator_state_still_resumes(
        tmp_path, image_folder, uninterrupted):
    run_dir = str(tmp_path / "run")
    training.train(_config(image_folder, 7), run_dir, verbose=0)
    with h5py.File(_final(run_dir), "a") as f:  # as the previous release wrote them
        f[f"{checkpointing.INPUT_GROUP}/input.index"] = np.frombuffer(b"state", np.uint8)
        f.attrs["ganzoo_sha256"] = checkpointing._digest(f)
    checkpointing.verify(_final(run_dir))
    _train_quietly(_config(image_folder, 10), run_dir)
    _assert_same(uninterrupted, checkpointing.arrays(_final(run_dir)))


def test_resume_on_two_replicas_is_exact_too(tmp_path, image_folder):
    """TF's distributed iterators cannot be checkpointed; batches by step need not be."""
    config = lambda steps: _config(image_folder, steps, **{"train.strategy": "mirrored"})
    training.train(config(10), str(tmp_path / "whole"), verbose=0)
    run_dir = str(tmp_path / "run")
    training.train(config(7), run_dir, verbose=0)
    _train_quietly(config(10), run_dir)
    _assert_same(checkpointing.arrays(_final(str(tmp_path / "whole"))),
                 checkpointing.arrays(_final(run_dir)))


def _read_positions(count=IMAGES, batch=4):
    """(IndexedBatches whose reads are recorded, the list of positions read)."""
    read = []

    def record(rows):
        read.extend(rows[:, 1].tolist())
        return rows[:, 0]

    opened = batches.IndexedBatches(count, batch, seed=3, shuffle_buffer=count, repeat=True,
                                    read_rows=lambda rows: tf.numpy_function(
                                        record, [rows], tf.int64))
    return opened, read


def test_a_later_start_reads_no_example_of_the_batches_before_it():
    opened, read = _read_positions()
    whole = [b.numpy() for b in opened.dataset().take(12)]
    read.clear()
    later = [b.numpy() for b in opened.dataset(start=9).take(3)]
    np.testing.assert_array_equal(later, whole[9:])  # 9 is in the second data epoch
    assert min(read) == 9 * 4


def test_readers_of_rows_read_only_their_rows_and_together_the_global_batch():
    opened, read = _read_positions(batch=8)
    whole = [b.numpy() for b in opened.dataset().take(5)]
    parts = []
    for begin in (0, 4):  # two workers, two replicas each
        read.clear()
        parts.append([b.numpy() for b in opened.dataset(rows=(begin, begin + 4), parts=2)
                      .take(10)])
        assert {p % 8 for p in read} <= set(range(begin, begin + 4))
    for step in range(5):
        np.testing.assert_array_equal(np.concatenate(
            [parts[0][2 * step], parts[0][2 * step + 1],
             parts[1][2 * step], parts[1][2 * step + 1]]), whole[step])


@pytest.fixture(scope="module")
def file_sources(tmp_path_factory, image_folder):
    """{form: dataset name} of every source read from image files."""
    root = tmp_path_factory.mktemp("sources")
    rng = np.random.default_rng(1)
    for folder, count, size in (("pairs", 6, (8, 16)), ("a", 5, (8, 8)), ("b", 7, (8, 8)),
                                ("captions", 6, (8, 8))):
        (root / folder).mkdir()
        for i in range(count):
            pixels = rng.integers(0, 256, (*size, 3), np.uint8)
            Image.fromarray(pixels).save(root / folder / f"{i}.png")
            if folder == "captions":
                (root / folder / f"{i}.txt").write_text(["a bold three", "a thin one"][i % 2])
    return {"folder": f"folder:{image_folder}", "pairs": f"pairs:{root / 'pairs'}",
            "folders": f"folders:{root / 'a'},{root / 'b'}",
            "captions": f"captions:{root / 'captions'}"}


@pytest.mark.parametrize("form, preprocess", [
    ("folder", "resize"), ("pairs", "resize_and_crop"), ("folders", "resize"),
    ("captions", "resize")])
def test_files_over_the_memory_limit_are_read_by_file_in_the_order_memory_gives(
        file_sources, form, preprocess, monkeypatch):
    import ganzoo.data

    config = config_lib.DataConfig(name=file_sources[form], resolution=8, load_size=10,
                                   preprocess=preprocess)
    in_memory, _ = load_dataset(config, 4)
    monkeypatch.setattr(ganzoo.data, "CACHE_LIMIT_BYTES", 0)
    by_file, _ = ganzoo.data.open_batches(config, 4)
    assert not by_file.streamed and by_file.read_row is not None
    for a, b in zip(in_memory.take(4), by_file.dataset().take(4)):
        for x, y in zip(tf.nest.flatten(a), tf.nest.flatten(b)):
            np.testing.assert_array_equal(x, y)


def test_streamed_data_resumes_by_skipping_and_says_what_it_costs():
    dataset = tf.data.Dataset.range(100).batch(4)
    streamed = batches.StreamedBatches(dataset, 4)
    with pytest.warns(UserWarning, match=r"reads the 5 consumed batches \(20 examples\) again"):
        first = next(iter(streamed.dataset(start=5)))
    np.testing.assert_array_equal(first, [20, 21, 22, 23])


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
