"""The U-Net generator of pix2pix (Isola et al. 2017, "Image-to-Image Translation with
Conditional Adversarial Networks", section 3.2.1 and appendix 6.1.1), after Ronneberger
et al. 2015 ("U-Net").

An encoder of ``depth`` stride-2 4x4 convs (LeakyReLU 0.2; no norm on the first and the
innermost, which is 1x1 at the default depth) and a mirrored decoder of stride-2
transposed convs (ReLU; dropout 0.5 on the first three) whose every layer is
concatenated with the encoder layer of the same size. The paper's dropout also acts at
test time; here it acts in training only, so translation is deterministic.
"""

import math

import keras
from keras import layers, ops

from ganzoo.layers import normalization
from ganzoo.networks.base import ImageGenerator
from ganzoo.registry import register_network


@register_network("unet_generator")
@keras.saving.register_keras_serializable("ganzoo")
class UNetGenerator(ImageGenerator):
    def __init__(self, data_shape=(32, 32, 1), width=64, max_width=512, depth=None,
                 norm="batch", dropout=0.5, **kwargs):
        data_shape = tuple(data_shape)
        super().__init__(data_shape=data_shape, width=width, max_width=max_width, depth=depth,
                         norm=norm, dropout=dropout, **kwargs)
        self.data_shape = data_shape
        resolution = data_shape[0]
        max_depth = math.log2(resolution)
        depth = depth or int(max_depth)
        if max_depth != int(max_depth) or not 1 <= depth <= max_depth:
            raise ValueError(f"U-Net: resolution {resolution} must be a power of two and depth "
                             f"in 1..log2(resolution); got depth {depth}.")
        widths = [min(width * 2 ** i, max_width) for i in range(depth)]
        self.downs = [
            keras.Sequential(list(filter(None, [
                layers.Conv2D(w, 4, 2, "same", use_bias=False),
                normalization(norm) if 0 < i < depth - 1 else None,
                layers.LeakyReLU(0.2)])))
            for i, w in enumerate(widths)
        ]
        self.ups = [
            keras.Sequential(list(filter(None, [
                layers.Conv2DTranspose(w, 4, 2, "same", use_bias=False), normalization(norm),
                layers.Dropout(dropout) if dropout and i < 3 else None, layers.ReLU()])))
            for i, w in enumerate(widths[-2::-1])
        ]
        self.to_image = layers.Conv2DTranspose(data_shape[-1], 4, 2, "same")
        self.tanh = layers.Activation("tanh", dtype="float32")

    def call(self, images, training=False):
        x = ops.cast(images, self.compute_dtype)
        skips = []
        for down in self.downs:
            x = down(x, training=training)
            skips.append(x)
        for up, skip in zip(self.ups, skips[-2::-1]):
            x = ops.concatenate([up(x, training=training), skip], axis=-1)
        return self.tanh(self.to_image(x))
