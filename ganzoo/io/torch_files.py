"""Reads files written by ``torch.save`` without torch and without executing anything.

Both formats of pytorch/pytorch torch/serialization.py are read:
- the zip archive (torch >= 1.6): ``<name>/data.pkl`` is the object's pickle, whose persistent
  ids ``('storage', storage_type, key, location, numel)`` name the raw little-endian storages
  ``<name>/data/<key>`` (``<name>/byteorder`` says ``little`` or ``big``);
- the legacy format (``_use_new_zipfile_serialization=False``, e.g. the released CycleGAN
  ``latest_net_G.pth``): consecutive pickles -- the magic number 0x1950a86a20f9469cfc6c, the
  protocol version 1001, the system info (``little_endian``), the object pickle with persistent
  ids ``('storage', storage_type, root_key, location, numel, view_metadata)`` where
  ``view_metadata`` is None or ``(view_key, offset, numel)``, the list of storage keys -- then
  for each key in that order an int64 element count and the storage's raw bytes.
The object pickle goes through ``unpickler.RestrictedUnpickler``. A legacy file's tensors
are rebuilt in a second pass over its object pickle, once the storages after it are read.
"""

import io
import struct
import zipfile
import zlib

from ganzoo.io.unpickler import (ReadContext, Storage, StorageType, is_int, numpy_dtype,
                                 tensor_globals, unpickle)

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
LEGACY_PROTOCOL = 1001
LEGACY_MAGIC_LONG = b"\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19."  # pickle opcodes: LONG1 magic, STOP
ZIP_MAGIC = b"PK\x03\x04"
MAX_COMPRESSION_RATIO = 1100  # deflate's own limit is 1032:1; more is a zip bomb


def read_torch_file(path):
    """The object a ``torch.save`` file holds, read without torch.

    Every tensor and parameter becomes a C-contiguous numpy array (its dtype, shape, strides
    and offset honoured), every OrderedDict a dict.

    Raises:
        UnsafeFileError: the file names a global outside the allow-list.
        CheckpointFormatError: it is truncated, corrupt or not a torch.save file.
    """
    with open(path, "rb") as stream:
        data = stream.read()
    return read_torch_bytes(data, ReadContext(path, len(data)))


def read_torch_bytes(data, context):
    """``read_torch_file`` on bytes in memory; ``context`` names the file in messages."""
    if data.startswith(ZIP_MAGIC):
        return read_zip(data, context)
    if is_legacy(data[:32]):
        return read_legacy(data, context)
    raise context.error(f"expected a torch.save file (a zip archive or the legacy format), "
                        f"found {len(data)} bytes starting {data[:8]!r}")


def is_legacy(head):
    """Whether a file's first bytes pickle the legacy magic number (any pickle protocol: 2, as
    torch writes by default, or a later one behind its frame header)."""
    return head.startswith(b"\x80") and LEGACY_MAGIC_LONG in head[:24]


def torch_globals(context):
    """The allow-list of a torch pickle, with ``torch.storage._load_from_bytes`` (a storage
    saved in the legacy format, as ``torch.Storage.__reduce__`` writes it) read here too."""
    allowed = tensor_globals(context)
    allowed[("torch.storage", "_load_from_bytes")] = lambda raw: storage_from_bytes(raw, context)
    return allowed


def storage_from_bytes(raw, context):
    if not isinstance(raw, bytes):
        raise context.error("a saved storage is not bytes")
    storage = read_torch_bytes(raw, context)
    if not isinstance(storage, Storage):
        raise context.error("a saved storage holds something other than a storage")
    return storage


def parse_storage_id(pid, context, length):
    """(dtype, key, numel, rest) of a persistent id ``('storage', type, key, location, numel,
    ...)`` of ``length`` items."""
    if not (isinstance(pid, tuple) and len(pid) == length and pid[0] in ("storage", b"storage")):
        raise context.error(f"expected a storage id of {length} items, found {pid!r:.80}")
    storage_type, key, numel = pid[1], pid[2], pid[4]
    if not (isinstance(storage_type, StorageType) and isinstance(key, str) and is_int(numel)):
        raise context.error(f"a storage id is malformed: {pid!r:.80}")
    return numpy_dtype(storage_type.code), key, numel, pid[5:]


def read_zip(data, context):
    try:
        return read_zip_archive(zipfile.ZipFile(io.BytesIO(data)), context)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, zlib.error,
            NotImplementedError) as error:
        raise context.error(f"expected a torch zip archive, found a broken one "
                            f"({type(error).__name__}: {error})") from None


