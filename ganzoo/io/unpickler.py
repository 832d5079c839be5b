"""The restricted unpickler under every torch reader: it rebuilds tensors as numpy arrays and
refuses every global that its caller did not allow. Nothing in a file is ever executed.

What a torch pickle may name, and what ganzoo gives it instead (format facts from
pytorch/pytorch torch/_utils.py and torch/serialization.py):
- ``torch.<X>Storage`` (and ``torch[.storage].UntypedStorage``, bytes): a ``StorageType``
  that only carries the element dtype; storages arrive through ``persistent_load``.
- ``torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad,
  backward_hooks[, metadata])``: the strided view of the storage (in elements), copied into a
  C-contiguous numpy array; ``_rebuild_parameter(data, requires_grad, backward_hooks)``: data.
- ``collections.OrderedDict``: a dict (``OrderedDictRecord``); ``torch.Size``: a tuple of ints.
- ``numpy.dtype(descr, align, copy)`` + BUILD state ``(version, byteorder, ...)`` and
  ``numpy[._]core.multiarray.scalar(dtype, raw bytes)`` (numpy's own pickling of a scalar):
  rebuilt here for plain numeric dtypes only; numpy's callables are never handed over.
"""

import math
import pickle
import re

import numpy as np

from ganzoo.io.errors import CheckpointFormatError, UnsafeFileError

STORAGE_DTYPES = {
    "FloatStorage": "f4", "DoubleStorage": "f8", "HalfStorage": "f2", "BFloat16Storage": "bf16",
    "LongStorage": "i8", "IntStorage": "i4", "ShortStorage": "i2", "CharStorage": "i1",
    "ByteStorage": "u1", "BoolStorage": "b1", "ComplexFloatStorage": "c8",
    "ComplexDoubleStorage": "c16", "UntypedStorage": "u1",
}
NUMPY_DESCR = re.compile(r"[biufc][0-9]{1,2}")
MAX_NDIM = 64


def numpy_dtype(code):
    """The numpy dtype of a storage code (``bf16`` is ml_dtypes' bfloat16, as Keras uses)."""
    if code == "bf16":
        import ml_dtypes

        return np.dtype(ml_dtypes.bfloat16)
    return np.dtype(code)


class ReadContext:
    """What one read shares with the reads nested in it: the file's name (every message names
    it) and how many bytes of arrays it may still produce (4x the file + 64 MiB), so that
    overlapping views of one storage cannot make a small file fill the memory."""

    def __init__(self, path, file_size):
        self.path = path
        self.bytes_left = 4 * file_size + (64 << 20)

    def error(self, problem, crafted=False):
        """The CheckpointFormatError to raise; ``crafted``: a shape no writer produces."""
        if crafted:
            return CheckpointFormatError(self.path, problem, "torch never writes this; use a "
                                                            "file from a source you trust")
        return CheckpointFormatError(self.path, problem)

    def charge(self, nbytes):
        self.bytes_left -= nbytes
        if self.bytes_left < 0:
            raise self.error("its tensors would need far more memory than the file holds "
                             "(overlapping views of one storage)", crafted=True)


class _NoState:
    """Refuses pickle's BUILD: a reader's objects take no state from a file."""

    __slots__ = ()

    def __setstate__(self, state):
        raise TypeError(f"{type(self).__name__} takes no state")


class StorageType(_NoState):
    """What a pickle gets for ``torch.FloatStorage`` and its kin: the element type."""

    __slots__ = ("code",)

    def __init__(self, code):
        self.code = code


class Storage(_NoState):
    """One torch storage: ``numel`` elements of ``dtype``; ``array`` is None until read."""

    __slots__ = ("dtype", "numel", "array")

    def __init__(self, dtype, numel, array=None):
        self.dtype, self.numel, self.array = dtype, numel, array

    def fill(self, raw, byteorder):
        """Sets the elements from raw bytes in the file's byte order (native afterwards)."""
        stored = self.dtype.newbyteorder(byteorder) if self.dtype.itemsize > 1 else self.dtype
        array = np.frombuffer(raw, dtype=stored, count=self.numel)
        self.array = array if stored == self.dtype else array.astype(self.dtype)


class NumpyDtype(_NoState):
    """What a pickle gets for ``numpy.dtype(descr, align, copy)``; BUILD sets its byte order."""

    __slots__ = ("descr", "byteorder")

    def __init__(self, descr):
        self.descr, self.byteorder = descr, "="

    def __setstate__(self, state):
        if not isinstance(state, tuple) or len(state) < 2 or state[1] not in ("<", ">", "|", "="):
            raise TypeError("a numpy dtype's state must be (version, byteorder, ...)")
        self.byteorder = state[1]


