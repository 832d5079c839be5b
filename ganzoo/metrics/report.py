"""``ganzoo eval``: score a trained run or a zoo preset and record how it was measured.

``evaluate_target`` loads the generator and its real data, runs ``evaluation.evaluate`` and
returns a JSON-able record: target, dataset, split, resolution, extractor and the sha256 of
its weights, image counts, resize method, seed, metric values, ganzoo version and date.

The extractor defaults to ``digits`` for the digits dataset and ``inception`` otherwise; a
missing InceptionV3 weights file is an error (never a silent fallback). Real-data statistics
are cached in ``default_cache_dir()``.
"""

import dataclasses
import datetime
import json
import os

import numpy as np

from ganzoo import config as config_lib
from ganzoo.metrics import evaluation
from ganzoo.metrics.extractors import get_extractor
from ganzoo.registry import METRICS

DEFAULT_METRICS = ("fid", "kid", "is", "pr")
CACHE_DIR_ENV = "GANZOO_REFERENCE_STATS"


def default_cache_dir():
    """$GANZOO_REFERENCE_STATS, else ~/.ganzoo/reference_stats."""
    return os.environ.get(CACHE_DIR_ENV) or os.path.join(
        os.path.expanduser("~"), ".ganzoo", "reference_stats")


def parse_metrics(text):
    """"fid,kid" -> ("fid", "kid"); an unknown name is an error listing the valid ones."""
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    if not names:
        raise ValueError(f"--metrics is empty. Valid choices: {', '.join(DEFAULT_METRICS)}.")
    for name in names:
        METRICS.get(name)
    return names


def default_extractor(dataset_name):
    """The digits classifier for the digits dataset, InceptionV3 for everything else."""
    return "digits" if dataset_name == "digits" else "inception"


def build_extractor(name, inception_weights=None):
    """The extractor called ``name``; ``inception_weights`` is the InceptionV3 weights file."""
    kwargs = {"weights_path": inception_weights} if name == "inception" else {}
    return get_extractor(name, **kwargs)


def sampler(generator, seed=0):
    """``sample_fn(batch_size)`` for ``evaluation.evaluate``: samples from standard normal
    latents (and uniform class labels for conditional generators), reproducible by ``seed``."""
    if getattr(generator, "input_kind", "noise") == "image":
        raise ValueError(f"{generator.name} translates images (cyclegan, pix2pix): these "
                         "metrics score generators that sample from noise.")
    rng = np.random.default_rng(seed)

    def sample_fn(batch_size):
        z = rng.standard_normal((batch_size, generator.latent_dim)).astype(np.float32)
        if generator.num_classes:
            z = [z, rng.integers(0, generator.num_classes, batch_size).astype(np.int32)]
        return generator(z, training=False)

    return sample_fn


def real_batches(data_config, batch_size, seed=0):
    """The real images, one pass, loaded only when first iterated (not at all when cached)."""
    from ganzoo.data import load_dataset

    yield from load_dataset(data_config, batch_size, seed=seed, repeat=False)[0]


def check_images(shape, dataset_name):
    """These metrics score images: a clear error for 2-D points (ring, grid)."""
    if len(shape) != 3:
        raise ValueError(f"FID, KID, IS and precision/recall need images, but {dataset_name} "
                         f"examples have shape {tuple(shape)}.")


def load_target(target):
    """(sampling generator, DataConfig, default JSON path) of a run directory or a preset."""
    from ganzoo import training

    if training.is_run_dir(target):
        config, _ = training.read_run(target)
        generator = training.load_run(target).sampling_generator()
        return generator, config.data, os.path.join(target, "eval.json")
    from ganzoo import presets

    _, spec, _ = presets.open_preset(target)
    if not spec["recipe"]:
        raise ValueError(f"Preset {target} records no training recipe, so no real data.")
    data = config_lib.from_dict(spec["recipe"]).data
    name = os.path.basename(os.path.normpath(target))
    return presets.load_generator(target), data, f"eval_{name}.json"


def evaluate_target(target, metrics=DEFAULT_METRICS, n=10000, batch_size=250, seed=0,
                    split=None, extractor=None, inception_weights=None, cache_dir=None):
    """(record, default JSON path) for a run directory or preset ``target``.

    split: the real data's split (default: the one it was trained on). extractor: "digits" or
    "inception" (default: ``default_extractor``). cache_dir: default ``default_cache_dir()``.
    """
    generator, data, default_out = load_target(target)
    check_images(generator.data_shape, data.name)
    if split:
        data = dataclasses.replace(data, split=split)
    extractor = build_extractor(extractor or default_extractor(data.name), inception_weights)
    scores = evaluation.evaluate(
        sampler(generator, seed), real_batches(data, batch_size, seed), extractor, metrics, n,
        batch_size, cache_dir or default_cache_dir(), (data.name, data.split, data.resolution))
    from ganzoo import __version__

    record = {
        "target": target,
        "dataset": data.name,
        "split": data.split,
        "resolution": data.resolution,
        "extractor": scores.pop("extractor"),
        "extractor_sha256": scores.pop("extractor_sha256"),
        "extractor_resolution": scores.pop("resolution"),
        "resize": scores.pop("resize"),
        "n_real": scores.pop("n_real"),
        "n_generated": scores.pop("n_generated"),
        "seed": seed,
        "metrics": scores,
        "ganzoo_version": __version__,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    return record, default_out


def write_json(record, path):
    folder = os.path.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    with open(path, "w") as f:
        json.dump(record, f, indent=2)
    return path


def format_table(record):
    """A heading line, then one aligned ``metric  value`` row per value."""
    heading = (f"{record['target']}: {record['n_generated']} generated vs {record['n_real']} "
               f"real ({record['dataset']}/{record['split']}, {record['resolution']}px), "
               f"{record['extractor']} features")
    rows = [("metric", "value")] + [(k, f"{v:.4f}") for k, v in record["metrics"].items()]
    width = max(len(name) for name, _ in rows)
    return "\n".join([heading] + [f"  {name:<{width}}  {value:>10}" for name, value in rows])
