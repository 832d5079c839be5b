"""Decoded examples kept in memory or on disk and read by index, so that shuffling moves
indices, not images.

A pipeline over a store (ganzoo.data.batches) shuffles and batches indices and gathers
each batch's examples only then, so resuming at a step, or reading some rows of each batch,
reads no other example. The order is the one ``dataset.cache().shuffle(buffer, seed)``
gave: a shuffle's draws depend on its seed and buffer size, not on the elements.

The in-memory store holds the decoded examples as tensors; the on-disk store
(``data.cache: PATH``) writes them once to ``PATH/<dataset>-<hash>/leaf_<i>.npy`` (a
temporary folder renamed into place when complete) and reads them memory-mapped, for
datasets that do not fit in memory. The hash covers every data field that changes the
decoded examples, so another resolution or split gets its own folder.
"""

import dataclasses
import hashlib
import json
import os
import re
import shutil

import numpy as np
import tensorflow as tf

from ganzoo.data.base import Ticker

CHUNK = 1024  # examples decoded per step while filling a store
# data fields that do not change the decoded examples (not part of the cache's key)
UNKEYED = ("batch_size", "shuffle_buffer", "cache", "data_dir")


def _chunks(dataset, what, total=None):
    """The dataset's elements as lists of numpy leaves, CHUNK examples at a time, with
    progress lines when it takes long."""
    ticker, done = Ticker(what, total), 0
    for chunk in dataset.batch(CHUNK).prefetch(2).as_numpy_iterator():
        leaves = tf.nest.flatten(chunk)
        done += len(leaves[0])
        ticker.update(done)
        yield leaves
    ticker.finish(done)


def in_memory(dataset):
    """(structure of tensors with every example stacked, number of examples)."""
    count = int(dataset.cardinality())
    parts = list(_chunks(dataset, "Decoding examples into memory", count if count > 0 else None))
    leaves = [np.concatenate(column) for column in zip(*parts)]
    structure = tf.nest.pack_sequence_as(dataset.element_spec, [tf.constant(v) for v in leaves])
    return structure, len(leaves[0])


def key(config):
    """``<dataset>-<sha256 prefix>``: the folder name of ``config``'s examples on disk."""
    fields = {k: v for k, v in dataclasses.asdict(config).items() if k not in UNKEYED}
    digest = hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:12]
    return f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', config.name)[-60:]}-{digest}"


def _write(dataset, folder):
    """Decodes ``dataset`` once into ``folder``/leaf_<i>.npy, written to a temporary
    folder and renamed, so an interrupted fill leaves no folder that looks complete."""
    tmp = folder + ".partial"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    specs = tf.nest.flatten(dataset.element_spec)
    count = int(dataset.cardinality())
    if count < 0:  # unknown or infinite: count by reading (the one decode that is repeated)
        count = int(dataset.reduce(np.int64(0), lambda n, _: n + 1))
    arrays = [np.lib.format.open_memmap(os.path.join(tmp, f"leaf_{i}.npy"), "w+",
                                        spec.dtype.as_numpy_dtype, (count, *spec.shape))
              for i, spec in enumerate(specs)]
    start = 0
    for leaves in _chunks(dataset, f"Decoding {count} examples into {folder}", count):
        for array, leaf in zip(arrays, leaves):
            array[start:start + len(leaf)] = leaf
        start += len(leaves[0])
    for array in arrays:
        array.flush()
    os.replace(tmp, folder)


def on_disk(dataset, root, config):
    """(structure of read-only memory maps, number of examples) of ``dataset``'s examples
    under ``root``, decoding them there first unless an earlier run did."""
    folder = os.path.join(root, key(config))
    if not os.path.isdir(folder):
        os.makedirs(root, exist_ok=True)
        _write(dataset, folder)
    count = len(tf.nest.flatten(dataset.element_spec))
    leaves = [np.load(os.path.join(folder, f"leaf_{i}.npy"), mmap_mode="r") for i in range(count)]
    return tf.nest.pack_sequence_as(dataset.element_spec, leaves), len(leaves[0])


def gather(store, indices):
    """The examples at ``indices`` (a tensor) of an in-memory or on-disk store."""
    leaves = tf.nest.flatten(store)
    if isinstance(leaves[0], tf.Tensor):
        return tf.nest.map_structure(lambda leaf: tf.gather(leaf, indices), store)

    def read(positions):  # memory maps read fastest in increasing order
        order = np.argsort(positions, kind="stable")
        inverse = np.empty_like(order)
        inverse[order] = np.arange(len(order))
        return [leaf[positions[order]][inverse] for leaf in leaves]

    flat_indices = tf.reshape(indices, [-1])
    values = tf.numpy_function(read, [flat_indices], [tf.as_dtype(leaf.dtype) for leaf in leaves])
    shaped = [tf.reshape(value, tf.concat([tf.shape(indices), leaf.shape[1:]], 0))
              for value, leaf in zip(values, leaves)]
    for value, leaf in zip(shaped, leaves):
        value.set_shape(indices.shape.concatenate(leaf.shape[1:]))
    return tf.nest.pack_sequence_as(store, shaped)
