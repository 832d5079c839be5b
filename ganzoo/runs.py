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
metadata.json. Downloads are cached under ``~/.ganzoo/`` (``$GANZOO_HOME`` to move it);
a ``file://`` archive is read where it lies.

Archives are unpacked as a stream, member by member: only regular files and folders with
relative paths inside the target, at most ``MAX_MEMBERS`` of them, and a total size (as
declared before any byte is written, and as counted while writing) of at most
``unpack_limit(archive)``: ``MAX_RATIO`` times the archive's size plus ``RATIO_ALLOWANCE``,
never over ``MAX_UNPACKED_BYTES``. A bomb is refused at its first oversized header. The
sha256 of every unpacked file is recorded at unpack time (``UNPACKED_FILE``) and every
later load re-checks the cached folder against it, so an edit in the cache (weights and
metadata.json alike) is refused.
"""

import hashlib
import json
import os
import shutil
import tarfile
import tempfile
import urllib.parse
import urllib.request
import zipfile
import zlib

import h5py
import keras

from ganzoo import config as config_lib
from ganzoo.factory import build_family
from ganzoo.checkpointing import checkpoints, restore_latest
from ganzoo.data import DatasetInfo
from ganzoo.hashing import sha256_of
from ganzoo.registry import unknown_name

PRETRAINED_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pretrained")
INDEX_FILE = "index.json"
CONFIG_FILE = "config.json"
METADATA_FILE = "metadata.json"
WEIGHTS_SUFFIX = ".weights.h5"
WEIGHT_FILES = {role: role + WEIGHTS_SUFFIX
                for role in ("generator", "ema_generator", "discriminator")}
FORMAT_VERSION = 1
DEFAULT_LICENSE = "Apache-2.0"
ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".zip")
UNPACKED_FILE = ".ganzoo_unpacked.json"  # {file: sha256} recorded when the archive was unpacked
MAX_MEMBERS = 64
MAX_RATIO = 100  # unpacked bytes per archive byte (a weights file barely compresses)
RATIO_ALLOWANCE = 16 << 20
MAX_UNPACKED_BYTES = 8 << 30
CHUNK = 1 << 20
_REMOTE = {}


class PresetError(ValueError):
    """A preset that cannot be loaded or saved; the message says what to do."""


def weight_file(role):
    """The preset file of a family's network ``role`` (``GAN.saved_networks``)."""
    return role + WEIGHTS_SUFFIX


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
    """The JSON object in ``folder/filename`` (sha256 already checked)."""
    if filename not in checked:
        raise PresetError(f"{filename} of {folder} has no recorded sha256: refusing to load it.")
    try:
        with open(os.path.join(folder, filename)) as f:
            values = json.load(f)
    except (ValueError, UnicodeDecodeError):
        values = None
    if not isinstance(values, dict):
        raise PresetError(f"{os.path.join(folder, filename)} is not a JSON object: restore "
                          "or re-download the preset.")
    return values


def _check_spec(folder, spec, metadata):
    """Refuses a config.json that lacks a network or whose network sizes would exhaust
    memory, and a recorded weights file that is not HDF5 (e.g. empty)."""
    for role in ("generator", "discriminator"):
        entry = spec.get(role)
        if not (isinstance(entry, dict) and isinstance(entry.get("config"), dict)):
            raise PresetError(f"{folder}/{CONFIG_FILE} has no {role} network: re-create it.")
        try:
            config_lib.check_network_sizes(entry["config"], f"{folder}/{CONFIG_FILE} {role}")
        except config_lib.ConfigError as error:
            raise PresetError(f"{error} Refusing to build it.") from None
    for filename in metadata["files"]:
        path = os.path.join(folder, filename)
        if filename.endswith(".weights.h5") and not h5py.is_hdf5(path):
            raise PresetError(f"{path} is not an HDF5 weights file: restore or re-download it.")


def unpack_limit(archive):
    """The most bytes ``archive`` may unpack to."""
    return min(MAX_UNPACKED_BYTES, RATIO_ALLOWANCE + MAX_RATIO * os.path.getsize(archive))


def _tar_members(archive):
    with tarfile.open(archive, "r|*") as t:
        for member in t:
            kind = "dir" if member.isdir() else "file" if member.isfile() else "link or device"
            yield member.name, kind, member.size, lambda m=member: t.extractfile(m)


def _zip_members(archive):
    with zipfile.ZipFile(archive) as z:
        for info in z.infolist():
            is_link = (info.external_attr >> 16) & 0o170000 == 0o120000
            kind = "dir" if info.is_dir() else "link or device" if is_link else "file"
            yield info.filename, kind, info.file_size, lambda i=info: z.open(i)


def _safe_name(archive, name):
    parts = name.replace("\\", "/").split("/")
    if name.startswith(("/", "\\")) or ".." in parts or ":" in parts[0] or not name.strip("/"):
        raise PresetError(f"{archive} has an unsafe member path {name!r}: refusing to unpack it.")
    if name.strip("/") == UNPACKED_FILE:
        raise PresetError(f"{archive} has a member named {UNPACKED_FILE}: refusing to unpack it.")
    return os.path.join(*[p for p in parts if p not in ("", ".")])


