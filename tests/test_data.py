"""ganzoo.data: digits, 2-D mixtures, image folders and the tfds path (mocked, offline)."""

import dataclasses
import io
import time

import numpy as np
import pytest
from PIL import Image

from ganzoo.config import DataConfig
from ganzoo.data import DatasetError, dataset_names, load_dataset, tfds_source, toy2d


def first_batch(name, batch=8, **kwargs):
    dataset, info = load_dataset(DataConfig(name=name, **kwargs), batch, seed=1)
    return next(iter(dataset)), info


def check_images(x, batch, resolution, channels):
    assert x.shape == (batch, resolution, resolution, channels)
    assert x.dtype.name == "float32"
    assert -1.0 <= float(np.min(x)) and float(np.max(x)) <= 1.0
    assert float(np.max(x)) - float(np.min(x)) > 0.5


@pytest.mark.parametrize("resolution", [16, 32])
def test_digits(resolution):
    (x, y), info = first_batch("digits", batch=32, resolution=resolution)
    check_images(x, 32, resolution, 1)
    assert y.dtype.name == "int32" and y.shape == (32,)
    assert set(np.asarray(y)) <= set(range(10)) and len(set(np.asarray(y))) > 1
    assert info.shape == (resolution, resolution, 1)
    assert (info.num_classes, info.num_examples) == (10, 1797)


def test_seeded_and_finite():
    config = DataConfig(name="digits", resolution=8)
    a = [y.numpy() for _, y in load_dataset(config, 64, seed=3, repeat=False)[0]]
    b = [y.numpy() for _, y in load_dataset(config, 64, seed=3, repeat=False)[0]]
    assert len(a) == 1797 // 64 and all((p == q).all() for p, q in zip(a, b))


@pytest.mark.parametrize("name, modes", [("ring", 8), ("grid", 25)])
def test_toy2d(name, modes):
    x, info = first_batch(name, batch=2000)
    assert x.shape == (2000, 2) and x.dtype.name == "float32"
    assert (info.shape, info.num_classes) == ((2,), 0)
    assert toy2d.MODES[name].shape == (modes, 2)
    covered, quality = toy2d.mode_coverage(x, name)
    assert covered == modes and quality > 0.98
    collapsed = toy2d.MODES[name][3] + np.zeros((500, 2))
    assert toy2d.mode_coverage(collapsed, name) == (1, 1.0)
    assert toy2d.mode_coverage(np.full((100, 2), 10.0), name) == (0, 0.0)


def write_images(folder, count, size=(20, 12), mode="RGB"):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for i in range(count):
        shape = size[::-1] + ((3,) if mode == "RGB" else ())
        pixels = rng.integers(0, 256, shape, dtype=np.uint8)
        Image.fromarray(pixels, mode).save(folder / f"{i}.{['png', 'jpg', 'bmp'][i % 3]}")


def test_folder_unlabeled(tmp_path):
    write_images(tmp_path, 5)
    x, info = first_batch(f"folder:{tmp_path}", batch=4, resolution=16)
    check_images(x, 4, 16, 3)
    assert (info.num_classes, info.num_examples) == (0, 5)


def test_folder_labeled(tmp_path):
    for name, count in [("cat", 4), ("ant", 3)]:
        write_images(tmp_path / name, count)
    (tmp_path / "ignored.txt").write_text("not an image")
    config = DataConfig(name=f"folder:{tmp_path}", resolution=8)
    dataset, info = load_dataset(config, 7, repeat=False)
    (x, y), = list(dataset)
    check_images(x, 7, 8, 3)
    assert sorted(np.asarray(y)) == [0, 0, 0, 1, 1, 1, 1]  # ant = 0, cat = 1
    assert (info.num_classes, info.num_examples) == (2, 7)


def test_folder_grayscale_and_gif(tmp_path):
    write_images(tmp_path, 3, mode="L")
    Image.fromarray(np.arange(240, dtype=np.uint8).reshape(12, 20), "L").save(tmp_path / "a.gif")
    x, info = first_batch(f"folder:{tmp_path}", batch=4, resolution=8)
    check_images(x, 4, 8, 1)
    assert info.shape == (8, 8, 1)


def mixed_sizes(path):
    write_images(path, 1, size=(32, 32))
    Image.new("RGB", (28, 28)).save(path / "z.png")


def garbage_file(path):
    write_images(path, 2)
    (path / "bad.png").write_bytes(b"garbage")


