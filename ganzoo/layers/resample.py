"""The equalized convolution of StyleGAN2's discriminator (Karras et al. 2020, "Analyzing and
Improving the Image Quality of StyleGAN"): ``Conv2dLayer`` of ``training/networks.py`` in
NVlabs/stylegan2-ada-pytorch (Karras et al. 2020, "Training Generative Adversarial Networks
with Limited Data"), with FIR downsampling.
"""

import math

import keras
from keras import ops

from ganzoo.layers.fir import conv2d_down, fir_filter
from ganzoo.layers.style import bias_act


@keras.saving.register_keras_serializable("ganzoo")
class ResampleConv2D(keras.layers.Layer):
    """y = bias_act(conv(x, W / sqrt(k^2 in)), b, activation, gain, clamp): weights
    N(0, 1) scaled at run time (equalized learning rate); ``down=2`` applies the
    [1, 3, 3, 1] filter first and halves the resolution (``conv2d_resample``); "lrelu"
    is LeakyReLU(0.2) times sqrt(2) * gain, and the output is clipped to
    +-``conv_clamp`` * gain.

    Args:
        filters: int, output channels.
        kernel_size: int, odd; "same" padding.
        down: int, default 1; 2 halves the resolution.
        activation: str, default "linear"; or "lrelu".
        use_bias: bool, default True.
        gain: float, default 1.0, extra gain of the activation and the clamp.
        conv_clamp: float or None, default None (no clamping).
    """

    def __init__(self, filters, kernel_size, down=1, activation="linear", use_bias=True,
                 gain=1.0, conv_clamp=None, **kwargs):
        super().__init__(**kwargs)
        self.filters, self.kernel_size, self.down = filters, kernel_size, down
        self.activation, self.use_bias = activation, use_bias
        self.gain, self.conv_clamp = gain, conv_clamp

    def build(self, input_shape):
        channels = input_shape[-1]
        self.kernel = self.add_weight(
            name="kernel", shape=(self.kernel_size, self.kernel_size, channels, self.filters),
            initializer=keras.initializers.RandomNormal(0.0, 1.0))
        self.scale = 1.0 / math.sqrt(channels * self.kernel_size ** 2)
        self.bias = (self.add_weight(name="bias", shape=(self.filters,), initializer="zeros")
                     if self.use_bias else None)

    def call(self, x):
        kernel = self.kernel * self.scale
        if self.down > 1:
            x = conv2d_down(x, kernel, fir_filter(), self.down)
        else:
            x = ops.conv(x, kernel, padding="same")
        return bias_act(x, self.bias, self.activation, self.gain, self.conv_clamp)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters,
                "kernel_size": self.kernel_size, "down": self.down,
                "activation": self.activation, "use_bias": self.use_bias, "gain": self.gain,
                "conv_clamp": self.conv_clamp}
