"""The ResNet image-to-image generator of CycleGAN (Zhu et al. 2017, "Unpaired
Image-to-Image Translation using Cycle-Consistent Adversarial Networks", appendix 7.2),
after Johnson et al. 2016 ("Perceptual Losses for Real-Time Style Transfer"); a port of
``ResnetGenerator`` / ``ResnetBlock`` in junyanz/pytorch-CycleGAN-and-pix2pix
``models/networks.py`` (``resnet_9blocks`` / ``resnet_6blocks``).

    c7s1-ngf:  ReflectionPad 3, conv 7x7, norm, ReLU
    d_k:       conv 3x3 stride 2 (zero pad 1), norm, ReLU; k = 2 ngf, 4 ngf, ...
    R_k:       x + norm(conv3(rpad1(dropout(ReLU(norm(conv3(rpad1(x)))))))), ``n_blocks`` times
    u_k:       transposed conv 3x3 stride 2 (padding 1, output padding 1), norm, ReLU
    c7s1-C:    ReflectionPad 3, conv 7x7 (with bias), tanh

Convolutions have a bias unless a batch norm follows them. ``self.model`` holds one Keras
layer per module of the reference's ``nn.Sequential``, at the same index, so a state dict
key ``model.<i>.*`` (``model.<i>.conv_block.<j>.*``) names ``self.model.layers[i]``.
"""

import keras
from keras import layers, ops

from ganzoo.layers.torch_compat import (PaddedConv2D, PaddedConv2DTranspose, ReflectionPad,
                                        conv_bias, dropout_layer, norm_layer)
from ganzoo.networks.base import ImageGenerator
from ganzoo.registry import register_network


def _norm(kind):
    """The norm, or an Identity placeholder that keeps the reference's module indices."""
    return norm_layer(kind) or layers.Identity()


class ResnetBlock(layers.Layer):
    """x + conv_block(x); ``conv_block`` indexed as the reference's (4 = dropout if any)."""

    def __init__(self, dim, norm, dropout=0.0, dropout_at_inference=False, **kwargs):
        super().__init__(**kwargs)
        bias = conv_bias(norm)
        self.conv_block = keras.Sequential(
            [ReflectionPad(1), PaddedConv2D(dim, 3, use_bias=bias), _norm(norm), layers.ReLU()]
            + ([dropout_layer(dropout, dropout_at_inference)] if dropout else [])
            + [ReflectionPad(1), PaddedConv2D(dim, 3, use_bias=bias), _norm(norm)])

    def call(self, x, training=False):
        return x + self.conv_block(x, training=training)


@register_network("resnet_generator")
@keras.saving.register_keras_serializable("ganzoo")
class ResnetGenerator(ImageGenerator):
    """ResNet generator: images [B, H, W, C_in] in [-1, 1] -> [B, H, W, C] in [-1, 1].

    Args:
        data_shape (tuple, default (32, 32, 1)): output image shape (H, W, C); H and W
            divisible by 2**n_downsampling.
        ngf (int, default 64): width of the first conv (the reference's ``ngf``).
        n_blocks (int, default 9): residual blocks (9 at 256x256, 6 at 128x128).
        n_downsampling (int, default 2): stride-2 convs (the reference fixes 2).
        norm (str, default "instance"): "instance" (no affine parameters), "batch" or
            "none".
        dropout (float, default 0.0): dropout rate inside each block (the reference's
            ``use_dropout`` is 0.5; CycleGAN trains with ``--no_dropout``).
        dropout_at_inference (bool, default False): keep dropout on outside training.
        input_channels (int, default None): input channels; None = ``data_shape[-1]``.
        latent_dim, num_classes: accepted from the builder, unused (``ImageGenerator``).
    """

    def __init__(self, data_shape=(32, 32, 1), ngf=64, n_blocks=9, n_downsampling=2,
                 norm="instance", dropout=0.0, dropout_at_inference=False, input_channels=None,
                 **kwargs):
        data_shape = tuple(data_shape)
        super().__init__(data_shape=data_shape, ngf=ngf, n_blocks=n_blocks,
                         n_downsampling=n_downsampling, norm=norm, dropout=dropout,
                         dropout_at_inference=dropout_at_inference,
                         input_channels=input_channels, **kwargs)
        self.data_shape = data_shape
        self.input_channels = input_channels or data_shape[-1]
        if data_shape[0] % 2 ** n_downsampling or data_shape[1] % 2 ** n_downsampling:
            raise ValueError(f"ResNet generator: size {data_shape[:2]} is not divisible by "
                             f"2**n_downsampling = {2 ** n_downsampling}.")
        bias = conv_bias(norm)
        model = [ReflectionPad(3), PaddedConv2D(ngf, 7, use_bias=bias), _norm(norm),
                 layers.ReLU()]
        for i in range(n_downsampling):
            model += [PaddedConv2D(ngf * 2 ** (i + 1), 3, 2, pad=1, use_bias=bias),
                      _norm(norm), layers.ReLU()]
        model += [ResnetBlock(ngf * 2 ** n_downsampling, norm, dropout, dropout_at_inference)
                  for _ in range(n_blocks)]
        for i in range(n_downsampling, 0, -1):
            model += [PaddedConv2DTranspose(ngf * 2 ** (i - 1), 3, 2, pad=1, output_pad=1,
                                            use_bias=bias), _norm(norm), layers.ReLU()]
        model += [ReflectionPad(3), PaddedConv2D(data_shape[-1], 7),
                  layers.Activation("tanh", dtype="float32")]
        self.model = keras.Sequential(model)

    def call(self, images, training=False):
        return self.model(ops.cast(images, self.compute_dtype), training=training)