def read_zip_archive(archive, context):
    names = archive.namelist()
    for name in names:
        if name.startswith("/") or "\\" in name or ".." in name.split("/"):
            raise context.error(f"zip member {name!r:.120} escapes the archive", crafted=True)
    pickles = [name for name in names if name.count("/") == 1 and name.endswith("/data.pkl")]
    if len(pickles) != 1:
        raise context.error(f"expected one <name>/data.pkl in the zip archive, found "
                            f"{len(pickles)}; is it a torch.save file?")
    prefix = pickles[0][: -len("data.pkl")]
    byteorder = "little"
    if prefix + "byteorder" in names:
        with archive.open(prefix + "byteorder") as stream:
            byteorder = stream.read(16).decode("ascii", "replace").strip()
    if byteorder not in ("little", "big"):
        raise context.error(f"expected byteorder 'little' or 'big', found {byteorder!r}")
    storages = {}

    def storage_for(pid):
        dtype, key, numel, _ = parse_storage_id(pid, context, 5)
        if key not in storages:
            storages[key] = read_zip_storage(archive, f"{prefix}data/{key}", dtype, numel,
                                             byteorder, context)
        if storages[key].dtype != dtype:
            raise context.error(f"storage {key} is read as two dtypes")
        return storages[key]

    with archive.open(check_zip_member(archive.getinfo(pickles[0]), context)) as stream:
        return unpickle(io.BytesIO(stream.read()), context, torch_globals(context), storage_for)


def read_zip_storage(archive, member, dtype, numel, byteorder, context):
    try:
        info = archive.getinfo(member)
    except KeyError:
        raise context.error(f"the archive lacks {member}, a storage its pickle uses") from None
    nbytes = numel * dtype.itemsize
    if info.file_size < nbytes:
        raise context.error(f"storage {member} needs {nbytes} bytes, the archive holds "
                            f"{info.file_size}")
    with archive.open(check_zip_member(info, context)) as stream:
        raw = stream.read(nbytes)
    if len(raw) < nbytes:
        raise context.error(f"storage {member} is truncated ({len(raw)} of {nbytes} bytes)")
    storage = Storage(dtype, numel)
    storage.fill(raw, "<" if byteorder == "little" else ">")
    return storage


def check_zip_member(info, context):
    """``info`` if its declared size is one that deflate can reach; a zip bomb is refused."""
    if info.file_size > MAX_COMPRESSION_RATIO * max(info.compress_size, 1):
        raise context.error(f"{info.filename} would expand {info.compress_size} bytes to "
                            f"{info.file_size}, a zip bomb", crafted=True)
    return info


def read_legacy(data, context):
    stream = io.BytesIO(data)
    no_globals = {}
    magic, protocol = unpickle(stream, context, no_globals), unpickle(stream, context, no_globals)
    if magic != LEGACY_MAGIC or protocol != LEGACY_PROTOCOL:
        raise context.error(f"expected torch's legacy magic number and protocol "
                            f"{LEGACY_PROTOCOL}, found {magic!r:.40} and {protocol!r:.40}")
    sys_info = unpickle(stream, context, no_globals)
    little = not isinstance(sys_info, dict) or sys_info.get("little_endian", True) is not False
    object_start = stream.tell()
    roots = {}

    def storage_for(pid):
        dtype, key, numel, (view,) = parse_storage_id(pid, context, 6)
        root = roots.setdefault(key, Storage(dtype, numel))
        if root.dtype != dtype:
            raise context.error(f"storage {key} is read as two dtypes")
        return root if view is None else storage_view(root, view, context)

    unpickle(stream, context, torch_globals(context), storage_for)
    keys = unpickle(stream, context, no_globals)
    if not (isinstance(keys, list) and all(isinstance(key, str) for key in keys)
            and set(keys) == set(roots) and len(keys) == len(roots)):
        raise context.error(f"the legacy file lists storages {keys!r:.80}; its pickle uses "
                            f"{sorted(roots)!r:.80}")
    position = stream.tell()
    for key in keys:
        position = read_legacy_storage(data, position, roots[key], key, little, context)
    stream.seek(object_start)
    return unpickle(stream, context, torch_globals(context), storage_for)


def read_legacy_storage(data, position, storage, key, little, context):
    """Fills ``storage`` from its int64 element count and raw bytes at ``position``;
    returns the position after them."""
    header = data[position: position + 8]
    if len(header) < 8:
        raise context.error(f"the legacy file ends before storage {key}")
    (count,) = struct.unpack("<q" if little else ">q", header)
    nbytes = count * storage.dtype.itemsize
    left = len(data) - position - 8
    if count != storage.numel or nbytes > left:
        raise context.error(f"storage {key} claims {count} elements ({nbytes} bytes); its "
                            f"pickle says {storage.numel} and {left} bytes remain")
    start = position + 8
    storage.fill(memoryview(data)[start: start + nbytes], "<" if little else ">")
    return start + nbytes


def storage_view(root, view, context):
    """A legacy view ``(view_key, offset, numel)`` of a root storage, in elements."""
    if not (isinstance(view, tuple) and len(view) == 3 and is_int(view[1]) and is_int(view[2])):
        raise context.error(f"a storage view is malformed: {view!r:.80}")
    _, offset, numel = view
    if offset + numel > root.numel:
        raise context.error(f"a storage view [{offset}, {offset + numel}) reaches past its "
                            f"storage of {root.numel} elements")
    array = None if root.array is None else root.array[offset: offset + numel]
    return Storage(root.dtype, numel, array)

