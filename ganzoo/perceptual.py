"""Perceptual distances between images, for projection (``ganzoo project``).

Distance D(x, y) = ||phi(x) - phi(y)||^2 + pixel_weight * mean((x - y)^2), phi the run's
feature extractor scaled so that the first term is the mean squared feature difference
(``digits``, ``fid_inception``, ``inception``), or for ``vgg16`` (a user's Keras VGG16
weights file, never downloaded) the LPIPS form without learned weights (Zhang et al. 2018,
"The Unreasonable Effectiveness of Deep Features as a Perceptual Metric"): per layer the
channel-normalised activations' squared difference, summed over channels and averaged over
positions, summed over conv1_2 .. conv5_3; ``pixels`` uses pixels alone. Images are
[-1, 1]; reported distances are measured on the clipped reconstruction (what the PNG shows).
"""

import math
import os

import tensorflow as tf

PIXEL_WEIGHT = 10.0  # measured on digits: lower pixel MSE and feature distance than 1
EXTRACTOR_NAMES = ("digits", "fid_inception", "inception", "vgg16", "pixels")
VGG_LAYERS = ("block1_conv2", "block2_conv2", "block3_conv3", "block4_conv3", "block5_conv3")
VGG_RESOLUTION = 224
VGG_BGR_MEAN = (103.939, 116.779, 123.68)


class Distance:
    """D(x, y) = ||phi(x) - phi(y)||^2 + pixel_weight * mean((x - y)^2) per image.

    Args:
        embed: callable or None, images [B, H, W, C] in [-1, 1] -> phi [B, D] (a
            differentiable TensorFlow function); None for pixels alone.
        pixel_weight: float, default 10.0 (PIXEL_WEIGHT), weight of the pixel term.
        name: str, default "pixels", what phi is (recorded in projection.json).
    """

    def __init__(self, embed=None, pixel_weight=PIXEL_WEIGHT, name="pixels"):
        self.embed, self.pixel_weight, self.name = embed, pixel_weight, name

    def features(self, images):
        """phi(images) [B, D], or an empty [B, 0] without an extractor."""
        images = tf.convert_to_tensor(images, tf.float32)
        return self.embed(images) if self.embed else tf.zeros((tf.shape(images)[0], 0))

    def parts(self, images, targets, target_features, image_features=None):
        """(feature distance [B], pixel MSE [B]) as tensors; ``image_features`` are
        phi(images) when already known."""
        if image_features is None:
            image_features = self.features(images)
        pixels = tf.reduce_mean(tf.square(images - targets), axis=[1, 2, 3])
        features = tf.reduce_sum(tf.square(image_features - target_features), axis=1)
        return features, pixels

    def __call__(self, images, targets, target_features):
        features, pixels = self.parts(images, targets, target_features)
        return features + self.pixel_weight * pixels

    def measure(self, images, targets):
        """{"feature_distance", "pixel_mse", "distance"}: numpy [B] each, on images clipped
        to [-1, 1]."""
        images = tf.clip_by_value(tf.convert_to_tensor(images, tf.float32), -1.0, 1.0)
        targets = tf.convert_to_tensor(targets, tf.float32)
        features, pixels = self.parts(images, targets, self.features(targets))
        return {"feature_distance": features.numpy(), "pixel_mse": pixels.numpy(),
                "distance": (features + self.pixel_weight * pixels).numpy()}


def extractor_embedding(extractor):
    """phi of a ``ganzoo.metrics`` extractor: its features / sqrt(D), differentiable."""
    scale = 1.0 / math.sqrt(extractor.feature_dim)

    def embed(images):
        if images.shape[-1] == 1 and extractor.channels == 3:
            images = tf.tile(images, [1, 1, 1, 3])
        # The extractor's traced body (resize + model): its public calls return numpy.
        return extractor._forward_impl(images)[0] * scale

    return embed


def vgg16_embedding(weights_path):
    """phi of Keras' VGG16 read from ``weights_path`` (no top): the channel-normalised
    activations of ``VGG_LAYERS``, each scaled by 1 / sqrt(positions), concatenated."""
    import keras

    if not weights_path or not os.path.isfile(weights_path):
        raise FileNotFoundError(
            f"--extractor vgg16 needs --vgg-weights PATH: a Keras VGG16 ImageNet weights file "
            f"without top (vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5); ganzoo never "
            f"downloads it{'' if not weights_path else f' ({weights_path} does not exist)'}.")
    base = keras.applications.VGG16(weights=weights_path, include_top=False,
                                    input_shape=(VGG_RESOLUTION, VGG_RESOLUTION, 3))
    model = keras.Model(base.input, [base.get_layer(name).output for name in VGG_LAYERS])

    def embed(images):
        if images.shape[-1] == 1:
            images = tf.tile(images, [1, 1, 1, 3])
        images = tf.image.resize(images, (VGG_RESOLUTION, VGG_RESOLUTION), antialias=True)
        bgr = (images[..., ::-1] + 1.0) * 127.5 - tf.constant(VGG_BGR_MEAN)
        parts = []
        for activation in model(bgr, training=False):
            norm = tf.sqrt(tf.reduce_sum(tf.square(activation), -1, keepdims=True) + 1e-10)
            positions = activation.shape[1] * activation.shape[2]
            flat = tf.reshape(activation / norm, (tf.shape(activation)[0], -1))
            parts.append(flat / math.sqrt(positions))
        return tf.concat(parts, axis=1)

    return embed


def build_distance(name, pixel_weight=PIXEL_WEIGHT, vgg_weights=None, inception_weights=None,
                   fid_weights=None):
    """The ``Distance`` whose phi is the extractor called ``name`` (``EXTRACTOR_NAMES``)."""
    from ganzoo.metrics.report import build_extractor
    from ganzoo.registry import check_choice

    check_choice("extractor", name, EXTRACTOR_NAMES)
    if name == "pixels":
        return Distance(None, pixel_weight, name)
    if name == "vgg16":
        return Distance(vgg16_embedding(vgg_weights), pixel_weight, name)
    extractor = build_extractor(name, inception_weights, fid_weights)
    return Distance(extractor_embedding(extractor), pixel_weight, name)
