"""tf.data pipelines keyed by dataset name.

``open_batches(config, global_batch_size)`` resolves ``config.name``: "folder:PATH" is an
image folder (folder.py), "python:NAME" data passed from Python (arrays.py), a name
registered with ``register_dataset`` is that builder (digits.py, toy2d.py), any other
tensorflow-datasets name goes through tfds_source.py. Each returns an unbatched dataset
plus a DatasetInfo (sources of image files: file names and a decoder); how examples are held
(cache.py) and batched by step (batches.py), and the random crops of ``data.preprocess:
resize_and_crop``, are decided only here. ``load_dataset`` is its batches from step 0.
"""

import dataclasses

import numpy as np
import tensorflow as tf

from ganzoo.data import digits, folder, toy2d  # noqa: F401  (registers digits, ring, grid)
from ganzoo.data import arrays, paired  # paired registers digits_inverted, digits_edges
from ganzoo.data import captions  # registers digits_captions; reads captions:DIR
from ganzoo.data import batches, cache, subsets
from ganzoo.data.base import DatasetError, DatasetInfo
from ganzoo.registry import DATASETS

__all__ = ["DatasetError", "DatasetInfo", "dataset_names", "load_dataset", "open_batches"]

FOLDER_PREFIX = "folder:"
CACHE_LIMIT_BYTES = 1 << 30  # datasets whose float32 examples fit in 1 GiB are held in memory


def dataset_names():
    """What ``ganzoo list`` shows: registered names, then the two open-ended forms."""
    return DATASETS.names() + [f"{FOLDER_PREFIX}PATH", f"{captions.PREFIX}DIR",
                               "<any tfds name>",
                               *paired.OPEN_FORMS]


def _build(config, seed):
    """(unbatched dataset, DatasetInfo, decode): ``decode`` is None, or for data read from
    image files the map from the dataset's elements (file names and what goes with them)
    to examples."""
    name = config.name
    if name.startswith(FOLDER_PREFIX):
        references = folder.references(config, name[len(FOLDER_PREFIX):])
    elif paired.reads_files(name):
        references = paired.references(config)
    elif captions.handles(name):
        references = captions.references(config)
    else:
        return (*_build_examples(config, seed), None)
    dataset, info, decode = references
    return (*subsets.take_slice((dataset, info), config.split), decode)


def _build_examples(config, seed):
    name = config.name
    if paired.handles(name):
        return paired.build(config, seed)
    if name.startswith(arrays.PREFIX):
        return subsets.take_slice(arrays.build(name), config.split)
    if name in DATASETS:
        return subsets.take_slice(DATASETS.get(name)(config), config.split)
    from ganzoo.data import tfds_source  # imports tensorflow_datasets only when needed

    if tfds_source.is_tfds_name(name):
        return tfds_source.build(config, seed)
    raise DatasetError(
        f"{DATASETS.unknown_message(name)} Any tensorflow-datasets name (mnist, cifar10, "
        f"celeb_a ...) or {FOLDER_PREFIX}PATH also works."
    )


def load_size(config):
    """The size two-domain images are loaded at before a random crop: ``data.load_size``, or
    the originals' 286 for 256 scaled to ``data.resolution``."""
    return config.load_size or round(config.resolution * 286 / 256)


def _checked_for_jitter(element_spec, info, crop_size):
    """``info`` at the crop size for the jitter; a clear error on one-domain data."""
    if not isinstance(element_spec, dict):
        raise DatasetError(f"data.preprocess resize_and_crop is for two-domain datasets; "
                           f"{info.name} has one domain: use data.preprocess resize.")
    return dataclasses.replace(info, shape=(crop_size, crop_size, info.shape[-1]))


def open_batches(config, global_batch_size, seed=0, repeat=True):
    """(batches, DatasetInfo) for ``config`` (a ganzoo.config.DataConfig): a
    ``batches.IndexedBatches`` or ``batches.StreamedBatches`` whose ``dataset(start)`` and
    ``distribute(strategy, start)`` give the global batches from any step.

    Elements are ``(x, y)`` for labeled data (y int32 [B]) and ``x`` otherwise; x is
    float32, images NHWC in [-1, 1]. Seeded shuffle, optional repeat, full batches only.
    Data whose examples fit in ``CACHE_LIMIT_BYTES``, or any data with ``data.cache``, is
    decoded once and read by index (cache.py); larger data read from image files
    (folder:, pairs:, folders:, captions:) is read by index too, each image decoded when
    its batch is read; other larger data is streamed.
    """
    jitter = config.preprocess == "resize_and_crop"
    dataset, info, decode = _build(
        paired.jitter_config(config, load_size(config)) if jitter else config, seed)
    if jitter:
        examples = folder.decode_all(dataset, decode) if decode else dataset
        info = _checked_for_jitter(examples.element_spec, info, config.resolution)
    if config.labeled_per_class:
        dataset, info = subsets.mask_unlabeled(dataset, info, config.labeled_per_class,
                                               config.labeled_seed)
    if not repeat and info.num_examples is not None and info.num_examples < global_batch_size:
        raise DatasetError(
            f"{info.name} has {info.num_examples} examples, fewer than the global batch size "
            f"{global_batch_size}; lower data.batch_size."
        )
    fits = info.num_examples and info.num_examples * np.prod(info.shape) * 4 <= CACHE_LIMIT_BYTES
    crop = paired.random_jitter(config.resolution, paired=True, seed=seed) if jitter else None
    held = config.cache or fits  # decoded once, into memory or data.cache
    if held and decode:
        dataset, decode = folder.decode_all(dataset, decode), None
    if held or decode:  # read by index: from the store, or each file when its batch is read
        store, count = (cache.on_disk(dataset, config.cache, config) if config.cache
                        else cache.in_memory(dataset))
        return batches.IndexedBatches(count, global_batch_size, seed, config.shuffle_buffer,
                                      repeat, **_readers(store, decode, crop)), info
    # streamed: the shuffle buffer holds decoded examples
    dataset = dataset.shuffle(config.shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
    if crop:
        dataset = dataset.enumerate().map(lambda position, example: crop(example, position),
                                          num_parallel_calls=tf.data.AUTOTUNE)
    if repeat:
        dataset = dataset.repeat()
    return batches.StreamedBatches(dataset.batch(global_batch_size, drop_remainder=True),
                                   global_batch_size), info


def _readers(store, decode, crop):
    """The ``read_rows`` or ``read_row`` of an ``IndexedBatches`` over ``store``: one gather
    per batch, or per example where each one is decoded (``decode``) or cropped (``crop``,
    at its position)."""
    if not (decode or crop):
        return {"read_rows": lambda rows: cache.gather(store, rows[:, 0])}

    def read_row(row):
        example = cache.gather(store, row[0])
        if decode:
            example = decode(example)
        if crop:
            example = crop(example, row[1])
        return example

    return {"read_row": read_row}


def load_dataset(config, global_batch_size, seed=0, repeat=True):
    """(batched tf.data.Dataset from step 0, DatasetInfo) for ``config``; see
    ``open_batches``."""
    opened, info = open_batches(config, global_batch_size, seed, repeat)
    return opened.dataset(), info