def truncated_png(path):
    write_images(path, 2)
    data = (path / "0.png").read_bytes()
    (path / "0.png").write_bytes(data[: len(data) // 2])


def truncated_jpeg(path):
    """Pillow's verify() passes it (JPEG has no checksums); only decoding finds the end gone."""
    write_images(path, 2)
    buffer = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (12, 20, 3), np.uint8)).save(
        buffer, "JPEG")
    (path / "cut.jpg").write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])


@pytest.mark.parametrize(
    "setup, expected",
    [
        (lambda path: None, ["images does not exist"]),
        (lambda path: path.mkdir(), ["No images in", "images", ".png", ".jpeg", "<class>"]),
        (mixed_sizes, ["0.png is 32x32 but z.png is 28x28", "resize them first"]),
        (garbage_file, ["bad.png is not a readable image"]),
        (truncated_png, ["0.png is not a readable image"]),
        (truncated_jpeg, ["cut.jpg is not a readable image"]),
    ],
    ids=["missing", "empty", "mixed_sizes", "garbage", "truncated", "truncated_jpeg"],
)
def test_folder_errors(tmp_path, setup, expected):
    path = tmp_path / "images"
    setup(path)
    with pytest.raises(DatasetError) as error:
        load_dataset(DataConfig(name=f"folder:{path}"), 2)
    message = str(error.value)
    assert "\n" not in message and all(part in message for part in expected), message


def test_long_preparation_prints_progress(tmp_path, monkeypatch, capsys):
    from ganzoo.data.base import Ticker

    monkeypatch.setattr(Ticker, "EVERY", 0.0)  # every update is "long"
    write_images(tmp_path / "images", 3)
    load_dataset(DataConfig(name=f"folder:{tmp_path / 'images'}", resolution=8,
                            cache=str(tmp_path / "cache")), 2)
    err = capsys.readouterr().err
    assert f"Checking 3 images in {tmp_path / 'images'}: 3/3 (100%)" in err
    assert "Decoding 3 examples into" in err and ": 3/3 (100%)" in err
    monkeypatch.setattr(Ticker, "EVERY", 60.0)
    load_dataset(DataConfig(name="digits", resolution=8), 2)
    assert capsys.readouterr().err == ""  # short work: no lines


def test_unknown_name():
    expected = "Valid choices: digits.*tensorflow-datasets.*folder:PATH"
    with pytest.raises(DatasetError, match=expected):
        load_dataset(DataConfig(name="digitz"), 2)
    assert {"digits", "ring", "grid", "folder:PATH"} <= set(dataset_names())


def test_tfds_mocked_mnist(tmp_path):
    import tensorflow_datasets as tfds

    with tfds.testing.mock_data(policy=tfds.testing.MockPolicy.USE_CODE, num_examples=40):
        dataset, info = load_dataset(DataConfig(name="mnist", data_dir=str(tmp_path)), 16)
        x, y = next(iter(dataset))
    check_images(x, 16, 32, 1)
    assert y.dtype.name == "int32" and (info.shape, info.num_classes) == ((32, 32, 1), 10)


def test_tfds_offline_fails_fast(tmp_path, monkeypatch):
    monkeypatch.setattr(tfds_source, "DOWNLOAD_HOST", ("ganzoo-offline.invalid", 443))
    start = time.time()
    with pytest.raises(DatasetError) as error:
        load_dataset(DataConfig(name="mnist", data_dir=str(tmp_path)), 2)
    message = str(error.value)
    assert time.time() - start < 30
    assert str(tmp_path) in message and str(tmp_path / "downloads" / "manual") in message, message


def test_resize_and_crop_jitters_two_domain_data_and_refuses_one_domain():
    """data.preprocess resize_and_crop: load at load_size, a random crop (the same for both
    images of a pair) and flip each time an element is read, after the cache."""
    config = DataConfig(name="digits_edges", resolution=16, preprocess="resize_and_crop",
                        load_size=24)
    dataset, info = load_dataset(config, 4, seed=0)
    assert info.shape == (16, 16, 1)
    first = next(iter(dataset))
    assert first["a"].shape == (4, 16, 16, 1) and first["b"].shape == (4, 16, 16, 1)
    unjittered = next(iter(load_dataset(DataConfig(name="digits_edges", resolution=16), 4)[0]))
    assert not np.allclose(first["b"], unjittered["b"])
    with pytest.raises(DatasetError, match="two-domain datasets"):
        load_dataset(dataclasses.replace(config, name="digits"), 4)
