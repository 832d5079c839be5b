"""Reading what training and the zoo leave on disk: run directories and presets.

The one place that resolves a source for consumers (presets, metrics, export, latent
tools, the CLI); it imports neither the trainer nor any consumer.

A run directory (written by ``ganzoo.training``) holds ``config.yaml`` (the resolved
config), ``model.json`` (the dataset's shape and classes) and ``checkpoints/``.

A preset is a folder (or a .tar.gz / .zip archive of one) holding ``config.json``
(networks, family, dataset info, recipe), weights-only ``*.weights.h5`` files and
``metadata.json`` (sha256 of every other file). ``open_preset`` finds a preset by shipped
name, registered name, folder or archive URL and checks every file's sha256 before
anything reads it: shipped presets against ``ganzoo/pretrained/index.json``, a downloaded
archive against the sha256 given with its URL, a local folder against its own
metadata.json. Downloads are cached under ``~/.ganzoo/`` (``$GANZOO_HOME`` to move it).
"""

import json
import os
import shutil
import tarfile
import tempfile
import urllib.parse
import zipfile

import keras

from ganzoo import config as config_lib
from ganzoo.build import build_family
from ganzoo.checkpointing import checkpoints, restore_latest
from ganzoo.data import DatasetInfo
from ganzoo.hashing import sha256_of
from ganzoo.registry import unknown_name

PRETRAINED_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pretrained")
INDEX_FILE = "index.json"
CONFIG_FILE = "config.json"
METADATA_FILE = "metadata.json"
WEIGHT_FILES = {
    "generator": "generator.weights.h5",
    "ema_generator": "ema_generator.weights.h5",
    "discriminator": "discriminator.weights.h5",
}
FORMAT_VERSION = 1
DEFAULT_LICENSE = "Apache-2.0"
ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".zip")
_REMOTE = {}


class PresetError(ValueError):
    """A preset that cannot be loaded or saved; the message says what to do."""


# ---- run directories ---------------------------------------------------------------------
def is_run_dir(path):
    """Whether ``path`` is a training run directory (what ``read_run`` reads is there)."""
    return all(os.path.isfile(os.path.join(str(path), f)) for f in ("config.yaml", "model.json"))


def read_run(run_dir):
    """(config, DatasetInfo) of a run directory; a clear error when it is not one."""
    config_path = os.path.join(run_dir, "config.yaml")
    if not os.path.isfile(config_path):
        raise FileNotFoundError(f"{run_dir} is not a ganzoo run directory (no config.yaml).")
    config = config_lib.load_yaml(config_path)
    with open(os.path.join(run_dir, "model.json")) as f:
        info = json.load(f)
    return config, DatasetInfo(**{**info, "shape": tuple(info["shape"])})


def load_run(run_dir):
    """The family model of a run with its newest intact checkpoint loaded."""
    config, info = read_run(run_dir)
    if not checkpoints(run_dir):
        raise FileNotFoundError(f"{run_dir} has no checkpoint yet: train it first.")
    model = build_family(config, info)
    restore_latest(model, run_dir)
    return model


# ---- finding and checking ----------------------------------------------------------------
def cache_home():
    return os.environ.get("GANZOO_HOME", os.path.join(os.path.expanduser("~"), ".ganzoo"))


def shipped_index():
    path = os.path.join(PRETRAINED_DIR, INDEX_FILE)
    if not os.path.isfile(path):
        return {}
    with open(path) as f:
        return json.load(f)


def register_preset(name, url, sha256):
    """Makes ``load_generator(name)`` download ``url`` (an archive) and check its ``sha256``."""
    _REMOTE[name] = (url, sha256)


def verify(folder, expected):
    """Checks every {file: sha256} of ``expected`` in ``folder``; refuses on any mismatch."""
    for filename, want in expected.items():
        path = os.path.join(folder, filename)
        if not os.path.isfile(path):
            raise PresetError(f"Preset {folder} lacks {filename}: restore or re-download it.")
        found = sha256_of(path)
        if found != want:
            raise PresetError(
                f"Refusing to load {path}: its sha256 is {found} but {want} is recorded. "
                "The file was changed or corrupted: restore it (reinstall ganzoo or "
                "re-download the preset).")


def _read_json(folder, filename, checked):
    if filename not in checked:
        raise PresetError(f"{filename} of {folder} has no recorded sha256: refusing to load it.")
    with open(os.path.join(folder, filename)) as f:
        return json.load(f)


