"""The progressively grown networks of ProGAN (Karras et al. 2018, "Progressive Growing of
GANs for Improved Quality, Stability, and Variation", Table 2).

Both networks hold blocks for every resolution from 4x4 to the target (level 0 = 4x4, level
L = target) and two non-trainable variables, ``level`` and ``alpha`` (the fade-in of the
newest block), so a checkpoint holds the growth state. A ``tf.switch_case`` on ``level``
runs only the blocks of the current resolution. Tensor shapes never change: the generator
upsamples its image (nearest) to the target size and the discriminator average-pools its
target-size input down, which is exact for such upsampled images. This costs the data
pipeline and the loss the target resolution at every level but lets ``fit`` trace once.
A new network starts fully grown (level L, alpha 1); the ``progan`` family sets the
schedule.
"""

import math

import keras
import tensorflow as tf
from keras import layers, ops

from ganzoo.layers import LabelEmbedding
from ganzoo.layers.equalized import EqualizedConv2D, EqualizedDense, MinibatchStdDev, PixelNorm
from ganzoo.networks.base import Discriminator, Generator
from ganzoo.registry import register_network


def num_levels(resolution, arch):
    """Doublings from 4x4 to ``resolution``; a clear error when it is not a power of two."""
    levels = math.log2(resolution) - 2
    if resolution < 4 or resolution > 1024 or levels != int(levels):
        raise ValueError(f"{arch} resolution must be a power of two in 4..1024, got {resolution}.")
    return int(levels)


def level_widths(levels, width, max_width):
    """Channels per level, 4x4 first: ``width`` at the target, doubling per halving."""
    return [min(width * 2 ** (levels - level), max_width) for level in range(levels + 1)]


class Growing:
    """The growth state (``level``, ``alpha``) and the per-level dispatch G and D share."""

    def add_growth_state(self, levels):
        self.levels = levels
        self.level = self.add_weight(name="level", shape=(), trainable=False, autocast=False,
                                     initializer=keras.initializers.Constant(levels),
                                     aggregation="only_first_replica")
        self.alpha = self.add_weight(name="alpha", shape=(), trainable=False, autocast=False,
                                     initializer="ones", aggregation="only_first_replica")

    def set_growth(self, level, alpha):
        """Sets the current level and fade-in (works inside a replica context too)."""
        self.level.assign(ops.cast(level, "float32"))
        self.alpha.assign(ops.cast(alpha, "float32"))

    def at_current_level(self, forward, *args):
        """forward(*args, level) for the current level, traced once per level."""
        index = ops.cast(ops.round(self.level), "int32")
        return tf.switch_case(index, [lambda level=level: forward(*args, level)
                                      for level in range(self.levels + 1)])

    def fade(self, old, new):
        return old + ops.cast(self.alpha, new.dtype) * (new - old)

    def build_for_data(self):
        """Calls the network once at every level, so every block's variables exist."""
        for level in range(self.levels + 1):
            self.set_growth(level, 0.5)
            super().build_for_data()
        self.set_growth(self.levels, 1.0)
        return self


def _sequence(*block):
    return keras.Sequential(list(block))


