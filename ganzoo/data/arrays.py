"""``python:NAME``: training data passed from Python (``ganzoo.train(..., data=...)``).

numpy arrays (images, optional labels) or a ``tf.data.Dataset`` become a source that
``load_dataset`` reads like any named dataset while ``registered`` holds it, so batching,
shuffling, caching, resume (batches by step), sample grids and FID are the CLI's.
Arrays are named by a fingerprint of their bytes (``python:arrays-<sha256[:12]>``), so a
resumed run checks that it gets the same data; a ``tf.data.Dataset`` by the name given
(``UserData(dataset, name="faces")``, default ``python:dataset``; FID's reference
statistics are cached under that name). A run's config.yaml and model.json record the
name: ``ganzoo train --resume`` on such a run, or any process that lacks the data, is
refused with one line that says to pass it again from Python.

``check_fit`` checks the first batch (all of it for arrays) against the model before
anything is built or written: float images [N, H, W, C] with the model's H, W and C and
values in [-1, 1], or [N, D] points; integer labels in [0, classes) for conditional models.
"""

import contextlib
import dataclasses
import hashlib

import numpy as np
import tensorflow as tf

from ganzoo.data.base import DatasetError, DatasetInfo
from ganzoo.data.subsets import UNLABELED

PREFIX = "python:"
RANGE_TOLERANCE = 1e-3  # values may overshoot [-1, 1] by this much (rounding of x / 127.5 - 1)
CHECK_ROWS = 256  # rows of a tf.data.Dataset that the first-batch check reads
_SOURCES = {}


@dataclasses.dataclass
class UserData:
    """Training data from Python, for ``ganzoo.train(data=...)``.

    Args:
        data: numpy images [N, H, W, C] (or [N, D] points), a tuple ``(images, labels)``,
            or a ``tf.data.Dataset`` of ``x`` or ``(x, y)`` elements, batched or not.
        name (str, default None): what runs record (``python:<name>``); arrays default to
            a fingerprint of their bytes, datasets to ``dataset``.
        num_classes (int, default None): classes of the labels; default the largest
            label + 1 (read from the whole dataset for a ``tf.data.Dataset``).
    """

    data: object
    name: str = None
    num_classes: int = None


def _rank(spec):
    return len(spec.shape)


def _is_batched(dataset):
    """Whether the elements are batches: images [B, H, W, C] or points [B, D]."""
    spec = dataset.element_spec
    x = spec[0] if isinstance(spec, tuple) else spec
    return _rank(x) in (2, 4)


def _as_float_pairs(dataset):
    """Elements ``x`` or ``(x, y)``: x float32, y int32 (after the check has passed)."""
    if isinstance(dataset.element_spec, tuple):
        return dataset.map(lambda x, *y: (tf.cast(x, tf.float32), tf.cast(y[0], tf.int32))
                           if y else tf.cast(x, tf.float32))
    return dataset.map(lambda x: tf.cast(x, tf.float32))


class Source:
    """A user's data as ``load_dataset`` reads it: ``name``, an unbatched ``dataset`` of
    its raw elements, ``first`` = (images, labels or None) as numpy for ``check_fit``,
    and ``shape`` / ``num_classes`` / ``num_examples``."""

    def __init__(self, user):
        data = user.data
        if isinstance(data, tf.data.Dataset):
            self._from_dataset(data, user.name or "dataset")
        else:
            self._from_arrays(*(data if isinstance(data, (tuple, list)) else (data,)),
                              name=user.name)
        self.shape = tuple(self.first[0].shape[1:])
        labels = self.first[1]
        self.num_classes = user.num_classes or self._count_classes(labels)

    def _from_arrays(self, images, labels=None, *rest, name=None):
        if rest:
            raise DatasetError(f"data is a tuple of {len(rest) + 2}: pass images, or "
                               "(images, labels).")
        images = np.asarray(images)
        if images.ndim < 2 or not len(images):
            raise DatasetError(f"images have shape {images.shape}: pass an array of images "
                               "[N, H, W, C] (or points [N, D]), N > 0.")
        if labels is not None:
            labels = np.asarray(labels)
            if labels.shape != (len(images),):
                raise DatasetError(f"labels have shape {labels.shape} for {len(images)} images:"
                                   f" pass one integer label per image, shape ({len(images)},).")
        if not name:
            digest = hashlib.sha256(np.ascontiguousarray(images).tobytes())
            if labels is not None:
                digest.update(np.ascontiguousarray(labels).tobytes())
            name = f"arrays-{digest.hexdigest()[:12]}"
        self.name, self.first, self.num_examples = PREFIX + name, (images, labels), len(images)
        self.dataset = tf.data.Dataset.from_tensor_slices(
            images if labels is None else (images, labels))

    def _from_dataset(self, dataset, name):
        spec = dataset.element_spec
        if isinstance(spec, dict) or (isinstance(spec, tuple) and len(spec) not in (1, 2)):
            raise DatasetError("the tf.data.Dataset's elements must be x or (x, y) (images "
                               "and labels); image-to-image data goes by dataset name.")
        if isinstance(spec, tuple) and len(spec) == 1:
            dataset = dataset.map(lambda x: x)
        self.dataset = dataset.unbatch() if _is_batched(dataset) else dataset
        rows = list(self.dataset.take(CHECK_ROWS).as_numpy_iterator())
        if not rows:
            raise DatasetError("the tf.data.Dataset is empty: pass a dataset with examples.")
        labeled = isinstance(rows[0], tuple)
        self.first = (np.stack([r[0] for r in rows]) if labeled else np.stack(rows),
                      np.array([r[1] for r in rows]) if labeled else None)
        count = int(self.dataset.cardinality())
        self.name, self.num_examples = PREFIX + name, count if count >= 0 else None

    def _count_classes(self, labels):
        """Largest label + 1 (0 without labels); for a dataset, over all of it."""
        if labels is None or not np.issubdtype(labels.dtype, np.integer) or not labels.size:
            return 0
        if self.num_examples == len(labels):
            return int(labels.max()) + 1
        return int(self.dataset.reduce(np.int64(-1), lambda m, e: tf.maximum(
            m, tf.cast(tf.reduce_max(e[1]), tf.int64)))) + 1

    def info(self):
        return DatasetInfo(self.name, self.shape, self.num_classes, self.num_examples)


