"""The U-Net generator of pix2pix (Isola et al. 2017, "Image-to-Image Translation with
Conditional Adversarial Networks", Sec. 3.2.1 and appendix 6.1.1), after Ronneberger et al.
2015 ("U-Net"); a port of ``UnetGenerator`` / ``UnetSkipConnectionBlock`` in
junyanz/pytorch-CycleGAN-and-pix2pix ``models/networks.py`` (``unet_128``: depth 7,
``unet_256``: depth 8, i.e. a 1x1 innermost layer).

Nested skip blocks, from the outermost (level 0) to the innermost (level depth-1); level i
has width w_i = ngf min(2**i, 8) and maps its input x to

    outermost:  tanh(convT(ReLU(inner(conv(x)))))
    middle:     concat[a, dropout(norm(convT(ReLU(inner(norm(conv(a)))))))],  a = LReLU(x)
    innermost:  concat[a, norm(convT(ReLU(conv(a))))],                           a = LReLU(x)

with 4x4 stride-2 convs / transposed convs (padding 1), LeakyReLU 0.2, and dropout 0.5 in
the middle levels 4..depth-2 (those of width 8 ngf). The skip carries LReLU(x), not x:
the reference's LeakyReLU works in place on the tensor it then concatenates. Convs
followed by a batch norm have no bias (nor has the outermost conv); the last transposed
conv has one. Each block's ``model`` lists one Keras layer per module of the reference's
``nn.Sequential``, at the same index (``model.model.1.model.3.*``).

The paper keeps dropout (and batch statistics) at test time; ``dropout_at_inference``
keeps dropout on, which makes translation stochastic; by default it is off (deterministic
translation, exportable).
"""

import math

import keras
from keras import layers, ops

from ganzoo.layers.torch_compat import (PaddedConv2D, PaddedConv2DTranspose, conv_bias,
                                        dropout_layer, norm_layer)
from ganzoo.networks.base import ImageGenerator
from ganzoo.registry import register_network


class UnetSkipBlock(layers.Layer):
    """One level: ``model`` indexed as the reference's block, ``inner`` the next level.

    Args:
        outer (int): channels this level returns to (output channels when outermost).
        inner (int): width of this level's conv.
        norm (str): "instance", "batch" or "none".
        inner_block (UnetSkipBlock, default None): the next level; None when innermost.
        input_channels (int, default None): the network's input channels when outermost.
        dropout (float, default 0.0): dropout after the decoder's norm.
        dropout_at_inference (bool, default False): keep that dropout on at inference.
    """

    def __init__(self, outer, inner, norm, inner_block=None, input_channels=None,
                 dropout=0.0, dropout_at_inference=False, **kwargs):
        super().__init__(**kwargs)
        self.outermost = input_channels is not None
        bias = conv_bias(norm)
        down = PaddedConv2D(inner, 4, 2, pad=1, use_bias=bias)
        if self.outermost:
            model = [down, inner_block, layers.ReLU(),
                     PaddedConv2DTranspose(outer, 4, 2, pad=1),
                     layers.Activation("tanh", dtype="float32")]
        elif inner_block is None:
            model = [layers.LeakyReLU(0.2), down, layers.ReLU(),
                     PaddedConv2DTranspose(outer, 4, 2, pad=1, use_bias=bias), _norm(norm)]
        else:
            model = [layers.LeakyReLU(0.2), down, _norm(norm), inner_block, layers.ReLU(),
                     PaddedConv2DTranspose(outer, 4, 2, pad=1, use_bias=bias), _norm(norm)]
            if dropout:
                model.append(dropout_layer(dropout, dropout_at_inference))
        self.model = model

    def call(self, x, training=False):
        if not self.outermost:
            x = self.model[0](x)  # the skip carries LeakyReLU(x), as in the reference
        y = x
        for layer in self.model[0 if self.outermost else 1:]:
            y = layer(y, training=training)
        return y if self.outermost else ops.concatenate([x, y], axis=-1)


def _norm(kind):
    return norm_layer(kind) or layers.Identity()


@register_network("unet_generator")
@keras.saving.register_keras_serializable("ganzoo")
class UNetGenerator(ImageGenerator):
    """U-Net generator: images [B, H, W, C_in] in [-1, 1] -> [B, H, W, C] in [-1, 1].

    Args:
        data_shape (tuple, default (32, 32, 1)): output image shape (H, W, C).
        ngf (int, default 64): width of the outermost conv (the reference's ``ngf``).
        depth (int, default None): stride-2 levels (the reference's ``num_downs``: 7 for
            unet_128, 8 for unet_256); None = log2(H), a 1x1 innermost layer. H and W
            must be divisible by 2**depth.
        norm (str, default "batch"): "batch", "instance" (no affine parameters) or "none".
        dropout (float, default 0.5): dropout of the middle levels 4..depth-2 (the
            reference's ``use_dropout``; 0 = ``--no_dropout``).
        dropout_at_inference (bool, default False): keep dropout on outside training.
        input_channels (int, default None): input channels; None = ``data_shape[-1]``.
        latent_dim, num_classes: accepted from the builder, unused (``ImageGenerator``).
    """

    def __init__(self, data_shape=(32, 32, 1), ngf=64, depth=None, norm="batch", dropout=0.5,
                 dropout_at_inference=False, input_channels=None, **kwargs):
        data_shape = tuple(data_shape)
        super().__init__(data_shape=data_shape, ngf=ngf, depth=depth, norm=norm,
                         dropout=dropout, dropout_at_inference=dropout_at_inference,
                         input_channels=input_channels, **kwargs)
        self.data_shape = data_shape
        self.input_channels = input_channels or data_shape[-1]
        levels = depth or round(math.log2(data_shape[0]))
        if levels < 2 or data_shape[0] % 2 ** levels or data_shape[1] % 2 ** levels:
            raise ValueError(f"U-Net: size {data_shape[:2]} must be divisible by 2**depth "
                             f"(depth {depth}; by default log2 of the height).")
        widths = [ngf * min(2 ** i, 8) for i in range(levels)]
        block = None
        for i in range(levels - 1, 0, -1):
            block = UnetSkipBlock(widths[i - 1], widths[i], norm, block,
                                  dropout=dropout if 4 <= i < levels - 1 else 0.0,
                                  dropout_at_inference=dropout_at_inference)
        self.model = UnetSkipBlock(data_shape[-1], widths[0], norm, block,
                                   input_channels=self.input_channels)

    def call(self, images, training=False):
        return self.model(ops.cast(images, self.compute_dtype), training=training)
