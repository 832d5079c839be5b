"""``ganzoo eval`` and ``ganzoo stats``: score a run or a zoo preset, record how it was measured.

``evaluate_target`` loads the generator and its real data, runs ``evaluation.evaluate`` and
returns a JSON-able record: target, dataset, split, resolution, extractor, the sha256 of its
weights and the protocol they give (``pytorch-fid Inception (TTUR 2015-12-05 graph)`` for the
official FID weights), image counts, resize method, seed, metric values, version and date.

The extractor defaults to ``digits`` for the digits dataset; for image datasets it is
``fid_inception`` when its weights are found (``extractors.find_fid_weights``), else
``inception``; a missing weights file is an error (never a silent fallback). ``--protocol
paper`` is the published one: fid_inception, 50000 generated images, every real image of the
split. Real-data statistics are cached in ``default_cache_dir()``; ``dataset_stats`` writes
them as the mu/sigma files of TTUR and pytorch-fid, which ``reference_stats=`` reads back.
"""

import dataclasses
import datetime
import json
import os

import numpy as np

from ganzoo import config as config_lib
from ganzoo.metrics import evaluation
from ganzoo.metrics.extractors import find_fid_weights, get_extractor
from ganzoo.registry import METRICS

DEFAULT_METRICS = ("fid", "kid", "is", "pr")
CACHE_DIR_ENV = "GANZOO_REFERENCE_STATS"
PAPER_SAMPLES = 50000  # generated images of the published FID protocol (Heusel et al. 2017)


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


def default_extractor(dataset_name, fid_weights=None):
    """The digits classifier for the digits dataset; for any other, the FID Inception when
    ``fid_weights`` is given or found, else Keras' ImageNet InceptionV3."""
    if dataset_name == "digits":
        return "digits"
    return "fid_inception" if fid_weights or find_fid_weights() else "inception"


def build_extractor(name, inception_weights=None, fid_weights=None):
    """The extractor called ``name``; ``inception_weights`` is the Keras InceptionV3 weights
    file, ``fid_weights`` the FID Inception's (default: where ``find_fid_weights`` looks)."""
    weights = {"inception": inception_weights, "fid_inception": fid_weights}.get(name)
    return get_extractor(name, **({"weights_path": weights} if weights else {}))


def sampler(generator, seed=0):
    """``sample_fn(batch_size)`` for ``evaluation.evaluate``: samples from standard normal
    latents (and uniform class labels for conditional generators), reproducible by ``seed``."""
    generator.sample_inputs(1)  # fails now, clearly, for a generator of images
    rng = np.random.default_rng(seed)

    def sample_fn(batch_size):
        return generator(generator.sample_inputs(batch_size, rng, "uniform"), training=False)

    return sample_fn


def real_batches(data_config, batch_size, seed=0):
    """The real images, one pass, loaded only when first iterated (not at all when cached).
    Every image: the last batch may be smaller (the training pipeline drops it)."""
    from ganzoo.data import load_dataset

    dataset = load_dataset(data_config, 1, seed=seed, repeat=False)[0]
    yield from dataset.unbatch().batch(batch_size)


def check_images(shape, dataset_name):
    """These metrics score images: a clear error for 2-D points (ring, grid)."""
    if len(shape) != 3:
        raise ValueError(f"FID, KID, IS and precision/recall need images, but {dataset_name} "
                         f"examples have shape {tuple(shape)}.")


def load_target(target):
    """(sampling generator, DataConfig, default JSON path) of a run directory or a preset."""
    from ganzoo import presets, runs

    if runs.is_run_dir(target):
        config, _ = runs.read_run(target)
        generator = runs.load_run(target).sampling_generator()
        return generator, config.data, os.path.join(target, "eval.json")
    _, spec, _ = runs.open_preset(target)
    if not spec["recipe"]:
        raise ValueError(f"Preset {target} records no training recipe, so no real data.")
    data = config_lib.from_dict(spec["recipe"]).data
    name = os.path.basename(os.path.normpath(target))
    return presets.load_generator(target), data, f"eval_{name}.json"


