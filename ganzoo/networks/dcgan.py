"""The DCGAN architecture (Radford et al. 2016, "Unsupervised Representation Learning
with Deep Convolutional GANs"), at any power-of-two resolution from 8 to 128.

Radford's rules: strided (transposed) convolutions instead of pooling, BatchNorm, ReLU
in G with a tanh output, LeakyReLU(0.2) in D, no hidden dense layers. Widths double as
resolution halves, from ``width`` at full resolution up to ``max_width``.
"""

import math

import keras
from keras import layers

from ganzoo.layers import LabelEmbedding, maybe_spectral_norm, normalization
from ganzoo.networks.base import Discriminator, Generator
from ganzoo.registry import register_network


def _num_blocks(resolution):
    blocks = math.log2(resolution) - 2
    if resolution < 8 or resolution > 128 or blocks != int(blocks):
        raise ValueError(f"DCGAN resolution must be a power of two in 8..128, got {resolution}.")
    return int(blocks)


def _widths(blocks, width, max_width):
    """Channels per block from low to high resolution."""
    return [min(width * 2 ** (blocks - 1 - i), max_width) for i in range(blocks)]


@register_network("dcgan_generator")
@keras.saving.register_keras_serializable("ganzoo")
class DCGANGenerator(Generator):
    def __init__(self, latent_dim=64, data_shape=(32, 32, 1), num_classes=0, width=64,
                 max_width=512, norm="batch", embed_dim=32, **kwargs):
        data_shape = tuple(data_shape)
        super().__init__(latent_dim=latent_dim, data_shape=data_shape, num_classes=num_classes,
                         width=width, max_width=max_width, norm=norm, embed_dim=embed_dim,
                         **kwargs)
        self.latent_dim, self.data_shape, self.num_classes = latent_dim, data_shape, num_classes
        resolution, _, channels = data_shape
        widths = _widths(_num_blocks(resolution), width, max_width)
        self.embedding = LabelEmbedding(num_classes, (embed_dim,)) if num_classes else None
        upsample = [[layers.Dense(4 * 4 * widths[0], use_bias=False),
                     layers.Reshape((4, 4, widths[0]))]]
        upsample += [[layers.Conv2DTranspose(w, 4, 2, "same", use_bias=False)] for w in widths[1:]]
        self.blocks = [keras.Sequential([*block, *filter(None, [normalization(norm), layers.ReLU()])])
                       for block in upsample]
        self.to_image = layers.Conv2DTranspose(channels, 4, 2, "same")
        self.tanh = layers.Activation("tanh", dtype="float32")

    def call(self, inputs, training=False):
        z, labels = self.split_inputs(inputs)
        x = self.concat_labels(z, labels, self.embedding)
        for block in self.blocks:
            x = block(x, training=training)
        return self.tanh(self.to_image(x))


@register_network("dcgan_discriminator")
@keras.saving.register_keras_serializable("ganzoo")
class DCGANDiscriminator(Discriminator):
    def __init__(self, data_shape=(32, 32, 1), num_classes=0, aux_classes=0, width=64,
                 max_width=512, norm="batch", spectral_norm=False, dropout=0.0,
                 minibatch_discrimination=False, **kwargs):
        data_shape = tuple(data_shape)
        super().__init__(data_shape=data_shape, num_classes=num_classes, aux_classes=aux_classes,
                         width=width, max_width=max_width, norm=norm,
                         spectral_norm=spectral_norm, dropout=dropout,
                         minibatch_discrimination=minibatch_discrimination, **kwargs)
        self.data_shape, self.num_classes, self.aux_classes = data_shape, num_classes, aux_classes
        resolution = data_shape[0]
        widths = _widths(_num_blocks(resolution), width, max_width)[::-1]
        self.embedding = (LabelEmbedding(num_classes, (resolution, resolution, 1))
                          if num_classes else None)
        self.blocks = []
        for i, out_width in enumerate(widths):
            conv = maybe_spectral_norm(layers.Conv2D(out_width, 4, 2, "same"), spectral_norm)
            norm_layer = normalization(norm) if i > 0 else None
            drop = layers.Dropout(dropout) if dropout else None
            self.blocks.append(
                keras.Sequential(list(filter(None, [conv, norm_layer, layers.LeakyReLU(0.2), drop])))
            )
        self.flatten = layers.Flatten()
        self.build_heads(spectral_norm, minibatch_discrimination)

    def features(self, inputs, training=False):
        x, labels = self.split_inputs(inputs)
        x = self.concat_labels(x, labels, self.embedding)
        for block in self.blocks:
            x = block(x, training=training)
        return self.flatten(x)
