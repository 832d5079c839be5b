"""``read_state_dict``: the tensors of any checkpoint file ganzoo reads, as {key: np.ndarray}.

The format is told by the file's content, not its extension:
- torch.save (zip archive holding ``<name>/data.pkl``, or the legacy magic number): a dict of
  tensors, or a dict whose ``'state_dict'`` entry is one (``torch_files``);
- a StyleGAN2-ADA network pickle (any other binary pickle): ``'G/<key>'``, ``'G_ema/<key>'``
  and ``'D/<key>'`` from each network's torch state_dict (``network_pickle``);
- ``.npz`` (a zip archive of ``.npy`` members), read with ``allow_pickle=False``;
- ``.safetensors`` (huggingface/safetensors): an 8-byte little-endian header length N, N bytes
  of JSON ``{name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}}``,
  then the little-endian data, the offsets counted from its start.
"""

import json
import math
import os
import struct
import zipfile

import numpy as np

from ganzoo.io.errors import CheckpointFormatError
from ganzoo.io.network_pickle import NETWORK_KEYS, read_network_pickle
from ganzoo.io.torch_files import ZIP_MAGIC, check_zip_member, is_legacy, read_torch_file
from ganzoo.io.unpickler import ReadContext, is_int, numpy_dtype

KNOWN_FORMATS = ("torch.save .pt/.pth (zip or legacy), StyleGAN2-ADA network .pkl, .npz, "
                 ".safetensors")
PICK_TENSORS = ("read it with ganzoo.io.torch_files.read_torch_file and pick the dict of "
                "tensors from what it returns")
SAFETENSORS_DTYPES = {
    "F64": "f8", "F32": "f4", "F16": "f2", "BF16": "bf16", "I64": "i8", "I32": "i4",
    "I16": "i2", "I8": "i1", "U64": "u8", "U32": "u4", "U16": "u2", "U8": "u1", "BOOL": "b1",
}


def read_state_dict(path, prefix=None):
    """The tensors of a checkpoint file as {key: np.ndarray}, without executing anything.

    Args:
        path: a torch.save file, a StyleGAN2-ADA network pickle, an .npz or a .safetensors
            file (told apart by content).
        prefix: str or None (default None). Keep only keys starting with it, stripped
            (``"G_ema/"`` picks one network of a network pickle).

    Raises:
        UnsafeFileError: a pickle in the file names a global outside the allow-list.
        CheckpointFormatError: the file is truncated, corrupt or of another format.
    """
    readers = {"torch": torch_state_dict, "network_pickle": network_state_dict,
               "npz": read_npz, "safetensors": read_safetensors}
    tensors = readers[detect_format(path)](path)
    if prefix is None:
        return tensors
    picked = {key[len(prefix):]: value for key, value in tensors.items()
              if key.startswith(prefix)}
    if not picked:
        heads = sorted({key.split("/")[0] + "/" if "/" in key else key for key in tensors})
        raise CheckpointFormatError(path, f"no tensor key starts with {prefix!r}",
                                    f"pass a prefix that the keys start with: "
                                    f"{', '.join(map(str, heads[:8]))}")
    return picked


def detect_format(path):
    """'torch', 'network_pickle', 'npz' or 'safetensors', from the file's first bytes."""
    with open(path, "rb") as stream:
        head = stream.read(32)
    if is_legacy(head):
        return "torch"
    if head.startswith(ZIP_MAGIC):
        return zip_format(path)
    if head.startswith(b"\x80"):
        return "network_pickle"
    if len(head) > 8 and head[8:9] == b"{":
        return "safetensors"
    raise CheckpointFormatError(path, f"unknown format (first bytes {head[:8]!r})",
                                f"ganzoo reads {KNOWN_FORMATS}; convert it to one of them")


def zip_format(path):
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise CheckpointFormatError(path, f"expected a zip archive (torch.save or .npz), found "
                                          f"a broken one ({error})") from None
    if any(name.endswith("/data.pkl") for name in names):
        return "torch"
    if names and all(name.endswith(".npy") for name in names):
        return "npz"
    raise CheckpointFormatError(path, "a zip archive that is neither torch.save (no "
                                      "<name>/data.pkl) nor .npz (only .npy members)",
                                f"ganzoo reads {KNOWN_FORMATS}; convert it to one of them")


def torch_state_dict(path):
    value = read_torch_file(path)
    if isinstance(value, dict) and isinstance(value.get("state_dict"), dict):
        value = value["state_dict"]
    if not isinstance(value, dict):
        raise CheckpointFormatError(path, f"expected a dict of tensors, found a "
                                          f"{type(value).__name__}", PICK_TENSORS)
    others = [key for key, tensor in value.items()
              if not (isinstance(key, str) and isinstance(tensor, np.ndarray))]
    if others:
        raise CheckpointFormatError(path, f"expected a dict of tensors, but {others[:4]!r:.120} "
                                          "hold other things", PICK_TENSORS)
    return dict(value)


def network_state_dict(path):
    networks = read_network_pickle(path)
    return {f"{name}/{key}": value for name in NETWORK_KEYS
            for key, value in networks[name].state_dict().items()}


def read_npz(path):
    try:
        with zipfile.ZipFile(path) as members:
            context = ReadContext(path, os.path.getsize(path))
            for info in members.infolist():
                check_zip_member(info, context)
        with np.load(path, allow_pickle=False) as archive:
            return {key: archive[key] for key in archive.files}
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as error:
        raise CheckpointFormatError(path, f"expected an .npz of plain arrays, found a broken "
                                          f"one or one that needs pickle ({error})") from None


def read_safetensors(path):
    """A .safetensors file as {name: array}, checked against the bytes present."""
    with open(path, "rb") as stream:
        data = stream.read()
    (length,) = struct.unpack("<Q", data[:8].ljust(8, b"\0"))
    if len(data) < 8 or length > len(data) - 8:
        raise CheckpointFormatError(path, f"a safetensors header of {length} bytes, but "
                                          f"{max(len(data) - 8, 0)} bytes follow")
    try:
        header = json.loads(data[8: 8 + length])
    except (ValueError, UnicodeDecodeError) as error:
        raise CheckpointFormatError(path, f"expected a JSON safetensors header ({error})") \
            from None
    if not isinstance(header, dict):
        raise CheckpointFormatError(path, "expected a JSON object as the safetensors header")
    body, context = memoryview(data)[8 + length:], ReadContext(path, len(data))
    return {name: safetensors_array(context, name, entry, body)
            for name, entry in header.items() if name != "__metadata__"}


def safetensors_array(context, name, entry, body):
    code = SAFETENSORS_DTYPES.get(entry.get("dtype")) if isinstance(entry, dict) else None
    shape, offsets = (entry.get("shape"), entry.get("data_offsets")) if code else (None, None)
    if not (isinstance(shape, list) and all(map(is_int, shape)) and isinstance(offsets, list)
            and len(offsets) == 2 and all(map(is_int, offsets))):
        raise context.error(f"tensor {name!r} has a malformed entry {entry!r:.80} (dtypes "
                            f"known: {', '.join(SAFETENSORS_DTYPES)})")
    dtype = numpy_dtype(code).newbyteorder("<")
    begin, end = offsets
    if not begin <= end <= len(body) or end - begin != math.prod(shape) * dtype.itemsize:
        raise context.error(f"tensor {name!r} of shape {shape} spans bytes [{begin}, {end}) "
                            f"of {len(body)} present")
    context.charge(end - begin)
    array = np.frombuffer(body[begin:end], dtype).reshape(shape)
    return array.astype(dtype.newbyteorder("="), copy=True)