def is_int(value):
    """Whether ``value`` is a non-negative int (a size, stride, offset or count)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


class RestrictedUnpickler(pickle.Unpickler):
    """A pickle.Unpickler whose ``find_class`` answers only from ``allowed``
    ({(module, qualname): callable}) and whose persistent ids go to ``persistent_load``."""

    def __init__(self, stream, context, allowed, storage_for=None):
        super().__init__(stream)
        self.context, self.allowed, self.storage_for = context, allowed, storage_for

    def find_class(self, module, name):
        found = self.allowed.get((module, name))
        if found is None:
            raise UnsafeFileError(self.context.path, f"{module}.{name}")
        return found

    def persistent_load(self, pid):
        if self.storage_for is None:
            raise self.context.error("its pickle refers to an outside object, which this "
                                     "format never does")
        return self.storage_for(pid)


def unpickle(stream, context, allowed, storage_for=None):
    """Reads one pickle from ``stream`` (left just past it) with only ``allowed`` globals."""
    try:
        return RestrictedUnpickler(stream, context, allowed, storage_for).load()
    except (UnsafeFileError, CheckpointFormatError):
        raise
    except Exception as error:  # a corrupt pickle can fail in any way; nothing ran
        raise context.error(f"expected a pickle, found a corrupt or truncated one "
                            f"({type(error).__name__}: {error})") from None


def tensor_globals(context):
    """The allow-list of a torch pickle: storage types, tensor rebuilds, OrderedDict,
    torch.Size and numpy dtypes/scalars, each bound to ``context``."""
    allowed = {("torch", name): StorageType(code) for name, code in STORAGE_DTYPES.items()}
    allowed[("torch.storage", "UntypedStorage")] = allowed[("torch", "UntypedStorage")]
    allowed[("torch._utils", "_rebuild_tensor_v2")] = lambda *args: rebuild_tensor(context, *args)
    allowed[("torch._utils", "_rebuild_parameter")] = rebuild_parameter
    allowed[("collections", "OrderedDict")] = ordered_dict
    allowed[("torch", "Size")] = lambda dims=(): torch_size(context, dims)
    allowed[("numpy", "dtype")] = lambda *args: rebuild_numpy_dtype(context, *args)
    scalar = lambda *args: rebuild_numpy_scalar(context, *args)  # noqa: E731
    allowed[("numpy.core.multiarray", "scalar")] = scalar
    allowed[("numpy._core.multiarray", "scalar")] = scalar
    return allowed


def rebuild_tensor(context, storage, offset, size, stride, requires_grad=False,
                   backward_hooks=None, metadata=None):
    """``torch._utils._rebuild_tensor_v2``: a C-contiguous copy of the strided view; None
    while the storage's bytes are still unread (the first pass over a legacy file)."""
    if not isinstance(storage, Storage):
        raise context.error("a tensor's storage is not a torch storage")
    if not (is_int(offset) and isinstance(size, tuple) and isinstance(stride, tuple)
            and len(size) == len(stride) <= MAX_NDIM and all(map(is_int, size + stride))):
        raise context.error(f"a tensor has a malformed layout (offset {offset!r}, size "
                            f"{size!r}, stride {stride!r})")
    if storage.array is None:
        return None
    count = math.prod(size)
    if count == 0:
        return np.zeros(size, storage.dtype)
    extent = offset + sum((n - 1) * step for n, step in zip(size, stride)) + 1
    if extent > storage.numel:
        raise context.error(f"a tensor of size {size} (stride {stride}, offset {offset}) "
                            f"reaches past its storage of {storage.numel} elements")
    if count > storage.numel:
        raise context.error(f"a tensor of {count} elements repeats a storage of "
                            f"{storage.numel} (stride 0)", crafted=True)
    context.charge(count * storage.dtype.itemsize)
    view = np.lib.stride_tricks.as_strided(
        storage.array[offset:], shape=size,
        strides=[step * storage.dtype.itemsize for step in stride], writeable=False)
    return np.array(view, order="C")


def rebuild_parameter(data, requires_grad=False, backward_hooks=None):
    """``torch._utils._rebuild_parameter``: a parameter is its tensor."""
    return data


class OrderedDictRecord(dict):
    """``collections.OrderedDict``: a plain (insertion-ordered) dict. BUILD gives a state
    dict its ``_metadata`` (each module's version); that attribute is dropped."""

    def __setstate__(self, state):
        if not isinstance(state, dict):
            raise TypeError("an OrderedDict's state must be a dict of attributes")


def ordered_dict(items=()):
    return OrderedDictRecord(items)


def torch_size(context, dims):
    if not (isinstance(dims, (tuple, list)) and all(map(is_int, dims))):
        raise context.error(f"a torch.Size holds {dims!r}, not sizes")
    return tuple(dims)


def rebuild_numpy_dtype(context, descr, align=False, copy=True):
    if not (isinstance(descr, str) and NUMPY_DESCR.fullmatch(descr)):
        raise context.error(f"a numpy dtype {descr!r} is not a plain number type")
    return NumpyDtype(descr)


def rebuild_numpy_scalar(context, dtype, raw):
    """``numpy.core.multiarray.scalar(dtype, raw)``: the number held in ``raw``."""
    if not (isinstance(dtype, NumpyDtype) and isinstance(raw, bytes)):
        raise context.error("a numpy scalar is not (dtype, bytes)")
    stored = np.dtype(dtype.descr).newbyteorder(dtype.byteorder)
    if len(raw) != stored.itemsize:
        raise context.error(f"a numpy {dtype.descr} scalar holds {len(raw)} bytes")
    return np.frombuffer(raw, stored).astype(stored.newbyteorder("="))[0]
