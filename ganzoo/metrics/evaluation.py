"""``evaluate``: stream generated and real images through an extractor, then score them.

Images are never held: each batch is reduced to features at once. The running mean and
covariance (FID) cover every image; features themselves (KID, precision/recall) and class
probabilities (IS) are kept for at most ``n`` images per side. Real-data results can be cached
to ``<cache_dir>/<dataset>-<split>-<resolution>px-<extractor>-<sha256[:12]>-<used>.npz``, where
``<used>`` is ``n<N>`` (exactly N real images) or ``all`` (the whole split, fewer than asked).
Published statistics (``mu``/``sigma`` .npz files of TTUR and pytorch-fid) are read and
written by ``read_stats_file`` / ``write_stats_file``.

The metrics are registered in ``ganzoo.registry.METRICS`` as "fid", "kid", "is" and "pr";
each takes the (real, generated) ``FeatureSet`` pair and returns a dict of JSON-able floats.

Under tf.distribute: build the extractor inside ``strategy.scope()`` and call ``evaluate``
from the cross-replica context with a ``sample_fn`` that returns a plain tensor or array
(e.g. ``lambda b: generator(tf.random.normal([b, z_dim]))``); it runs batch by batch on
the default replica.
"""

import dataclasses
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


def collect(batches, extractor, n=None, keep_features=False, keep_probs=False):
    """Runs up to ``n`` images (None: all) from an iterable of batches (or (x, y) tuples)
    through ``extractor``; returns a ``FeatureSet``. No batch is drawn once ``n`` are in."""
    stats = statistics.FeatureStats(extractor.feature_dim)
    features, probs = [], []
    batches = iter(batches)
    while n is None or stats.count < n:
        batch = next(batches, None)
        if batch is None:
            break
        if isinstance(batch, (tuple, list)):
            batch = batch[0]
        if n is not None:
            batch = batch[: n - stats.count]
        batch_features, batch_logits = extractor.outputs(batch)
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


def generated_batches(sample_fn, n, batch_size):
    """``sample_fn(batch_size)`` until ``n`` images, the last call asking for the remainder."""
    for start in range(0, n, batch_size):
        yield sample_fn(min(batch_size, n - start))


def reference_path(cache_dir, ref_key, extractor, n):
    """Cache file of exactly ``n`` real images (None: the whole split); ``ref_key`` is
    (dataset, split, resolution)."""
    dataset, split, resolution = ref_key
    used = "all" if n is None else f"n{n}"
    name = f"{dataset}-{split}-{resolution}px-{extractor.name}-{extractor.hash[:12]}-{used}.npz"
    return os.path.join(cache_dir, name)


def _read_cache(path, n, keep_features):
    """The cached ``FeatureSet`` at ``path`` if it serves a request for ``n`` images."""
    if not os.path.isfile(path):
        return None
    with np.load(path) as cached:
        count = int(cached["count"])
        if (n is not None and count > n) or (keep_features and "features" not in cached):
            return None
        return FeatureSet(count=count, mean=cached["mean"], covariance=cached["covariance"],
                          features=cached["features"] if keep_features else None)


def reference_stats(real_dataset, extractor, n=10000, keep_features=True, cache_dir=None,
                    ref_key=None):
    """``FeatureSet`` of ``n`` real images (None, or a split with fewer: all of them), read
    from / written to the cache when both ``cache_dir`` and ``ref_key`` = (dataset, split,
    resolution) are given. The file name records the count used: ``n<N>`` or ``all``."""
    if cache_dir and ref_key:
        for used in dict.fromkeys([n, None]):
            cached = _read_cache(reference_path(cache_dir, ref_key, extractor, used), n,
                                 keep_features)
            if cached:
                return cached
    real = collect(real_dataset, extractor, n, keep_features=keep_features)
    if cache_dir and ref_key:
        path = reference_path(cache_dir, ref_key, extractor, n if real.count == n else None)
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


def read_stats_file(path, extractor=None):
    """``FeatureSet`` (count None when unknown, no features) of a TTUR / pytorch-fid statistics
    file: an .npz with ``mu`` [D] and ``sigma`` [D, D]. Checked against ``extractor``'s
    feature size, and its weights' sha256 when the file records one (``ganzoo stats``)."""
    with np.load(path, allow_pickle=False) as arrays:
        if "mu" not in arrays or "sigma" not in arrays:
            raise ValueError(f"{path} is not a statistics file: it has {sorted(arrays)}, "
                             "not 'mu' and 'sigma'.")
        mu, sigma = arrays["mu"].astype(np.float64), arrays["sigma"].astype(np.float64)
        count = int(arrays["n"]) if "n" in arrays else None
        recorded = str(arrays["extractor_sha256"]) if "extractor_sha256" in arrays else None
    if extractor and (mu.shape != (extractor.feature_dim,) or recorded not in (None,
                                                                              extractor.hash)):
        raise ValueError(f"{path} holds statistics of {mu.shape[-1]}-d features (weights "
                         f"sha256 {recorded or 'not recorded'}), not of {extractor.name}'s "
                         f"{extractor.feature_dim}-d ones (sha256 {extractor.hash}).")
    return FeatureSet(count=count, mean=mu, covariance=sigma)


def write_stats_file(path, stats, extractor):
    """Writes ``stats`` as pytorch-fid does (``mu``, ``sigma`` float64, np.savez_compressed),
    plus ``n``, ``extractor`` and ``extractor_sha256``, which pytorch-fid and TTUR ignore."""
    folder = os.path.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    np.savez_compressed(path, mu=stats.mean.astype(np.float64),
                        sigma=stats.covariance.astype(np.float64), n=stats.count,
                        extractor=extractor.name, extractor_sha256=extractor.hash)
    return path


def evaluate(sample_fn, real_dataset, extractor, metrics=("fid", "kid", "is", "pr"), n=10000,
             batch_size=250, cache_dir=None, ref_key=None, all_real=False, real=None):
    """Scores a generator against real data; returns a JSON-able dict.

    sample_fn(batch_size) -> generated images in [-1, 1], NHWC; it is asked for exactly ``n``
    images. real_dataset: iterable of image batches or (x, y) batches (e.g. a batched
    tf.data.Dataset); unused when cached, when ``real`` is given or when no metric needs it
    ("is"). n also counts the real images (fewer if the data ends first; the dict records
    both counts) unless ``all_real``: every real image of the split (the paper protocol).
    ref_key: (dataset, split, resolution) for the cache. real: a ``FeatureSet`` to use
    instead (e.g. ``read_stats_file``; without features it serves FID and IS only).
    """
    chosen = [METRICS.get(name) for name in metrics]
    needs = frozenset().union(*(metric.needs for metric in chosen))
    if real is not None and "features" in needs and real.features is None:
        raise ValueError("Reference statistics (mu, sigma) serve FID (and IS, which needs no "
                         "real data) but not KID or precision/recall: use --metrics fid,is.")
    if real is None and "real" in needs:
        real = reference_stats(real_dataset, extractor, None if all_real else n,
                               "features" in needs, cache_dir, ref_key)
    generated = generated_batches(sample_fn, n, batch_size)
    fake = collect(generated, extractor, n, "features" in needs, "probs" in needs)
    result = {
        "extractor": extractor.name,
        "extractor_sha256": extractor.hash,
        "protocol": extractor.protocol,
        "resolution": extractor.resolution,
        "resize": extractor.resize_method,
        "n_real": real.count if real else 0,
        "n_generated": fake.count,
    }
    for metric in chosen:
        result.update(metric(real, fake))
    return result
