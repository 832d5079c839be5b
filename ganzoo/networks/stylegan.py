"""StyleGAN2 networks (Karras et al. 2020, "Analyzing and Improving the Image Quality of
StyleGAN"): the "skip" generator and the "residual" discriminator of config F.

Generator: a mapping network z -> w (pixel norm, ``mapping_layers`` equalized dense layers
at learning-rate multiplier 0.01), then a synthesis network from a learned 4x4 constant,
with two modulated 3x3 convolutions per resolution (one at 4x4), noise after each, and a
modulated 1x1 "toRGB" per resolution whose images are upsampled and summed. Each layer
takes its own w (``num_ws`` of them) so styles can be mixed; ``w_avg`` tracks the mean w
for the truncation trick (Karras et al. 2019, "A Style-Based Generator Architecture").
Simplification: resampling is bilinear / average pooling instead of the paper's
[1, 3, 3, 1] FIR filter.
"""

import math

import keras
from keras import layers, ops

from ganzoo.layers import LabelEmbedding
from ganzoo.layers.equalized import (EqualizedConv2D, EqualizedDense, MinibatchStdDev,
                                     PixelNorm, activate)
from ganzoo.layers.style import ModulatedConv2D, NoiseInjection
from ganzoo.networks.base import Discriminator, Generator
from ganzoo.networks.progan import level_widths, num_levels
from ganzoo.registry import register_network


class StyledConv(keras.layers.Layer):
    """Modulated convolution -> noise -> bias -> LeakyReLU (one synthesis layer)."""

    def __init__(self, filters, upsample=False, **kwargs):
        super().__init__(**kwargs)
        self.conv = ModulatedConv2D(filters, 3, upsample=upsample)
        self.noise = NoiseInjection()

    def call(self, x, w, training=False):
        return activate(self.noise(self.conv(x, w), training=training), "lrelu")


@register_network("stylegan_generator")
@keras.saving.register_keras_serializable("ganzoo")
class StyleGANGenerator(Generator):
    """``call(inputs, training=False, truncation_psi=1.0)``: z (or [z, labels]) -> image.
    ``w_dim`` defaults to ``latent_dim``."""

    supports_truncation = True

    def __init__(self, latent_dim=512, data_shape=(64, 64, 3), num_classes=0, w_dim=None,
                 mapping_layers=8, mapping_lr=0.01, width=64, max_width=512, **kwargs):
        data_shape = tuple(data_shape)
        super().__init__(latent_dim=latent_dim, data_shape=data_shape, num_classes=num_classes,
                         w_dim=w_dim, mapping_layers=mapping_layers, mapping_lr=mapping_lr,
                         width=width, max_width=max_width, **kwargs)
        self.latent_dim, self.data_shape, self.num_classes = latent_dim, data_shape, num_classes
        levels = num_levels(data_shape[0], "StyleGAN")
        widths = level_widths(levels, width, max_width)
        self.num_ws = 2 * levels + 2
        self.embedding = LabelEmbedding(num_classes, (latent_dim,)) if num_classes else None
        self.normalize = PixelNorm()
        w_dim = w_dim or latent_dim
        self.mapping_layers = [EqualizedDense(w_dim, activation="lrelu", lr_multiplier=mapping_lr)
                               for _ in range(mapping_layers)]
        self.w_avg = self.add_weight(name="w_avg", shape=(w_dim,), initializer="zeros",
                                     trainable=False, autocast=False,
                                     aggregation="only_first_replica")
        self.constant = self.add_weight(name="constant", shape=(4, 4, widths[0]),
                                        initializer=keras.initializers.RandomNormal(0.0, 1.0))
        self.convs = [StyledConv(widths[0])]
        for w in widths[1:]:
            self.convs += [StyledConv(w, upsample=True), StyledConv(w)]
        self.to_rgb = [ModulatedConv2D(data_shape[-1], 1, demodulate=False, dtype="float32")
                       for _ in widths]
        self.upsample_image = layers.UpSampling2D(interpolation="bilinear", dtype="float32")

    def mapping(self, z, labels=None, training=False):
        """z [B, latent_dim] (and labels) -> w [B, w_dim]."""
        x = self.normalize(ops.cast(z, self.compute_dtype))
        if labels is not None:
            x = ops.concatenate([x, self.normalize(self.embedding(labels))], axis=-1)
        for layer in self.mapping_layers:
            x = layer(x)
        return x

    def truncate(self, w, psi):
        """w_avg + psi * (w - w_avg): psi = 1 leaves w, psi = 0 gives the mean w."""
        w_avg = ops.cast(self.w_avg, w.dtype)
        return w_avg + ops.cast(psi, w.dtype) * (w - w_avg)

    def synthesis(self, ws, training=False):
        """ws [B, num_ws, w_dim] (one w per layer) -> image [B, H, W, C] in float32."""
        batch = ops.shape(ws)[0]
        x = ops.broadcast_to(ops.cast(self.constant, ws.dtype)[None],
                             (batch, *self.constant.shape))
        x = self.convs[0](x, ws[:, 0], training=training)
        image = self.to_rgb[0](x, ws[:, 1])
        for level, to_rgb in enumerate(self.to_rgb[1:], start=1):
            x = self.convs[2 * level - 1](x, ws[:, 2 * level - 1], training=training)
            x = self.convs[2 * level](x, ws[:, 2 * level], training=training)
            image = self.upsample_image(image) + to_rgb(x, ws[:, 2 * level + 1])
        return image

    def call(self, inputs, training=False, truncation_psi=1.0):
        z, labels = self.split_inputs(inputs)
        w = self.truncate(self.mapping(z, labels, training), truncation_psi)
        return self.synthesis(ops.repeat(w[:, None], self.num_ws, axis=1), training)