def _download(url, sha256):
    """Local folder of the archive at ``url``, after checking the archive's sha256."""
    if not sha256:
        raise PresetError(
            f"Refusing to download {url} without its sha256: pass sha256='...' (the archive's "
            "hash, as `sha256sum` prints it) or use register_preset(name, url, sha256).")
    sha256 = sha256.strip().lower()
    basename = os.path.basename(urllib.parse.urlparse(url).path) or "preset.tar.gz"
    fname = f"{sha256[:12]}-{basename}"
    cached = os.path.join(cache_home(), "downloads", fname)
    if os.path.isfile(cached) and sha256_of(cached) != sha256:
        os.remove(cached)  # a stale or partial download: fetch it again
    try:
        archive = keras.utils.get_file(fname, origin=url, cache_dir=cache_home(),
                                       cache_subdir="downloads")
    except Exception as error:
        raise PresetError(f"Could not download {url}: {error}") from None
    found = sha256_of(archive)
    if found != sha256:
        os.remove(archive)
        raise PresetError(f"Refusing to load {url}: the archive's sha256 is {found} but "
                          f"{sha256} was expected. Check the URL and the hash.")
    folder = os.path.join(cache_home(), "presets", fname.split(".")[0])
    if not os.path.isdir(folder):
        _extract(archive, folder)
    return _preset_root(folder)


def _extract(archive, folder):
    """Extracts into a temp folder beside ``folder``, then renames it into place."""
    os.makedirs(os.path.dirname(folder), exist_ok=True)
    tmp = tempfile.mkdtemp(dir=os.path.dirname(folder))
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as z:
                for member in z.namelist():
                    target = os.path.realpath(os.path.join(tmp, member))
                    if not target.startswith(os.path.realpath(tmp) + os.sep):
                        raise PresetError(f"{archive} has an unsafe path {member!r}.")
                z.extractall(tmp)
        elif tarfile.is_tarfile(archive):
            with tarfile.open(archive) as t:
                t.extractall(tmp, filter="data")
        else:
            raise PresetError(f"{archive} is neither a .tar.gz nor a .zip archive.")
        try:
            os.replace(tmp, folder)
        except OSError:
            if not os.path.isdir(folder):  # else another process extracted it first
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _preset_root(folder):
    """``folder`` itself or its single subfolder, whichever holds metadata.json."""
    if os.path.isfile(os.path.join(folder, METADATA_FILE)):
        return folder
    inner = [os.path.join(folder, d) for d in os.listdir(folder)]
    inner = [d for d in inner if os.path.isfile(os.path.join(d, METADATA_FILE))]
    if len(inner) != 1:
        raise PresetError(f"{folder} is not a ganzoo preset (no {METADATA_FILE}).")
    return inner[0]


def _unknown(source):
    names = sorted({*shipped_index(), *_REMOTE})
    return PresetError(
        f"{unknown_name('preset', source, names)} Or a preset folder, a run directory, "
        "or a file:// / https:// URL with sha256=...")


def open_preset(source, sha256=None):
    """(folder, config.json, metadata.json) of ``source`` with every file's sha256 checked."""
    source = os.fspath(source)
    index = shipped_index()
    if source.startswith(("file://", "http://", "https://")):
        folder, expected = _download(source, sha256), None
    elif source in index:
        folder, expected = os.path.join(PRETRAINED_DIR, source), index[source]["files"]
    elif source in _REMOTE:
        folder, expected = _download(*_REMOTE[source]), None
    elif os.path.isdir(source):
        folder, expected = _preset_root(source), None
    else:
        raise _unknown(source)
    if expected is None:
        expected = {METADATA_FILE: sha256_of(os.path.join(folder, METADATA_FILE))}
        verify(folder, expected)
        expected.update(_read_json(folder, METADATA_FILE, expected)["files"])
    verify(folder, expected)
    if WEIGHT_FILES["generator"] not in expected:
        raise PresetError(f"Preset {folder} records no {WEIGHT_FILES['generator']}.")
    return (folder, _read_json(folder, CONFIG_FILE, expected),
            _read_json(folder, METADATA_FILE, expected))




def recipe_of(source, sha256=None):
    """The training config of a run directory or preset, None when a preset records none
    (a converted checkpoint)."""
    if is_run_dir(source):
        return read_run(source)[0]
    _, spec, _ = open_preset(source, sha256)
    return config_lib.from_dict(spec["recipe"]) if spec.get("recipe") else None
