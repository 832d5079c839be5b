"""Any tensorflow-datasets name: ``tfds.builder(name, data_dir=config.data_dir)``.

Reads prepared data, or downloads and prepares it first (tfds' ``download_and_prepare``
with ``manual_dir=<data_dir>/downloads/manual``, tfds' own default). Without network the
download would sit in tfds' HTTP retries, so a 3 s TCP probe of DOWNLOAD_HOST (the
``storage.googleapis.com`` mirror tfds tries first) fails fast with where to put files.
tensorflow_datasets is imported lazily so ``import ganzoo`` stays fast.
"""

import os
import socket
import threading

from ganzoo.data.base import DatasetError, DatasetInfo, square_resize

DOWNLOAD_HOST = ("storage.googleapis.com", 443)
PROBE_SECONDS = 3.0


def is_tfds_name(name):
    """True for a tfds builder name, optionally with /config or :version ("mnist:3.*.*")."""
    import tensorflow_datasets as tfds

    base = name.split(":")[0].split("/")[0]
    return base in tfds.list_builders(with_community_datasets=False)


def _first_line(error):
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def _online():
    """Whether a TCP connection to DOWNLOAD_HOST opens in PROBE_SECONDS, DNS included."""
    opened = []

    def probe():
        try:
            socket.create_connection(DOWNLOAD_HOST, timeout=PROBE_SECONDS).close()
            opened.append(True)
        except OSError:
            pass

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    thread.join(PROBE_SECONDS)
    return bool(opened)


def _prepare(builder, name):
    import tensorflow_datasets as tfds

    data_dir = str(builder.data_dir_root)
    manual_dir = os.path.join(data_dir, "downloads", "manual")
    where = (
        f"Run it once where there is network and copy {data_dir} over, or put the files "
        f"of a manual-download dataset in {manual_dir} "
        f"(see https://www.tensorflow.org/datasets/catalog/{builder.name})."
    )
    has_manual_files = os.path.isdir(manual_dir) and os.listdir(manual_dir)
    if not has_manual_files and not _online():
        raise DatasetError(
            f"'{name}' is not prepared in --data-dir {data_dir} and cannot be downloaded: "
            f"{DOWNLOAD_HOST[0]} is unreachable. {where}"
        )
    try:
        builder.download_and_prepare(
            download_config=tfds.download.DownloadConfig(manual_dir=manual_dir)
        )
    except Exception as e:  # tfds raises many types; all mean the same to the user
        raise DatasetError(
            f"Preparing '{name}' in {data_dir} failed ({_first_line(e)}). {where}"
        ) from e


def _read(builder, split, seed):
    import tensorflow_datasets as tfds

    try:
        return builder.as_dataset(
            split=split, shuffle_files=True, read_config=tfds.ReadConfig(shuffle_seed=seed)
        )
    except (KeyError, ValueError) as e:
        raise DatasetError(
            f"tfds '{builder.name}' cannot read split '{split}' ({_first_line(e)}); "
            f"splits: {', '.join(builder.info.splits) or 'unknown'}."
        ) from e


def build(config, seed=0):
    """(unbatched dataset of x or (x, y), DatasetInfo) for tfds dataset ``config.name``."""
    import tensorflow as tf
    import tensorflow_datasets as tfds

    name = config.name
    try:
        builder = tfds.builder(name, data_dir=config.data_dir)
    except Exception as e:
        raise DatasetError(f"tensorflow-datasets cannot build '{name}': {_first_line(e)}") from e
    features = builder.info.features
    if "image" not in features:
        raise DatasetError(f"tfds '{name}' has no 'image' feature; ganzoo trains on images.")
    label = features["label"] if "label" in features else None
    labeled = isinstance(label, tfds.features.ClassLabel)
    channels = features["image"].shape[-1]

    try:
        dataset = _read(builder, config.split, seed)
    except AssertionError:  # tfds' "could not find data": not downloaded and prepared yet
        _prepare(builder, name)
        dataset = _read(builder, config.split, seed)
    try:
        num_examples = builder.info.splits[config.split].num_examples
    except (KeyError, ValueError):
        num_examples = None

    def preprocess(example):
        image = square_resize(example["image"], config.resolution)
        return (image, tf.cast(example["label"], tf.int32)) if labeled else image

    info = DatasetInfo(
        name,
        (config.resolution, config.resolution, channels),
        label.num_classes if labeled else 0,
        num_examples or None,
    )
    return dataset.map(preprocess, num_parallel_calls=tf.data.AUTOTUNE), info
