"""``evaluate``: stream generated and real images through an extractor, then score them.

Images are never held: each batch is reduced to features at once. The running mean and
covariance (FID) cover every image; features themselves (KID, precision/recall) and class
probabilities (IS) are kept for at most ``n`` images per side. Real-data results can be cached
to ``<cache_dir>/<dataset>-<split>-<resolution>px-<extractor>-<sha256[:12]>-n<n>.npz``.

The metrics are registered in ``ganzoo.registry.METRICS`` as "fid", "kid", "is" and "pr";
each takes the (real, generated) ``FeatureSet`` pair and returns a dict of JSON-able floats.

Under tf.distribute: build the extractor inside ``strategy.scope()`` and call ``evaluate``
from the cross-replica context with a ``sample_fn`` that returns a plain tensor or array
(e.g. ``lambda b: generator(tf.random.normal([b, z_dim]))``); it runs batch by batch on
the default replica.
"""

import dataclasses
import itertools
import os

import numpy as np
import scipy.special

from ganzoo.metrics import statistics
from ganzoo.registry import METRICS, register_metric


@dataclasses.dataclass
class FeatureSet:
    """What one image stream leaves behind; ``features``/``probs`` only where kept."""

    count: int
    mean: np.ndarray
    covariance: np.ndarray
    features: np.ndarray = None
    probs: np.ndarray = None


def collect(batches, extractor, n, keep_features=False, keep_probs=False):
    """Runs up to ``n`` images from an iterable of batches (or (x, y) tuples) through
    ``extractor``; returns a ``FeatureSet``."""
    stats = statistics.FeatureStats(extractor.feature_dim)
    features, probs = [], []
    for batch in batches:
        if stats.count >= n:
            break
        if isinstance(batch, (tuple, list)):
            batch = batch[0]
        batch_features, batch_logits = extractor.outputs(batch[: n - stats.count])
        stats.update(batch_features)
        if keep_features:
            features.append(batch_features)
        if keep_probs:
            probs.append(scipy.special.softmax(batch_logits.astype(np.float64), axis=1))
    return FeatureSet(
        count=stats.count,
        mean=stats.mean,
        covariance=stats.covariance,
        features=np.concatenate(features) if keep_features else None,
        probs=np.concatenate(probs) if keep_probs else None,
    )


def reference_path(cache_dir, ref_key, extractor, n):
    """Cache file of real statistics; ``ref_key`` is (dataset, split, resolution)."""
    dataset, split, resolution = ref_key
    name = f"{dataset}-{split}-{resolution}px-{extractor.name}-{extractor.hash[:12]}-n{n}.npz"
    return os.path.join(cache_dir, name)


def reference_stats(real_dataset, extractor, n=10000, keep_features=True, cache_dir=None,
                    ref_key=None):
    """``FeatureSet`` of up to ``n`` real images, read from / written to the cache when both
    ``cache_dir`` and ``ref_key`` = (dataset, split, resolution) are given."""
    path = reference_path(cache_dir, ref_key, extractor, n) if cache_dir and ref_key else None
    if path and os.path.isfile(path):
        with np.load(path) as cached:
            if not keep_features or "features" in cached:
                return FeatureSet(
                    count=int(cached["count"]),
                    mean=cached["mean"],
                    covariance=cached["covariance"],
                    features=cached["features"] if keep_features else None,
                )
    real = collect(real_dataset, extractor, n, keep_features=keep_features)
    if path:
        os.makedirs(cache_dir, exist_ok=True)
        arrays = dict(count=real.count, mean=real.mean, covariance=real.covariance)
        if keep_features:
            arrays["features"] = real.features
        partial = path + ".partial.npz"
        np.savez(partial, **arrays)
        os.replace(partial, path)
    return real


def _metric(name, needs):
    """Registers a metric; ``needs`` says which of "real", "features", "probs" it reads."""

    def decorator(fn):
        fn.needs = frozenset(needs)
        return register_metric(name)(fn)

    return decorator


@_metric("fid", needs={"real"})
def fid(real, fake):
    distance = statistics.frechet_distance(real.mean, real.covariance, fake.mean, fake.covariance)
    return {"fid": distance}


@_metric("kid", needs={"real", "features"})
def kid(real, fake):
    mean, std = statistics.kernel_inception_distance(real.features, fake.features)
    return {"kid": mean, "kid_std": std}


@_metric("is", needs={"probs"})
def inception_score(real, fake):
    mean, std = statistics.inception_score(fake.probs)
    return {"is": mean, "is_std": std}


@_metric("pr", needs={"real", "features"})
def precision_recall(real, fake):
    precision, recall = statistics.precision_recall(real.features, fake.features)
    return {"precision": precision, "recall": recall}


def evaluate(sample_fn, real_dataset, extractor, metrics=("fid", "kid", "is", "pr"), n=10000,
             batch_size=250, cache_dir=None, ref_key=None):
    """Scores a generator against real data; returns a JSON-able dict.

    sample_fn(batch_size) -> generated images in [-1, 1], NHWC. real_dataset: iterable of
    image batches or (x, y) batches (e.g. a batched tf.data.Dataset); unused when cached or
    when no metric needs it ("is"). n: images per side (fewer real ones if the data ends
    first; the dict records both counts). ref_key: (dataset, split, resolution) for the cache.
    """
    chosen = [METRICS.get(name) for name in metrics]
    needs = frozenset().union(*(metric.needs for metric in chosen))
    real = None
    if "real" in needs:
        real = reference_stats(real_dataset, extractor, n, "features" in needs, cache_dir, ref_key)
    generated = (sample_fn(batch_size) for _ in itertools.count())
    fake = collect(generated, extractor, n, "features" in needs, "probs" in needs)
    result = {
        "extractor": extractor.name,
        "extractor_sha256": extractor.hash,
        "resolution": extractor.resolution,
        "resize": extractor.resize_method,
        "n_real": real.count if real else 0,
        "n_generated": fake.count,
    }
    for metric in chosen:
        result.update(metric(real, fake))
    return result
