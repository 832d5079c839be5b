"""``digits``: the 1797 8x8 handwritten digits that scikit-learn ships (no download).

Source: ``sklearn.datasets.load_digits`` (UCI optdigits test set; pixel values 0..16,
10 classes). Upsampled bilinearly to ``config.resolution``; the embedded default dataset.
"""

import numpy as np
import tensorflow as tf

from ganzoo.data.base import DatasetInfo, square_resize
from ganzoo.registry import register_dataset


@register_dataset("digits")
def build(config):
    from sklearn.datasets import load_digits  # lazy: importing sklearn takes ~1 s

    digits = load_digits()
    images = square_resize(digits.images[..., None], config.resolution, max_value=16.0)
    labels = digits.target.astype(np.int32)
    info = DatasetInfo("digits", (config.resolution, config.resolution, 1), 10, len(labels))
    return tf.data.Dataset.from_tensor_slices((images, labels)), info
