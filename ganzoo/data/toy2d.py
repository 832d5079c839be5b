"""2-D Gaussian mixtures for mode-collapse studies, and the mode coverage metric.

The benchmarks of VEEGAN (Srivastava et al. 2017, "VEEGAN: Reducing Mode Collapse in
GANs using Implicit Variational Learning", Sec. 5.1): ``ring`` = 8 Gaussians evenly on a
circle of radius 2 with std 0.02; ``grid`` = 25 Gaussians at {-4, -2, 0, 2, 4}^2 with
std 0.05. Unlabeled; ``config.resolution`` is ignored.
"""

import itertools

import numpy as np
import tensorflow as tf

from ganzoo.data.base import DatasetInfo
from ganzoo.registry import register_dataset

_ANGLES = 2 * np.pi * np.arange(8) / 8
MODES = {
    "ring": 2.0 * np.stack([np.cos(_ANGLES), np.sin(_ANGLES)], axis=1),
    "grid": np.array(list(itertools.product([-4.0, -2.0, 0.0, 2.0, 4.0], repeat=2))),
}
STDS = {"ring": 0.02, "grid": 0.05}
NUM_POINTS = 100_000  # fixed sample; far more than a toy GAN sees per mode


def sample(name, n, seed=0):
    """n points of mixture ``name``: a uniformly drawn mode plus isotropic Gaussian noise."""
    rng = np.random.default_rng(seed)
    modes = MODES[name][rng.integers(len(MODES[name]), size=n)]
    return (modes + STDS[name] * rng.standard_normal((n, 2))).astype(np.float32)


def _build(name):
    points = sample(name, NUM_POINTS)
    return tf.data.Dataset.from_tensor_slices(points), DatasetInfo(name, (2,), 0, NUM_POINTS)


@register_dataset("ring")
def build_ring(config):
    return _build("ring")


@register_dataset("grid")
def build_grid(config):
    return _build("grid")


def mode_coverage(samples, name, threshold=3.0, min_fraction=0.01):
    """Returns (modes covered, fraction of high-quality samples) of [n, 2] ``samples``.

    VEEGAN's metric: a sample is high quality if it lies within ``threshold`` standard
    deviations of its nearest mode. A mode counts as covered when it receives at least
    ``max(1, min_fraction * n)`` high-quality samples (1% by default, so a handful of
    stray points does not count as a mode; ``min_fraction=0`` counts any one sample).
    """
    samples = np.asarray(samples, np.float64).reshape(-1, 2)
    distances = np.linalg.norm(samples[:, None, :] - MODES[name][None], axis=-1)
    good = distances.min(axis=1) <= threshold * STDS[name]
    counts = np.bincount(distances.argmin(axis=1)[good], minlength=len(MODES[name]))
    covered = int(np.sum(counts >= max(1.0, min_fraction * len(samples))))
    return covered, float(good.mean())
