"""Held-out slices and labeled subsets of a dataset, both drawn with fixed seeds.

Slices: a split ``"<split>[a%:b%]"`` (tensorflow-datasets' syntax; tfds datasets slice
themselves) of a dataset that has no splits of its own (digits, folders: only "train",
all of it) keeps the examples
at positions a% .. b% of a fixed permutation (``SLICE_SEED``), so ``train[:80%]`` and
``train[80%:]`` are disjoint and together the whole set. ``heldout_split`` names the
complement a classifier is scored on.

Labeled subsets (semi-supervised training, ``data.labeled_per_class`` N > 0): N examples of
each class, drawn with ``numpy.random.default_rng(data.labeled_seed)`` from the examples in
dataset order, keep their label; every other example gets the label ``UNLABELED`` (-1). The
elements keep their ``(x, y)`` form. What was drawn (per class, seed, count and the indices
in dataset order) is recorded in ``DatasetInfo.labeled``, which training writes to the run's
``model.json``.
"""

import re

import numpy as np
import tensorflow as tf

from ganzoo.data.base import DatasetError

UNLABELED = -1
SLICE_SEED = 0
_SLICE = re.compile(r"^(?P<base>[^\[\]]+)\[(?P<start>\d*)%?:(?P<stop>\d*)%?\]$")


def parse_slice(split):
    """(base split, start %, stop %) of ``"train[a%:b%]"``; None for a plain split name."""
    match = _SLICE.match(split or "")
    if not match:
        return None
    start, stop = int(match["start"] or 0), int(match["stop"] or 100)
    if not 0 <= start < stop <= 100:
        raise DatasetError(f"Split '{split}': the slice must satisfy 0 <= a < b <= 100 (%).")
    return match["base"], start, stop


def heldout_split(split):
    """The split a classifier trained on ``split`` is scored on: the complement of a slice
    (``train[:80%]`` -> ``train[80%:]``), else ``test``."""
    parsed = parse_slice(split)
    if parsed is None:
        return "test"
    base, start, stop = parsed
    if start and stop < 100:
        raise DatasetError(f"Split '{split}' has two complements; pass --split explicitly.")
    return f"{base}[{stop}%:]" if start == 0 else f"{base}[:{start}%]"


def _select(dataset, keep):
    """The elements of ``dataset`` whose position i has ``keep[i]``."""
    table = tf.constant(keep)
    return dataset.enumerate().filter(lambda i, _: tf.gather(table, i)).map(lambda _, e: e)


def take_slice(built, split):
    """``built`` = (dataset, info) restricted to the slice that ``split`` names (see the
    module doc); unchanged for a plain split name."""
    dataset, info = built
    if parse_slice(split) is None and split != "train":
        raise DatasetError(f"{info.name} has one split, 'train' (not '{split}'); take a "
                           "held-out part with a slice such as 'train[80%:]'.")
    if parse_slice(split) is None:
        return built
    _, start, stop = parse_slice(split)
    if not info.num_examples:
        raise DatasetError(f"{info.name} has no known size, so it cannot be sliced ('{split}').")
    order = np.random.default_rng(SLICE_SEED).permutation(info.num_examples)
    chosen = order[info.num_examples * start // 100: info.num_examples * stop // 100]
    keep = np.zeros(info.num_examples, bool)
    keep[chosen] = True
    info.num_examples = len(chosen)
    return _select(dataset, keep), info


def labeled_indices(labels, per_class, num_classes, seed):
    """Sorted positions of ``per_class`` examples of each class, drawn with ``seed``."""
    rng = np.random.default_rng(seed)
    chosen = []
    for label in range(num_classes):
        members = np.flatnonzero(labels == label)
        if len(members) < per_class:
            raise DatasetError(f"data.labeled_per_class={per_class}, but class {label} has "
                               f"only {len(members)} examples.")
        chosen.append(rng.choice(members, per_class, replace=False))
    return np.sort(np.concatenate(chosen))


def mask_unlabeled(dataset, info, per_class, seed):
    """(dataset, info) where all but ``per_class`` examples per class are labeled -1."""
    if not info.num_classes:
        raise DatasetError(f"data.labeled_per_class needs class labels; {info.name} has none.")
    labels = np.fromiter((y for _, y in dataset.as_numpy_iterator()), np.int64)
    indices = labeled_indices(labels, per_class, info.num_classes, seed)
    keep = np.zeros(len(labels), bool)
    keep[indices] = True
    table = tf.constant(keep)
    info.labeled = {"per_class": per_class, "seed": seed, "count": len(indices),
                    "indices": indices.tolist()}
    return dataset.enumerate().map(lambda i, e: (e[0], tf.where(
        tf.gather(table, i), e[1], tf.constant(UNLABELED, e[1].dtype)))), info
