"""SRGAN's generator, SRResNet (Ledig et al. 2017, "Photo-Realistic Single Image
Super-Resolution Using a Generative Adversarial Network", Sec. 2.2 and Fig. 4).

A low-resolution image x [B, H/s, W/s, C] in [-1, 1] goes through

    h0 = PReLU(conv9x9(x))
    h  = h0 + norm(conv3x3(B residual blocks(h0)))        block: y + norm(conv(PReLU(norm(conv(y)))))
    h  = log2(s) x PReLU(depth_to_space_2(conv3x3 to 4 x width (h)))   (sub-pixel upsampling,
                                                           Shi et al. 2016)
    y  = tanh(conv9x9 to C (h))                            [B, H, W, C] in [-1, 1]

with batch norm (``norm``) as in the paper and 3x3 convs of ``width`` channels (64 in the
paper, 16 blocks). Depth-to-space is a builtin TFLite op, so the network exports as is.
"""

import math

import keras
import tensorflow as tf
from keras import layers, ops

from ganzoo.layers.torch_compat import norm_layer
from ganzoo.networks.base import ImageGenerator
from ganzoo.registry import register_network


class DepthToSpace(layers.Layer):
    """Sub-pixel shuffle: [B, H, W, r*r*C] -> [B, rH, rW, C] (``tf.nn.depth_to_space``)."""

    def __init__(self, block_size=2, **kwargs):
        super().__init__(**kwargs)
        self.block_size = block_size

    def call(self, x):
        return tf.nn.depth_to_space(x, self.block_size)


def _prelu():
    return layers.PReLU(shared_axes=[1, 2])


def _norm(kind):
    return norm_layer(kind) or layers.Identity()


class ResidualBlock(layers.Layer):
    """y + norm(conv(PReLU(norm(conv(y))))), 3x3 convs of ``width`` channels.

    Args:
        width (int): channels.
        norm (str): "batch", "instance" or "none".
    """

    def __init__(self, width, norm, **kwargs):
        super().__init__(**kwargs)
        self.body = [layers.Conv2D(width, 3, padding="same"), _norm(norm), _prelu(),
                     layers.Conv2D(width, 3, padding="same"), _norm(norm)]

    def call(self, x, training=False):
        y = x
        for layer in self.body:
            y = layer(y, training=training)
        return x + y


@register_network("srgan_generator")
@keras.saving.register_keras_serializable("ganzoo")
class SRGANGenerator(ImageGenerator):
    """SRResNet: low-res images [B, H/s, W/s, C] in [-1, 1] -> [B, H, W, C] in [-1, 1].

    Args:
        data_shape (tuple, default (32, 32, 1)): the high-resolution output shape (H, W, C).
        scale (int, default 4): upscaling factor s, a power of 2 that divides H and W
            (one sub-pixel x2 stage per factor of 2).
        width (int, default 64): channels of the 3x3 convs (the paper's 64).
        n_blocks (int, default 16): residual blocks (the paper's B = 16).
        norm (str, default "batch"): "batch" (the paper), "instance" or "none".
        latent_dim, num_classes: accepted from the builder, unused (``ImageGenerator``).
    """

    def __init__(self, data_shape=(32, 32, 1), scale=4, width=64, n_blocks=16, norm="batch",
                 **kwargs):
        data_shape = tuple(data_shape)
        super().__init__(data_shape=data_shape, scale=scale, width=width, n_blocks=n_blocks,
                         norm=norm, **kwargs)
        stages = round(math.log2(scale)) if scale >= 2 else 0
        if scale < 2 or 2 ** stages != scale or data_shape[0] % scale or data_shape[1] % scale:
            raise ValueError(f"srgan generator: scale must be a power of 2 (2, 4, 8) that "
                             f"divides the resolution {data_shape[:2]}; got {scale}.")
        self.data_shape, self.scale = data_shape, scale
        self.head = [layers.Conv2D(width, 9, padding="same"), _prelu()]
        self.blocks = [ResidualBlock(width, norm) for _ in range(n_blocks)]
        self.trunk = [layers.Conv2D(width, 3, padding="same"), _norm(norm)]
        self.upsample = [[layers.Conv2D(4 * width, 3, padding="same"), DepthToSpace(2), _prelu()]
                         for _ in range(stages)]
        self.tail = [layers.Conv2D(data_shape[-1], 9, padding="same", dtype="float32"),
                     layers.Activation("tanh", dtype="float32")]

    def input_shape_of_data(self):
        return (self.data_shape[0] // self.scale, self.data_shape[1] // self.scale,
                self.data_shape[-1])

    def call(self, images, training=False):
        h0 = _apply(self.head, ops.cast(images, self.compute_dtype), training)
        h = h0
        for block in self.blocks:
            h = block(h, training=training)
        h = h0 + _apply(self.trunk, h, training)
        for stage in self.upsample:
            h = _apply(stage, h, training)
        return _apply(self.tail, h, training)


def _apply(stack, x, training):
    for layer in stack:
        x = layer(x, training=training)
    return x