@register_network("progan_generator")
@keras.saving.register_keras_serializable("ganzoo")
class ProGANGenerator(Growing, Generator):
    """z -> pixel norm -> 4x4 -> (nearest upsample, two 3x3 convs) per level; a 1x1 "toRGB"
    per level; pixel norm after every convolution; linear output."""

    def __init__(self, latent_dim=512, data_shape=(32, 32, 3), num_classes=0, width=64,
                 max_width=512, embed_dim=32, **kwargs):
        data_shape = tuple(data_shape)
        super().__init__(latent_dim=latent_dim, data_shape=data_shape, num_classes=num_classes,
                         width=width, max_width=max_width, embed_dim=embed_dim, **kwargs)
        self.latent_dim, self.data_shape, self.num_classes = latent_dim, data_shape, num_classes
        levels = num_levels(data_shape[0], "ProGAN")
        widths = level_widths(levels, width, max_width)
        self.add_growth_state(levels)
        self.embedding = LabelEmbedding(num_classes, (embed_dim,)) if num_classes else None
        self.base = _sequence(
            PixelNorm(), EqualizedDense(16 * widths[0], activation="lrelu"),
            layers.Reshape((4, 4, widths[0])), PixelNorm(),
            EqualizedConv2D(widths[0], 3, activation="lrelu"), PixelNorm())
        self.blocks = [_sequence(layers.UpSampling2D(), EqualizedConv2D(w, 3, activation="lrelu"),
                                 PixelNorm(), EqualizedConv2D(w, 3, activation="lrelu"),
                                 PixelNorm())
                       for w in widths[1:]]
        self.to_rgb = [EqualizedConv2D(data_shape[-1], 1, dtype="float32") for _ in widths]

    def call(self, inputs, training=False):
        z, labels = self.split_inputs(inputs)
        return self.at_current_level(self.image_at, self.concat_labels(z, labels, self.embedding))

    def image_at(self, x, level):
        h = self.base(x)
        for block in self.blocks[:max(level - 1, 0)]:
            h = block(h)
        if level == 0:
            image = self.to_rgb[0](h)
        else:
            old = ops.repeat(ops.repeat(self.to_rgb[level - 1](h), 2, axis=1), 2, axis=2)
            image = self.fade(old, self.to_rgb[level](self.blocks[level - 1](h)))
        factor = 2 ** (self.levels - level)
        return ops.repeat(ops.repeat(image, factor, axis=1), factor, axis=2)


@register_network("progan_discriminator")
@keras.saving.register_keras_serializable("ganzoo")
class ProGANDiscriminator(Growing, Discriminator):
    """1x1 "fromRGB" per level -> (two 3x3 convs, 2x average pool) per level -> minibatch
    stddev -> 3x3 conv -> 4x4 conv (as a dense layer) -> linear realness."""

    def __init__(self, data_shape=(32, 32, 3), num_classes=0, aux_classes=0, width=64,
                 max_width=512, group_size=4, **kwargs):
        data_shape = tuple(data_shape)
        super().__init__(data_shape=data_shape, num_classes=num_classes, aux_classes=aux_classes,
                         width=width, max_width=max_width, group_size=group_size, **kwargs)
        self.data_shape, self.num_classes, self.aux_classes = data_shape, num_classes, aux_classes
        levels = num_levels(data_shape[0], "ProGAN")
        widths = level_widths(levels, width, max_width)
        self.add_growth_state(levels)
        resolution = data_shape[0]
        self.embedding = (LabelEmbedding(num_classes, (resolution, resolution, 1))
                          if num_classes else None)
        self.from_rgb = [EqualizedConv2D(w, 1, activation="lrelu") for w in widths]
        self.blocks = [_sequence(EqualizedConv2D(widths[level], 3, activation="lrelu"),
                                 EqualizedConv2D(widths[level - 1], 3, activation="lrelu"),
                                 layers.AveragePooling2D(2))
                       for level in range(1, levels + 1)]
        self.final = _sequence(MinibatchStdDev(group_size),
                               EqualizedConv2D(widths[0], 3, activation="lrelu"),
                               layers.Flatten(), EqualizedDense(widths[0], activation="lrelu"))
        self.build_heads(spectral_norm=False)

    def features(self, inputs, training=False):
        x, labels = self.split_inputs(inputs)
        return self.at_current_level(self.features_at, self.concat_labels(x, labels,
                                                                          self.embedding))

    def features_at(self, x, level):
        factor = 2 ** (self.levels - level)
        x = ops.average_pool(x, factor, factor) if factor > 1 else x
        h = self.from_rgb[level](x)
        if level > 0:
            old = self.from_rgb[level - 1](ops.average_pool(x, 2, 2))
            h = self.fade(old, self.blocks[level - 1](h))
        for block in self.blocks[:max(level - 1, 0)][::-1]:
            h = block(h)
        return self.final(h)
