"""tf.data pipelines keyed by dataset name.

``load_dataset(config, global_batch_size)`` resolves ``config.name``: "folder:PATH" is an
image folder (folder.py), "python:NAME" data passed from Python (arrays.py), a name
registered with ``register_dataset`` is that builder (digits.py, toy2d.py), any other
tensorflow-datasets name goes through tfds_source.py. Each returns an unbatched dataset
plus a DatasetInfo; batching (and the random crops of ``data.preprocess:
resize_and_crop``) lives only here.
"""

import dataclasses

import numpy as np
import tensorflow as tf

from ganzoo.data import digits, folder, toy2d  # noqa: F401  (registers digits, ring, grid)
from ganzoo.data import arrays, paired  # paired registers digits_inverted, digits_edges
from ganzoo.data import captions  # registers digits_captions; reads captions:DIR
from ganzoo.data import cache, subsets
from ganzoo.data.base import DatasetError, DatasetInfo
from ganzoo.registry import DATASETS

__all__ = ["DatasetError", "DatasetInfo", "dataset_names", "load_dataset"]

FOLDER_PREFIX = "folder:"
CACHE_LIMIT_BYTES = 1 << 30  # datasets whose float32 examples fit in 1 GiB are held in memory


def dataset_names():
    """What ``ganzoo list`` shows: registered names, then the two open-ended forms."""
    return DATASETS.names() + [f"{FOLDER_PREFIX}PATH", f"{captions.PREFIX}DIR",
                               "<any tfds name>",
                               *paired.OPEN_FORMS]


def _build(config, seed):
    name = config.name
    if paired.handles(name):
        return paired.build(config, seed)
    if name.startswith(FOLDER_PREFIX):
        return subsets.take_slice(folder.build(config, name[len(FOLDER_PREFIX):]), config.split)
    if name.startswith(arrays.PREFIX):
        return subsets.take_slice(arrays.build(name), config.split)
    if captions.handles(name):
        return subsets.take_slice(captions.build_folder(config), config.split)
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


def _checked_for_jitter(dataset, info, crop_size):
    """(dataset, info at the crop size) for the jitter; a clear error on one-domain data."""
    if not isinstance(dataset.element_spec, dict):
        raise DatasetError(f"data.preprocess resize_and_crop is for two-domain datasets; "
                           f"{info.name} has one domain: use data.preprocess resize.")
    return dataset, dataclasses.replace(info, shape=(crop_size, crop_size, info.shape[-1]))


def load_dataset(config, global_batch_size, seed=0, repeat=True):
    """(batched tf.data.Dataset, DatasetInfo) for ``config`` (a ganzoo.config.DataConfig).

    Elements are ``(x, y)`` for labeled data (y int32 [B]) and ``x`` otherwise; x is
    float32, images NHWC in [-1, 1]. Seeded shuffle, optional repeat, full batches only.
    Data whose examples fit in ``CACHE_LIMIT_BYTES``, or any data with ``data.cache``, is
    decoded once and read by index (cache.py); larger data is streamed.
    """
    jitter = config.preprocess == "resize_and_crop"
    dataset, info = _build(paired.jitter_config(config, load_size(config)) if jitter else config,
                           seed)
    if jitter:
        dataset, info = _checked_for_jitter(dataset, info, config.resolution)
    if config.labeled_per_class:
        dataset, info = subsets.mask_unlabeled(dataset, info, config.labeled_per_class,
                                               config.labeled_seed)
    if not repeat and info.num_examples is not None and info.num_examples < global_batch_size:
        raise DatasetError(
            f"{info.name} has {info.num_examples} examples, fewer than the global batch size "
            f"{global_batch_size}; lower data.batch_size."
        )
    fits = info.num_examples and info.num_examples * np.prod(info.shape) * 4 <= CACHE_LIMIT_BYTES
    if config.cache or fits:
        dataset = _by_index(dataset, config, global_batch_size, seed, repeat, jitter)
    else:  # streamed: the shuffle buffer (and so a saved iterator) holds decoded examples
        dataset = dataset.shuffle(config.shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
        dataset = _batched(dataset, config, global_batch_size, repeat, jitter)
        dataset = dataset.with_options(_sharded(tf.data.experimental.AutoShardPolicy.AUTO))
    return dataset.prefetch(tf.data.AUTOTUNE), info


def _batched(dataset, config, global_batch_size, repeat, jitter):
    if jitter:  # after the cache: every epoch sees new crops. One draw for both images keeps
        # pairs aligned (pix2pix); unpaired images are independent draws anyway (CycleGAN).
        dataset = dataset.map(paired.random_jitter(config.resolution, paired=True),
                              num_parallel_calls=tf.data.AUTOTUNE)
    if repeat:
        dataset = dataset.repeat()
    return dataset.batch(global_batch_size, drop_remainder=True)


def _by_index(dataset, config, global_batch_size, seed, repeat, jitter):
    """The decoded examples held in memory (or on disk with ``data.cache``), shuffled as
    indices (see cache.py): a checkpoint of an iterator over it saves positions only."""
    store, count = (cache.on_disk(dataset, config.cache, config) if config.cache
                    else cache.in_memory(dataset))
    indices = tf.data.Dataset.range(count).shuffle(config.shuffle_buffer, seed=seed,
                                                   reshuffle_each_iteration=True)
    if jitter:  # per example: each one gets its own crop
        indices = indices.map(lambda i: cache.gather(store, i), num_parallel_calls=tf.data.AUTOTUNE)
        dataset = _batched(indices, config, global_batch_size, repeat, jitter)
    else:  # one gather per batch
        dataset = _batched(indices, config, global_batch_size, repeat, jitter).map(
            lambda batch: cache.gather(store, batch), num_parallel_calls=tf.data.AUTOTUNE)
    options = _sharded(tf.data.experimental.AutoShardPolicy.DATA)
    options.experimental_symbolic_checkpoint = True
    return dataset.with_options(options)


def _sharded(policy):
    """Options that say how a multi-worker run splits the data between workers.

    DATA for examples read by index: every worker runs the same pipeline and keeps its
    rows of each global batch, so the workers' batches are disjoint and together are the
    global batch one worker would take. AUTO for streamed sources: by file where the
    source reads files with a tf.data reader (tfds' TFRecords, when there are at least as
    many files as workers), otherwise as DATA.
    """
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = policy
    return options