def evaluate_target(target, metrics=DEFAULT_METRICS, n=10000, batch_size=250, seed=0,
                    split=None, extractor=None, inception_weights=None, cache_dir=None,
                    fid_weights=None, reference_stats=None, protocol=None):
    """(record, default JSON path) for a run directory or preset ``target``.

    split: the real data's split (default: the one it was trained on; for classifier
    metrics such as "accuracy", its held-out complement, see ``ganzoo.classifier``). extractor:
    "fid_inception", "inception" or "digits" (default: ``default_extractor``). cache_dir:
    default ``default_cache_dir()``. reference_stats: a mu/sigma .npz (TTUR, pytorch-fid,
    ``ganzoo stats``) used instead of the real data. protocol: "paper" = fid_inception,
    ``PAPER_SAMPLES`` generated and every real image of the split (``n`` is ignored).
    """
    from ganzoo import classifier

    generator, data, default_out = load_target(target)
    by_classifier = classifier.classifier_metrics(metrics)
    held_out = by_classifier and classifier.accuracy_record(target, by_classifier, split,
                                                            batch_size)
    metrics = tuple(name for name in metrics if name not in by_classifier)
    if not metrics:
        return held_out, default_out
    check_images(generator.data_shape, data.name)
    if split:
        data = dataclasses.replace(data, split=split)
    if protocol == "paper":
        if extractor not in (None, "fid_inception"):
            raise ValueError(f"--protocol paper measures with fid_inception, not {extractor}.")
        extractor, n = "fid_inception", PAPER_SAMPLES
    extractor = build_extractor(extractor or default_extractor(data.name, fid_weights),
                                inception_weights, fid_weights)
    real = evaluation.read_stats_file(reference_stats, extractor) if reference_stats else None
    scores = evaluation.evaluate(
        sampler(generator, seed), real_batches(data, batch_size, seed), extractor, metrics, n,
        batch_size, cache_dir or default_cache_dir(), (data.name, data.split, data.resolution),
        all_real=protocol == "paper", real=real)
    from ganzoo import __version__

    record = {
        "target": target,
        "dataset": data.name,
        "split": data.split,
        "resolution": data.resolution,
        "extractor": scores.pop("extractor"),
        "extractor_sha256": scores.pop("extractor_sha256"),
        "protocol": scores.pop("protocol"),
        "sample_protocol": protocol or "custom",
        "reference_stats": reference_stats,
        "extractor_resolution": scores.pop("resolution"),
        "resize": scores.pop("resize"),
        "n_real": scores.pop("n_real"),
        "n_generated": scores.pop("n_generated"),
        "seed": seed,
        "metrics": scores,
        "ganzoo_version": __version__,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    if held_out:
        record["metrics"].update(held_out["metrics"])
        record.update(classifier_split=held_out["split"], n_classified=held_out["n_real"])
    return record, default_out


def dataset_stats(dataset, out, split="train", resolution=None, n=None, batch_size=250,
                  extractor=None, fid_weights=None, data_dir=None, seed=0):
    """Writes the FID statistics (mu, sigma) of ``n`` (None: all) images of ``dataset`` to
    ``out`` in the TTUR / pytorch-fid format; returns (path, count, extractor)."""
    fields = {"name": dataset, "split": split, "resolution": resolution, "data_dir": data_dir}
    data = config_lib.DataConfig(**{k: v for k, v in fields.items() if v is not None})
    extractor = build_extractor(extractor or default_extractor(dataset, fid_weights),
                                fid_weights=fid_weights)
    stats = evaluation.collect(real_batches(data, batch_size, seed), extractor, n)
    return evaluation.write_stats_file(out, stats, extractor), stats.count, extractor


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
               f"{record['extractor']} features: {record['protocol']}")
    rows = [("metric", "value")] + [(k, f"{v:.4f}") for k, v in record["metrics"].items()]
    width = max(len(name) for name, _ in rows)
    return "\n".join([heading] + [f"  {name:<{width}}  {value:>10}" for name, value in rows])
