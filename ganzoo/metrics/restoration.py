"""Restoration metrics and the classical baselines they are compared with.

Images are NHWC float in [-1, 1], as ganzoo's generators emit them; PSNR and SSIM are
``tf.image.psnr`` / ``tf.image.ssim`` with ``max_val`` 2 (the width of that range), so
they equal the usual values on [0, 1] images. SSIM uses tf.image's 11x11 Gaussian window
(sigma 1.5), which needs images of at least 11 pixels a side. Masks are [N, H, W, 1],
1 = hole.

Baselines: bicubic upsampling (super-resolution); mean fill (the hole gets the mean of
the image's known pixels) and diffusion fill (the hole starts at the mean fill, then is
repeatedly replaced by the 3x3 average of its neighbours while known pixels stay fixed:
a Jacobi iteration of the Laplace equation, i.e. harmonic inpainting).
"""

import numpy as np
import tensorflow as tf

from ganzoo.metrics.extractors import DigitsExtractor


def _f32(images):
    return tf.cast(tf.convert_to_tensor(images), tf.float32)


def psnr(images, references):
    """Per-image PSNR in dB [N] (numpy) of ``images`` against ``references``."""
    return tf.image.psnr(_f32(images), _f32(references), max_val=2.0).numpy()


def ssim(images, references):
    """Per-image SSIM [N] (numpy) of ``images`` against ``references``."""
    return tf.image.ssim(_f32(images), _f32(references), max_val=2.0).numpy()


def hole_l1(images, references, masks):
    """Per-image mean absolute difference inside the hole [N] (numpy)."""
    masks = np.asarray(masks, np.float32)
    difference = np.abs(np.asarray(images, np.float32) - np.asarray(references, np.float32))
    channels = difference.shape[-1]
    return (difference * masks).sum((1, 2, 3)) / np.maximum(masks.sum((1, 2, 3)) * channels, 1)


def bicubic_upsample(images, scale):
    """Bicubic upsampling by ``scale``, clipped to [-1, 1] (the super-resolution baseline)."""
    images = _f32(images)
    size = (images.shape[1] * scale, images.shape[2] * scale)
    return tf.clip_by_value(tf.image.resize(images, size, method="bicubic"), -1.0, 1.0).numpy()


def mean_fill(images, masks):
    """The hole filled with the mean of each image's known pixels (per channel)."""
    images, masks = np.asarray(images, np.float32), np.asarray(masks, np.float32)
    known = 1.0 - masks
    mean = (images * known).sum((1, 2), keepdims=True) / np.maximum(
        known.sum((1, 2), keepdims=True), 1.0)
    return images * known + mean * masks


def diffusion_fill(images, masks, iterations=300):
    """The hole diffused in from its border: ``iterations`` Jacobi steps of 3x3 averaging
    (edge-padded), known pixels reset after each, starting from the mean fill."""
    images, masks = np.asarray(images, np.float32), np.asarray(masks, np.float32)
    known = 1.0 - masks
    filled = mean_fill(images, masks)
    for _ in range(iterations):
        padded = np.pad(filled, ((0, 0), (1, 1), (1, 1), (0, 0)), mode="edge")
        height, width = filled.shape[1:3]
        average = sum(padded[:, i:i + height, j:j + width]
                      for i in range(3) for j in range(3)) / 9.0
        filled = images * known + average * masks
    return filled


def digit_accuracy(images, labels):
    """How often the shipped digits classifier reads ``labels`` in ``images``."""
    logits = DigitsExtractor().logits(np.clip(np.asarray(images, np.float32), -1.0, 1.0))
    return float(np.mean(logits.argmax(1) == np.asarray(labels)))