@register_network("stylegan_discriminator")
@keras.saving.register_keras_serializable("ganzoo")
class StyleGANDiscriminator(Discriminator):
    """fromRGB -> residual blocks (two 3x3 convs + 2x average pool, skip: pool + 1x1 conv,
    summed and scaled by 1/sqrt(2)) -> minibatch stddev -> 3x3 conv -> dense -> realness."""

    def __init__(self, data_shape=(64, 64, 3), num_classes=0, aux_classes=0, width=64,
                 max_width=512, group_size=4, **kwargs):
        data_shape = tuple(data_shape)
        super().__init__(data_shape=data_shape, num_classes=num_classes, aux_classes=aux_classes,
                         width=width, max_width=max_width, group_size=group_size, **kwargs)
        self.data_shape, self.num_classes, self.aux_classes = data_shape, num_classes, aux_classes
        resolution = data_shape[0]
        widths = level_widths(num_levels(resolution, "StyleGAN"), width, max_width)[::-1]
        self.embedding = (LabelEmbedding(num_classes, (resolution, resolution, 1))
                          if num_classes else None)
        self.from_rgb = EqualizedConv2D(widths[0], 1, activation="lrelu")
        self.blocks = [(keras.Sequential([EqualizedConv2D(w_in, 3, activation="lrelu"),
                                          EqualizedConv2D(w_out, 3, activation="lrelu"),
                                          layers.AveragePooling2D(2)]),
                        keras.Sequential([layers.AveragePooling2D(2),
                                          EqualizedConv2D(w_out, 1, use_bias=False)]))
                       for w_in, w_out in zip(widths[:-1], widths[1:])]
        self.final = keras.Sequential([MinibatchStdDev(group_size),
                                       EqualizedConv2D(widths[-1], 3, activation="lrelu"),
                                       layers.Flatten(),
                                       EqualizedDense(widths[-1], activation="lrelu")])
        self.build_heads(spectral_norm=False)

    def features(self, inputs, training=False):
        x, labels = self.split_inputs(inputs)
        h = self.from_rgb(self.concat_labels(x, labels, self.embedding))
        for main, skip in self.blocks:
            h = (main(h) + skip(h)) * (1.0 / math.sqrt(2.0))
        return self.final(h)
