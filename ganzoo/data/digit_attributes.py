"""Attributes of a digit image that can be measured on its pixels: stroke thickness,
slant and size. The digits captions (``ganzoo.data.captions``) are written from these
numbers and the StackGAN study (``tools/stackgan_study.py``) checks generated images with
the same functions.

Images are NHWC, one channel, in [-1, 1] (ink is high); ink = (x + 1) / 2 in [0, 1].
Every measure is in units of the image side (independent of the resolution):

- ``thickness``: mean stroke width = 2 * ink area / total variation of the ink. A stroke
  of length L and width w has area L w and two edges of length L (total variation 2 L),
  so the ratio is w. Divided by the image side.
- ``slant``: |shear| of the ink's second moments, |cov(x, y)| / var(y): the horizontal
  shift per unit of height of the ink's principal direction (0 = upright; 1 = 45 degrees).
- ``size``: spread of the ink, 2 * sqrt(var(x) + var(y)) (twice its radius of gyration)
  divided by the image side. (The bounding box is no measure here: the digits were
  normalized to fill their 8x8 box, so nearly every box spans the whole height.)
"""

import numpy as np

ATTRIBUTES = ("thickness", "slant", "size")


def _ink(images):
    images = np.asarray(images, np.float32)
    if images.ndim != 4 or images.shape[-1] != 1:
        raise ValueError(f"digit attributes take one-channel NHWC images; got shape "
                         f"{images.shape}.")
    return np.clip((images[..., 0] + 1.0) / 2.0, 0.0, 1.0)


def thickness(images):
    """Mean stroke width / image side, per image [N]."""
    ink = _ink(images)
    padded = np.pad(ink, ((0, 0), (1, 1), (1, 1)))
    variation = (np.abs(np.diff(padded, axis=1)).sum(axis=(1, 2))
                 + np.abs(np.diff(padded, axis=2)).sum(axis=(1, 2)))
    return 2.0 * ink.sum(axis=(1, 2)) / np.maximum(variation, 1e-6) / ink.shape[1]


def _moments(images):
    """(var(x), var(y), cov(x, y)) of the ink, per image, in pixels^2."""
    ink = _ink(images)
    mass = np.maximum(ink.sum(axis=(1, 2)), 1e-6)
    rows, columns = np.mgrid[:ink.shape[1], :ink.shape[2]].astype(np.float32)
    mean_y = (ink * rows).sum(axis=(1, 2)) / mass
    mean_x = (ink * columns).sum(axis=(1, 2)) / mass
    dy = rows[None] - mean_y[:, None, None]
    dx = columns[None] - mean_x[:, None, None]
    var_y = (ink * dy * dy).sum(axis=(1, 2)) / mass
    var_x = (ink * dx * dx).sum(axis=(1, 2)) / mass
    cov = (ink * dx * dy).sum(axis=(1, 2)) / mass
    return var_x, var_y, cov


def slant(images):
    """|cov(x, y)| / var(y) of the ink, per image [N]."""
    _, var_y, cov = _moments(images)
    return np.abs(cov) / np.maximum(var_y, 1e-6)


def size(images):
    """2 * sqrt(var(x) + var(y)) of the ink / image side, per image [N]."""
    var_x, var_y, _ = _moments(images)
    return 2.0 * np.sqrt(var_x + var_y) / np.asarray(images).shape[1]


MEASURES = {"thickness": thickness, "slant": slant, "size": size}


def measure(images):
    """{attribute: values [N]} for every attribute in ``ATTRIBUTES``."""
    return {name: MEASURES[name](images) for name in ATTRIBUTES}