def _unpack(archive, tmp):
    """Streams ``archive`` into ``tmp`` within the limits; {file: sha256} of what it wrote."""
    members = _zip_members if zipfile.is_zipfile(archive) else _tar_members
    limit, declared, written, hashes = unpack_limit(archive), 0, 0, {}
    for count, (name, kind, size, open_member) in enumerate(members(archive), 1):
        relative = _safe_name(archive, name)
        if count > MAX_MEMBERS:
            raise PresetError(f"{archive} has over {MAX_MEMBERS} members: refusing to unpack it.")
        if kind == "link or device":
            raise PresetError(f"{archive} member {name!r} is a link or device: refusing it.")
        declared += size
        if declared > limit:
            raise PresetError(f"{archive} would unpack to over {limit} bytes (member {name!r} "
                              f"declares {size}): refusing it as an archive bomb.")
        target = os.path.join(tmp, relative)
        if kind == "dir":
            os.makedirs(target, exist_ok=True)
            continue
        os.makedirs(os.path.dirname(target), exist_ok=True)
        sha = hashlib.sha256()
        with open_member() as source, open(target, "xb") as out:
            while chunk := source.read(CHUNK):
                written += len(chunk)
                if written > declared:
                    raise PresetError(f"{archive} member {name!r} holds more than it declares: "
                                      "refusing the archive.")
                sha.update(chunk)
                out.write(chunk)
        hashes[relative.replace(os.sep, "/")] = sha.hexdigest()
    return hashes


def _check_unpacked(folder, source):
    """Re-checks a cached unpacked archive against the hashes recorded when unpacking it."""
    record = os.path.join(folder, UNPACKED_FILE)
    try:
        with open(record) as f:
            expected = json.load(f)
    except (OSError, ValueError):
        expected = None
    found = {}
    for root, _, files in os.walk(folder):
        for filename in files:
            path = os.path.join(root, filename)
            found[os.path.relpath(path, folder).replace(os.sep, "/")] = sha256_of(path)
    found.pop(UNPACKED_FILE, None)
    if found != expected:
        changed = sorted(set(found) ^ set(expected or {}) | {
            f for f in found if (expected or {}).get(f, found[f]) != found[f]})
        raise PresetError(f"The cached copy of {source} in {folder} changed since it was "
                          f"unpacked ({(changed or [UNPACKED_FILE])[0]}): delete {folder} to "
                          "unpack it again.")


def _download(url, sha256):
    """Local folder of the archive at ``url``, after checking the archive's sha256."""
    if not sha256:
        raise PresetError(
            f"Refusing to download {url} without its sha256: pass sha256='...' (the archive's "
            "hash, as `sha256sum` prints it) or use register_preset(name, url, sha256).")
    sha256 = sha256.strip().lower()
    parsed = urllib.parse.urlparse(url)
    basename = os.path.basename(parsed.path) or "preset.tar.gz"
    fname = f"{sha256[:12]}-{basename}"
    local = parsed.scheme == "file"
    if local:
        archive = urllib.request.url2pathname(parsed.path)
        if not os.path.isfile(archive):
            raise PresetError(f"{url}: no such file; check the path.")
    else:
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
        if not local:
            os.remove(archive)
        raise PresetError(f"Refusing to load {url}: the archive's sha256 is {found} but "
                          f"{sha256} was expected. Check the URL and the hash.")
    folder = os.path.join(cache_home(), "presets", fname.split(".")[0])
    if not os.path.isdir(folder):
        try:
            _extract(archive, folder)
        except PresetError:
            if not local:
                os.remove(archive)
            raise
    _check_unpacked(folder, url)
    return _preset_root(folder)


def _extract(archive, folder):
    """Unpacks into a temp folder beside ``folder`` (see ``_unpack``), records the hashes
    and renames it into place; a refused archive leaves nothing behind."""
    parent = os.path.dirname(folder)
    created = [d for d in (os.path.dirname(parent), parent) if not os.path.isdir(d)]
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(dir=parent)
    try:
        try:
            hashes = _unpack(archive, tmp)
        except (tarfile.TarError, zipfile.BadZipFile, EOFError, zlib.error, OSError) as error:
            raise PresetError(f"{archive} is not a readable .tar.gz or .zip archive "
                              f"({type(error).__name__}): re-download it.") from None
        with open(os.path.join(tmp, UNPACKED_FILE), "w") as f:
            json.dump(hashes, f, indent=2, sort_keys=True)
        try:
            os.replace(tmp, folder)
        except OSError:
            if not os.path.isdir(folder):  # else another process extracted it first
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        for directory in reversed(created):
            if os.path.isdir(directory) and not os.listdir(directory):
                os.rmdir(directory)


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
        metadata = _read_json(folder, METADATA_FILE, expected)
        if not isinstance(metadata.get("files"), dict):
            raise PresetError(f"{folder}/{METADATA_FILE} has no \"files\" record of sha256s: "
                              "it is not a ganzoo preset; re-create or re-download it.")
        expected.update(metadata["files"])
    verify(folder, expected)
    if WEIGHT_FILES["generator"] not in expected:
        raise PresetError(f"Preset {folder} records no {WEIGHT_FILES['generator']}.")
    spec, metadata = (_read_json(folder, CONFIG_FILE, expected),
                      _read_json(folder, METADATA_FILE, expected))
    _check_spec(folder, spec, metadata)
    return folder, spec, metadata




def recipe_of(source, sha256=None):
    """The training config of a run directory or preset, None when a preset records none
    (a converted checkpoint)."""
    if is_run_dir(source):
        return read_run(source)[0]
    _, spec, _ = open_preset(source, sha256)
    return config_lib.from_dict(spec["recipe"]) if spec.get("recipe") else None
