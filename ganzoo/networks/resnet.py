"""The ResNet image-to-image generator of CycleGAN (Zhu et al. 2017, "Unpaired
Image-to-Image Translation using Cycle-Consistent Adversarial Networks", appendix 7.2),
after Johnson et al. 2016 ("Perceptual Losses for Real-Time Style Transfer").

c7s1-w, ``downsamples`` stride-2 3x3 convs doubling the width, ``blocks`` residual
blocks, as many stride-2 transposed convs back, c7s1-C with tanh. Reflection padding,
instance norm (``GroupNormalization(groups=-1)``), ReLU. The paper uses 6 blocks at
128x128 and 9 at 256x256.
"""

import keras
from keras import layers, ops

from ganzoo.layers import normalization
from ganzoo.networks.base import ImageGenerator
from ganzoo.registry import register_network


class ReflectionPad(layers.Layer):
    """Pads H and W by ``pad`` pixels, mirroring the border (no edge artifacts)."""

    def __init__(self, pad, **kwargs):
        super().__init__(**kwargs)
        self.pad = pad

    def call(self, x):
        p = self.pad
        return ops.pad(x, [[0, 0], [p, p], [p, p], [0, 0]], mode="reflect")


def conv_norm_relu(width, kernel, norm, stride=1, transpose=False, relu=True):
    """A conv (reflection-padded when stride 1), a normalization and a ReLU."""
    if transpose:
        conv = [layers.Conv2DTranspose(width, kernel, stride, "same", use_bias=False)]
    elif stride == 1:
        conv = [ReflectionPad(kernel // 2), layers.Conv2D(width, kernel, use_bias=False)]
    else:
        conv = [layers.Conv2D(width, kernel, stride, "same", use_bias=False)]
    return keras.Sequential(list(filter(None, [*conv, normalization(norm),
                                               layers.ReLU() if relu else None])))


class ResidualBlock(layers.Layer):
    """x + conv-norm-relu-conv-norm(x)."""

    def __init__(self, width, norm, **kwargs):
        super().__init__(**kwargs)
        self.body = keras.Sequential([conv_norm_relu(width, 3, norm),
                                      conv_norm_relu(width, 3, norm, relu=False)])

    def call(self, x, training=False):
        return x + self.body(x, training=training)


@register_network("resnet_generator")
@keras.saving.register_keras_serializable("ganzoo")
class ResnetGenerator(ImageGenerator):
    def __init__(self, data_shape=(32, 32, 1), width=64, downsamples=2, blocks=9,
                 norm="instance", **kwargs):
        data_shape = tuple(data_shape)
        super().__init__(data_shape=data_shape, width=width, downsamples=downsamples,
                         blocks=blocks, norm=norm, **kwargs)
        self.data_shape = data_shape
        if data_shape[0] % 2 ** downsamples:
            raise ValueError(f"ResNet generator: resolution {data_shape[0]} is not divisible by "
                             f"2**downsamples = {2 ** downsamples}.")
        widths = [width * 2 ** i for i in range(downsamples + 1)]
        self.body = keras.Sequential(
            [conv_norm_relu(width, 7, norm)]
            + [conv_norm_relu(w, 3, norm, stride=2) for w in widths[1:]]
            + [ResidualBlock(widths[-1], norm) for _ in range(blocks)]
            + [conv_norm_relu(w, 3, norm, stride=2, transpose=True) for w in widths[-2::-1]]
        )
        self.to_image = keras.Sequential([ReflectionPad(3), layers.Conv2D(data_shape[-1], 7)])
        self.tanh = layers.Activation("tanh", dtype="float32")

    def call(self, images, training=False):
        x = self.body(ops.cast(images, self.compute_dtype), training=training)
        return self.tanh(self.to_image(x))
