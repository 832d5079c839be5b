"""The style layers of StyleGAN2 (Karras et al. 2020, "Analyzing and Improving the Image
Quality of StyleGAN", Sec. 2.2): weight modulation/demodulation and per-layer noise.
"""

import keras
import tensorflow as tf
from keras import ops

from ganzoo.layers.equalized import EqualizedDense


@keras.saving.register_keras_serializable("ganzoo")
class ModulatedConv2D(keras.layers.Layer):
    """Convolution whose input channels are scaled by a style computed from w.

    ``call(x, w)``: s = A(w) (an equalized affine layer, bias 1), then
    w'_ijk = s_i * w_ijk and, with ``demodulate``, w''_ijk = w'_ijk / sqrt(sum_ik w'_ijk^2 + eps)
    (Eq. 1-3). It runs as the paper's "fused = False" variant: scale the input by s, use the
    shared kernel, scale the output by the demodulation coefficients, which is the same math
    with ordinary convolutions (so it exports to TFLite builtins).
    ``upsample`` doubles the resolution first (bilinear, instead of the paper's transposed
    convolution + [1, 3, 3, 1] blur).
    """

    def __init__(self, filters, kernel_size, demodulate=True, upsample=False, use_bias=True,
                 **kwargs):
        super().__init__(**kwargs)
        self.filters, self.kernel_size = filters, kernel_size
        self.demodulate, self.upsample, self.use_bias = demodulate, upsample, use_bias
        self.upsampling = (keras.layers.UpSampling2D(interpolation="bilinear",
                                                     dtype=self.dtype_policy)
                           if upsample else None)

    def build(self, x_shape, w_shape):
        channels = x_shape[-1]
        self.affine = EqualizedDense(channels, bias_init=1.0, dtype=self.dtype_policy)
        self.affine.build(w_shape)
        self.kernel = self.add_weight(
            name="kernel", shape=(self.kernel_size, self.kernel_size, channels, self.filters),
            initializer=keras.initializers.RandomNormal(0.0, 1.0))
        self.scale = 1.0 / (self.kernel_size * self.kernel_size * channels) ** 0.5
        self.bias = (self.add_weight(name="bias", shape=(self.filters,), initializer="zeros")
                     if self.use_bias else None)

    def call(self, x, w):
        styles = self.affine(w)  # [B, C_in]
        kernel = self.kernel * self.scale
        x = x * styles[:, None, None, :]
        if self.upsampling is not None:
            x = self.upsampling(x)
        y = ops.conv(x, kernel, padding="same")
        if self.demodulate:
            energy = ops.matmul(ops.square(styles), ops.sum(ops.square(kernel), axis=(0, 1)))
            y = y * ops.rsqrt(energy + 1e-8)[:, None, None, :]
        if self.bias is not None:
            y = y + self.bias
        return y

    def get_config(self):
        return {**super().get_config(), "filters": self.filters,
                "kernel_size": self.kernel_size, "demodulate": self.demodulate,
                "upsample": self.upsample, "use_bias": self.use_bias}


@keras.saving.register_keras_serializable("ganzoo")
class NoiseInjection(keras.layers.Layer):
    """Adds strength * noise, one noise value per pixel shared by all channels; the
    learned strength starts at 0.

    Training draws fresh N(0, 1) noise; inference uses a fixed noise map stored with the
    weights (StyleGAN2's ``noise_mode="const"``), so sampling is deterministic in z and
    the exported graph has no random ops.
    """

    def build(self, x_shape):
        self.strength = self.add_weight(name="strength", shape=(), initializer="zeros")
        self.constant_noise = self.add_weight(
            name="constant_noise", shape=(x_shape[1], x_shape[2], 1),
            initializer=keras.initializers.RandomNormal(0.0, 1.0), trainable=False)

    def call(self, x, training=False):
        if training:
            shape = ops.shape(x)
            noise = tf.random.normal((shape[0], shape[1], shape[2], 1), dtype=x.dtype)
        else:
            noise = ops.cast(self.constant_noise, x.dtype)[None]
        return x + noise * ops.cast(self.strength, x.dtype)
