"""ganzoo.data.scan_cache: a folder's scan is remembered until a file changes."""

import errno
import json
import os
import stat

import numpy as np
import PIL.Image
import pytest

from ganzoo.config import DataConfig
from ganzoo.data import DatasetError, folder, load_dataset, scan_cache

OLD = 1_600_000_000  # mtime (s) of the test files: older than scan_cache.RECENT_S


class CountingScan:
    def __init__(self, result=((8, 6), False)):
        self.calls, self.result = 0, result

    def __call__(self, files, root):
        self.calls += 1
        return self.result


@pytest.fixture
def cache(tmp_path, monkeypatch):
    root = tmp_path / "cache"
    monkeypatch.setenv("GANZOO_CACHE", str(root))
    return root


def write_files(folder, names, mtime=OLD):
    folder.mkdir(exist_ok=True)
    for name in names:
        (folder / name).write_bytes(name.encode())
        if mtime is not None:
            os.utime(folder / name, (mtime, mtime))
    return [str(folder / n) for n in names]


def stored(cache):
    return sorted(p.name for p in (cache / scan_cache.SUBFOLDER).glob("*"))


def test_second_call_on_unchanged_files_does_not_scan(tmp_path, cache):
    files, scan = write_files(tmp_path / "images", ["a.png", "b.png"]), CountingScan()
    first = scan_cache.remembered(files, str(tmp_path / "images"), scan)
    second = scan_cache.remembered(files, str(tmp_path / "images"), scan)
    assert scan.calls == 1
    assert first == second == ((8, 6), False)
    assert type(second) is tuple and type(second[0]) is tuple and type(second[1]) is bool
    [name] = stored(cache)
    assert json.loads((cache / scan_cache.SUBFOLDER / name).read_text()) == {
        "format": scan_cache.FORMAT, "size": [8, 6], "gray": False}


@pytest.mark.parametrize("change", ["mtime", "append", "add", "rename", "reorder"])
def test_a_changed_file_list_rescans(tmp_path, cache, change):
    folder = tmp_path / "images"
    files, scan = write_files(folder, ["a.png", "b.png"]), CountingScan()
    scan_cache.remembered(files, str(folder), scan)
    if change == "mtime":
        os.utime(files[0], (OLD + 1, OLD + 1))
    elif change == "append":
        with open(files[1], "ab") as f:
            f.write(b"x")
        os.utime(files[1], (OLD, OLD))  # same mtime: the size alone changes the key
    elif change == "add":
        files += write_files(folder, ["c.png"])
    elif change == "rename":
        os.rename(files[1], folder / "z.png")
        files[1] = str(folder / "z.png")
    else:
        files.reverse()
    scan_cache.remembered(files, str(folder), scan)
    assert scan.calls == 2
    assert len(stored(cache)) == 2


def test_recently_modified_files_are_not_remembered(tmp_path, cache):
    files, scan = write_files(tmp_path, ["a.png"], mtime=None), CountingScan()
    for _ in range(2):
        scan_cache.remembered(files, str(tmp_path), scan)
    assert scan.calls == 2 and not (cache / scan_cache.SUBFOLDER).exists()


@pytest.mark.parametrize("content", ["{not json", '{"format": 0, "size": [8, 6], "gray": false}',
                                     '{"format": 1, "size": [8, true], "gray": false}', "[]"])
def test_a_corrupt_cache_file_rescans_and_is_replaced(tmp_path, cache, content):
    files, scan = write_files(tmp_path / "images", ["a.png"]), CountingScan()
    scan_cache.remembered(files, str(tmp_path / "images"), scan)
    [path] = (cache / scan_cache.SUBFOLDER).glob("*.json")
    path.write_text(content)
    assert scan_cache.remembered(files, str(tmp_path / "images"), scan) == ((8, 6), False)
    assert scan.calls == 2
    assert json.loads(path.read_text())["size"] == [8, 6]
    assert stored(cache) == [path.name]  # no temporary file left behind


def refuse(*args, **kwargs):
    raise PermissionError(errno.EACCES, "Permission denied")


def make_unwritable(cache, how, monkeypatch):
    if how == "file":
        cache.write_text("in the way")
    else:
        cache.mkdir()
        cache.chmod(stat.S_IRUSR | stat.S_IXUSR)
        if os.geteuid() == 0:  # root writes into read-only folders: refuse as the kernel would
            monkeypatch.setattr(scan_cache.tempfile, "mkstemp", refuse)


@pytest.mark.parametrize("how", ["file", "read-only"])
def test_an_unwritable_cache_root_still_returns_the_scan(tmp_path, cache, how, monkeypatch):
    files, scan = write_files(tmp_path / "images", ["a.png"]), CountingScan()
    make_unwritable(cache, how, monkeypatch)
    try:
        with pytest.warns(UserWarning, match="GANZOO_CACHE"):
            assert scan_cache.remembered(files, str(tmp_path / "images"), scan) == ((8, 6), False)
    finally:
        if cache.is_dir():
            cache.chmod(stat.S_IRWXU)
    assert scan.calls == 1


def test_a_scan_that_raises_remembers_nothing(tmp_path, cache):
    files = write_files(tmp_path / "images", ["a.png"])

    def failing(files, root):
        raise DatasetError("a.png is not a readable image")

    for _ in range(2):
        with pytest.raises(DatasetError, match="not a readable image"):
            scan_cache.remembered(files, str(tmp_path / "images"), failing)
    assert not (cache / scan_cache.SUBFOLDER).exists() or stored(cache) == []


def write_pngs(folder, count):
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(count):
        path = folder / f"{i}.png"
        PIL.Image.fromarray(rng.integers(0, 255, (6, 10, 3), np.uint8)).save(path)
        os.utime(path, (OLD, OLD))


def test_a_folder_reader_opens_its_images_once(tmp_path, cache, monkeypatch):
    write_pngs(tmp_path / "images", 3)
    files = sorted(str(p) for p in (tmp_path / "images").glob("*.png"))
    opened = []
    real_open = PIL.Image.open
    monkeypatch.setattr(PIL.Image, "open", lambda path, *a, **k: (opened.append(path),
                                                                  real_open(path, *a, **k))[1])
    for _ in range(2):
        read, channels = folder.image_reader(files, str(tmp_path / "images"))
        assert read(files[0]).shape == (6, 10, 3) and channels == 3
    assert len(opened) == 6  # the first scan's verify() and size read, 3 images each


def test_a_corrupt_image_is_reported_every_time(tmp_path, cache):
    write_pngs(tmp_path / "images", 2)
    (tmp_path / "images" / "1.png").write_bytes(b"\x89PNG not really")
    os.utime(tmp_path / "images" / "1.png", (OLD, OLD))
    config = DataConfig(name=f"folder:{tmp_path / 'images'}", resolution=8)
    for _ in range(2):
        with pytest.raises(DatasetError, match="1.png is not a readable image"):
            load_dataset(config, 2)
