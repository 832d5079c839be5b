"""The style layers of StyleGAN2 (Karras et al. 2020, "Analyzing and Improving the Image
Quality of StyleGAN"), as ``training/networks.py`` of NVlabs/stylegan2-ada-pytorch (Karras
et al. 2020, "Training Generative Adversarial Networks with Limited Data") computes them:
the mapping network, the modulated convolution with noise, and toRGB.

Weights are stored in TF layouts: dense kernels [in, out], convolution kernels
[k, k, in, out] (the official ones are [out, in] and [out, in, k, k]).
"""

import math

import keras
import tensorflow as tf
from keras import ops

from ganzoo.layers.equalized import EqualizedDense
from ganzoo.layers.fir import conv2d_up, fir_filter

NOISE_MODES = ("const", "random", "none")


def normalize_2nd_moment(x, eps=1e-8):
    """x / sqrt(mean(x^2 over the last axis) + eps)."""
    return x * ops.rsqrt(ops.mean(ops.square(x), axis=-1, keepdims=True) + eps)


def bias_act(x, bias, activation="linear", gain=1.0, clamp=None):
    """``bias_act.py``: y = act(x + bias) * gain, clipped to [-clamp * gain, clamp * gain];
    "lrelu" is LeakyReLU(0.2) with the gain times sqrt(2), "linear" the identity."""
    if bias is not None:
        x = x + ops.cast(bias, x.dtype)
    act_gain = gain
    if activation == "lrelu":
        x, act_gain = ops.leaky_relu(x, 0.2), gain * math.sqrt(2.0)
    if act_gain != 1.0:
        x = x * act_gain
    if clamp is not None:
        x = ops.clip(x, -clamp * gain, clamp * gain)
    return x


@keras.saving.register_keras_serializable("ganzoo")
class MappingNetwork(keras.layers.Layer):
    """``MappingNetwork``: z (and class ids) -> w [B, w_dim].

    ``call(z=None, labels=None)``: x = normalize_2nd_moment(z), concatenated with
    normalize_2nd_moment(embed(one_hot(labels))) (an equalized dense layer, lr 1), then
    ``num_layers`` equalized dense layers with lrelu at ``lr_multiplier``:
    y = lrelu(x W (lr / sqrt(fan_in)) + b lr) sqrt(2).

    Args:
        w_dim: int, width of every layer and of w.
        num_layers: int, default 8, dense layers after the input normalization.
        num_classes: int, default 0, classes of the integer labels (0: unconditional).
        lr_multiplier: float, default 0.01, learning-rate multiplier of the dense layers.
    """

    def __init__(self, w_dim, num_layers=8, num_classes=0, lr_multiplier=0.01, **kwargs):
        super().__init__(**kwargs)
        self.w_dim, self.num_layers = w_dim, num_layers
        self.num_classes, self.lr_multiplier = num_classes, lr_multiplier
        self.embed = EqualizedDense(w_dim, dtype=self.dtype_policy) if num_classes else None
        self.fcs = [EqualizedDense(w_dim, activation="lrelu", lr_multiplier=lr_multiplier,
                                   dtype=self.dtype_policy) for _ in range(num_layers)]

    def call(self, z=None, labels=None):
        parts = [] if z is None else [normalize_2nd_moment(ops.cast(z, self.compute_dtype))]
        if self.embed is not None:
            one_hot = ops.one_hot(ops.cast(labels, "int32"), self.num_classes,
                                  dtype=self.compute_dtype)
            parts.append(normalize_2nd_moment(self.embed(one_hot)))
        x = parts[0] if len(parts) == 1 else ops.concatenate(parts, axis=-1)
        for fc in self.fcs:
            x = fc(x)
        return x

    def get_config(self):
        return {**super().get_config(), "w_dim": self.w_dim, "num_layers": self.num_layers,
                "num_classes": self.num_classes, "lr_multiplier": self.lr_multiplier}


class _Modulated(keras.layers.Layer):
    """The affine style layer s = A(w) (equalized dense, bias 1, float32) and a N(0, 1)
    kernel [k, k, in, filters] shared by the modulated layers."""

    def __init__(self, filters, kernel_size, conv_clamp=None, **kwargs):
        super().__init__(**kwargs)
        self.filters, self.kernel_size, self.conv_clamp = filters, kernel_size, conv_clamp

    def build(self, x_shape, w_shape):
        channels = x_shape[-1]
        self.affine = EqualizedDense(channels, bias_init=1.0, dtype="float32")
        self.affine.build(w_shape)
        self.kernel = self.add_weight(
            name="kernel", shape=(self.kernel_size, self.kernel_size, channels, self.filters),
            initializer=keras.initializers.RandomNormal(0.0, 1.0), autocast=False)
        self.bias = self.add_weight(name="bias", shape=(self.filters,), initializer="zeros")
        self.add_variables()

    def add_variables(self):
        """Creates the layer's own further variables (none here)."""

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "conv_clamp": self.conv_clamp}


