"""The layers of progressive growing (Karras et al. 2018, "Progressive Growing of GANs for
Improved Quality, Stability, and Variation"), reused by StyleGAN2 (Karras et al. 2020).

- Equalized learning rate (Sec. 4.1): weights are drawn from N(0, 1) and scaled at run time
  by 1/sqrt(fan_in), so Adam takes steps of the same size in every layer.
  ``lr_multiplier`` (StyleGAN's mapping network uses 0.01) slows a layer down further.
- Pixelwise feature normalization (Sec. 4.2).
- Minibatch standard deviation (Sec. 3).

Activations follow StyleGAN2's convention: "lrelu" is LeakyReLU(0.2) times sqrt(2), the He
gain that ProGAN folds into the weight scale.
"""

import math

import keras
from keras import ops

from ganzoo.registry import check_choice

ACTIVATIONS = ("linear", "lrelu")


def activate(x, activation):
    """``x`` through "linear" (identity) or "lrelu" (LeakyReLU(0.2) * sqrt(2))."""
    check_choice("activation", activation, ACTIVATIONS)
    if activation == "linear":
        return x
    return ops.leaky_relu(x, 0.2) * math.sqrt(2.0)


class _Equalized(keras.layers.Layer):
    """Shared weight creation: N(0, 1/lr_multiplier) weights, run-time scale, optional bias."""

    def __init__(self, activation="linear", lr_multiplier=1.0, use_bias=True, bias_init=0.0,
                 **kwargs):
        super().__init__(**kwargs)
        activate(0.0, activation)
        self.activation, self.lr_multiplier = activation, lr_multiplier
        self.use_bias, self.bias_init = use_bias, bias_init

    def add_equalized_weights(self, kernel_shape, fan_in, units):
        self.kernel = self.add_weight(
            name="kernel", shape=kernel_shape,
            initializer=keras.initializers.RandomNormal(0.0, 1.0 / self.lr_multiplier))
        self.scale = self.lr_multiplier / math.sqrt(fan_in)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias", shape=(units,),
                initializer=keras.initializers.Constant(self.bias_init / self.lr_multiplier))

    def finish(self, y):
        if self.bias is not None:
            y = y + self.bias * self.lr_multiplier
        return activate(y, self.activation)

    def get_config(self):
        return {**super().get_config(), "activation": self.activation,
                "lr_multiplier": self.lr_multiplier, "use_bias": self.use_bias,
                "bias_init": self.bias_init}


@keras.saving.register_keras_serializable("ganzoo")
class EqualizedDense(_Equalized):
    """Dense layer with an equalized learning rate."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.add_equalized_weights((input_shape[-1], self.units), input_shape[-1], self.units)

    def call(self, x):
        return self.finish(ops.matmul(x, self.kernel * self.scale))

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@keras.saving.register_keras_serializable("ganzoo")
class EqualizedConv2D(_Equalized):
    """Stride-1 "same" convolution with an equalized learning rate."""

    def __init__(self, filters, kernel_size, **kwargs):
        super().__init__(**kwargs)
        self.filters, self.kernel_size = filters, kernel_size

    def build(self, input_shape):
        channels = input_shape[-1]
        self.add_equalized_weights((self.kernel_size, self.kernel_size, channels, self.filters),
                                   self.kernel_size * self.kernel_size * channels, self.filters)

    def call(self, x):
        return self.finish(ops.conv(x, self.kernel * self.scale, padding="same"))

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size}


@keras.saving.register_keras_serializable("ganzoo")
class PixelNorm(keras.layers.Layer):
    """x / sqrt(mean over channels of x^2 + 1e-8), at every position."""

    def call(self, x):
        return x * ops.rsqrt(ops.mean(ops.square(x), axis=-1, keepdims=True) + 1e-8)


@keras.saving.register_keras_serializable("ganzoo")
class MinibatchStdDev(keras.layers.Layer):
    """Appends one feature map: the standard deviation of each feature over groups of
    ``group_size`` samples, averaged over features and positions.

    When the (per-replica) batch is not a multiple of ``group_size`` the whole batch is
    one group, so any batch size works.
    """

    def __init__(self, group_size=4, **kwargs):
        super().__init__(**kwargs)
        self.group_size = group_size

    def call(self, x):
        batch = ops.shape(x)[0]
        group = ops.minimum(self.group_size, batch)
        group = ops.where(batch % group == 0, group, batch)
        height, width, channels = x.shape[1], x.shape[2], x.shape[3]
        y = ops.reshape(ops.cast(x, "float32"), (group, -1, height, width, channels))
        y = ops.sqrt(ops.var(y, axis=0) + 1e-8)  # [M, H, W, C]
        y = ops.mean(y, axis=(1, 2, 3))  # [M]
        y = ops.tile(y, (group,))  # sample n = g * M + m gets the std of its group m
        y = ops.broadcast_to(ops.reshape(y, (-1, 1, 1, 1)), (batch, height, width, 1))
        return ops.concatenate([x, ops.cast(y, x.dtype)], axis=-1)

    def get_config(self):
        return {**super().get_config(), "group_size": self.group_size}