def _range_hint(low, high):
    """How to map images in [low, high] to [-1, 1]."""
    if low >= 0 and 127 < high <= 255:
        return "scale them by x / 127.5 - 1 (for [0, 255])"
    if low >= 0 and high <= 1:
        return "scale them by 2 * x - 1 (for [0, 1])"
    return "scale them by 2 * (x - x.min()) / (x.max() - x.min()) - 1"


def check_fit(source, shape, num_classes=None, semi_supervised=False):
    """Refuses the source's first batch in one line when it does not fit a model of
    per-example ``shape`` (H, W, C or D) and ``num_classes`` (None: the model takes no
    labels; else the labels must be class ids below it, or -1 = unlabeled for a
    ``semi_supervised`` family)."""
    images, labels = source.first
    if len(shape) == 3 and images.ndim == 3 and images.shape[1:] == tuple(shape[:2]):
        raise DatasetError(f"images have shape {images.shape} (no channel axis): pass NHWC "
                           "images, e.g. images[..., None].")
    if images.ndim != len(shape) + 1:
        raise DatasetError(f"images have shape {images.shape} but the model takes "
                           f"[N, {', '.join(map(str, shape))}]: pass data of that shape.")
    if len(shape) == 3 and images.shape[1:3] != tuple(shape[:2]):
        raise DatasetError(
            f"images are {images.shape[1]}x{images.shape[2]}, the model is {shape[0]}x{shape[1]}"
            f": resize them (tf.image.resize) or set data.resolution {images.shape[1]}.")
    if images.shape[-1] != shape[-1]:
        what = "channels" if len(shape) == 3 else "values per example"
        raise DatasetError(f"images have {images.shape[-1]} {what}, the model {shape[-1]}: "
                           "convert them, or build the model for this data "
                           "(ganzoo.build(recipe, data=...)).")
    if not np.issubdtype(images.dtype, np.floating):
        low, high = (images.min(), images.max()) if images.size else (0, 0)
        raise DatasetError(f"images are {images.dtype} in [{low}, {high}]: pass float32 in "
                           f"[-1, 1]: {_range_hint(float(low), float(high))}.")
    if not np.all(np.isfinite(images)):
        raise DatasetError("images contain NaN or infinite values: remove or fix them.")
    low, high = float(images.min()), float(images.max())
    if len(shape) == 3 and (low < -1 - RANGE_TOLERANCE or high > 1 + RANGE_TOLERANCE):
        raise DatasetError(f"images range over [{low:.4g}, {high:.4g}] but the model takes "
                           f"[-1, 1]: {_range_hint(low, high)}.")
    if num_classes is not None:
        _check_labels(labels, num_classes, UNLABELED if semi_supervised else 0)


def _check_labels(labels, num_classes, lowest):
    if labels is None:
        raise DatasetError("the model takes class labels: pass them too, "
                           "data=(images, labels).")
    if not np.issubdtype(labels.dtype, np.integer):
        raise DatasetError(f"labels are {labels.dtype}: pass integer class ids "
                           "(e.g. labels.astype('int32')).")
    if labels.size and (labels.min() < lowest or num_classes and labels.max() >= num_classes):
        allowed = f"in [{lowest}, {num_classes})" if num_classes else f">= {lowest}"
        raise DatasetError(f"labels range over [{labels.min()}, {labels.max()}] but the model "
                           f"takes class ids {allowed}: map the labels to those.")


@contextlib.contextmanager
def registered(source):
    """Makes ``load_dataset`` find ``source`` under its name inside the ``with`` block."""
    previous = _SOURCES.get(source.name)
    _SOURCES[source.name] = source
    try:
        yield source
    finally:
        if previous is None:
            _SOURCES.pop(source.name, None)
        else:
            _SOURCES[source.name] = previous


def build(name):
    """(unbatched dataset of float32 ``x`` or ``(x, int32 y)``, DatasetInfo) of a
    registered source; one line saying to pass the data again when there is none."""
    source = _SOURCES.get(name)
    if source is None:
        raise DatasetError(
            f"Dataset '{name}' was passed from Python (ganzoo.train(..., data=...)) and this "
            "process does not have it: pass the same data again from Python to train, "
            "resume or evaluate this run.")
    return _as_float_pairs(source.dataset), source.info()