@keras.saving.register_keras_serializable("ganzoo")
class ModulatedConv2D(_Modulated):
    """``SynthesisLayer``: modulated, demodulated convolution, noise, bias and lrelu.

    ``call(x, w, noise_mode="random")``: styles s = A(w); the per-sample kernel
    w'_kio = s_i w_kio is demodulated by d_o = 1 / sqrt(sum_ki w'_kio^2 + 1e-8) (Eq. 1-3).
    It runs as scale-conv-scale (x s, the shared kernel, times d): the same math with one
    ordinary convolution for the whole batch. ``up=2`` makes it a transposed convolution
    followed by the [1, 3, 3, 1] filter. Then noise (a [H, W] map, the same for every
    channel) times the learned ``noise_strength`` is added: "const" uses the stored
    ``noise_const``, "random" draws N(0, 1) per sample, "none" adds nothing. Last
    bias_act: lrelu, gain sqrt(2), clamped to +-``conv_clamp``.
    In float16 the kernel and styles are first divided by their maxima (which
    demodulation cancels), so that nothing overflows.

    Args:
        filters: int, output channels.
        resolution: int, output height and width (the size of ``noise_const``).
        kernel_size: int, default 3.
        up: int, default 1; 2 doubles the resolution.
        conv_clamp: float or None, default None (no clamping).
    """

    def __init__(self, filters, resolution, kernel_size=3, up=1, conv_clamp=None, **kwargs):
        super().__init__(filters, kernel_size, conv_clamp, **kwargs)
        self.resolution, self.up = resolution, up

    def add_variables(self):
        self.noise_const = self.add_weight(
            name="noise_const", shape=(self.resolution, self.resolution),
            initializer=keras.initializers.RandomNormal(0.0, 1.0), trainable=False)
        self.noise_strength = self.add_weight(name="noise_strength", shape=(),
                                              initializer="zeros")

    def call(self, x, w, noise_mode="random"):
        if noise_mode not in NOISE_MODES:
            raise ValueError(f"noise_mode must be one of {NOISE_MODES}, got {noise_mode!r}.")
        styles, kernel = self.affine(w), self.kernel
        if keras.backend.standardize_dtype(x.dtype) == "float16":
            kernel = kernel / ops.max(ops.abs(kernel), axis=(0, 1, 2), keepdims=True)
            styles = styles / ops.max(ops.abs(styles), axis=1, keepdims=True)
        demod = ops.rsqrt(ops.matmul(ops.square(styles), ops.sum(ops.square(kernel), (0, 1)))
                          + 1e-8)
        x = x * ops.cast(styles, x.dtype)[:, None, None, :]
        kernel = ops.cast(kernel, x.dtype)
        if self.up > 1:
            x = conv2d_up(x, kernel, fir_filter(), self.up)
        else:
            x = ops.conv(x, kernel, padding="same")
        x = x * ops.cast(demod, x.dtype)[:, None, None, :]
        if noise_mode == "const":
            x = x + ops.cast(self.noise_const * self.noise_strength, x.dtype)[:, :, None]
        elif noise_mode == "random":
            shape = ops.shape(x)
            noise = tf.random.normal((shape[0], shape[1], shape[2], 1), dtype=x.dtype)
            x = x + noise * ops.cast(self.noise_strength, x.dtype)
        return bias_act(x, self.bias, "lrelu", clamp=self.conv_clamp)

    def get_config(self):
        return {**super().get_config(), "resolution": self.resolution,
                "kernel_size": self.kernel_size, "up": self.up}


@keras.saving.register_keras_serializable("ganzoo")
class ToRGB(_Modulated):
    """``ToRGBLayer``: modulated 1x1 convolution without demodulation, styles
    s = A(w) / sqrt(in_channels), then bias, linear, clamped to +-``conv_clamp``.

    Args:
        filters: int, image channels.
        conv_clamp: float or None, default None (no clamping).
    """

    def __init__(self, filters, conv_clamp=None, **kwargs):
        super().__init__(filters, 1, conv_clamp, **kwargs)

    def call(self, x, w):
        styles = self.affine(w) * (1.0 / math.sqrt(x.shape[-1]))
        x = x * ops.cast(styles, x.dtype)[:, None, None, :]
        x = ops.conv(x, ops.cast(self.kernel, x.dtype))
        return bias_act(x, self.bias, clamp=self.conv_clamp)
