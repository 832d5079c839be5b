"""Keras layers that compute exactly what the torch modules of ports compute (NHWC).

Used by the ports of junyanz/pytorch-CycleGAN-and-pix2pix ``models/networks.py``
(ResNet, U-Net, PatchGAN) and reusable by any port:

- ``PaddedConv2D``: torch ``Conv2d(padding=p)``: zero-pad p pixels on every side, then a
  valid convolution, y = W * pad(x) + b.
- ``PaddedConv2DTranspose``: torch ``ConvTranspose2d(padding=p, output_padding=q)``. The
  full (valid) transposed convolution of an H-pixel input has (H - 1) s + k pixels; torch
  drops the first p and the last p - q of them, giving (H - 1) s - 2p + k + q. Keras'
  ``padding="same"`` drops them the other way round when k - s is odd (k 3, s 2: torch
  keeps rows 1..2H, Keras 0..2H-1), so the crop is explicit here.
- ``ReflectionPad``: torch ``ReflectionPad2d`` (TFLite builtin MirrorPad).
- ``norm_layer``: torch ``InstanceNorm2d(affine=False, track_running_stats=False)``,
  (x - mean_HW) / sqrt(var_HW + 1e-5), or ``BatchNorm2d`` (eps 1e-5, torch momentum 0.1 =
  Keras momentum 0.9, running statistics in inference).

Weights start as in the reference ``init_weights(init_type="normal", gain=0.02)``: conv
kernels N(0, 0.02), biases 0, batch-norm gamma N(1, 0.02) and beta 0.
"""

import keras
from keras import layers, ops

NORMS = ("instance", "batch", "none")
INIT_STD = 0.02


def kernel_init():
    """N(0, 0.02), a fresh initializer per layer (Keras warns when one is reused)."""
    return keras.initializers.RandomNormal(0.0, INIT_STD)


def norm_layer(kind):
    """The torch normalization ``kind`` as a Keras layer; None for "none"."""
    if kind not in NORMS:
        raise ValueError(f"Unknown norm '{kind}'. Valid choices: {', '.join(NORMS)}.")
    if kind == "instance":
        return layers.GroupNormalization(groups=-1, epsilon=1e-5, center=False, scale=False)
    if kind == "batch":
        return layers.BatchNormalization(
            momentum=0.9, epsilon=1e-5,
            gamma_initializer=keras.initializers.RandomNormal(1.0, INIT_STD))
    return None


def conv_bias(norm):
    """The reference's bias rule: a conv has a bias unless a batch norm follows it
    (``use_bias = norm_layer.func == nn.InstanceNorm2d``)."""
    return norm != "batch"


def _pad_hw(x, pad, mode="constant"):
    return ops.pad(x, [[0, 0], [pad, pad], [pad, pad], [0, 0]], mode=mode)


class ReflectionPad(layers.Layer):
    """Pads H and W by ``pad`` pixels, mirroring the border without repeating it."""

    def __init__(self, pad, **kwargs):
        super().__init__(**kwargs)
        self.pad = pad

    def call(self, x):
        return _pad_hw(x, self.pad, "reflect")

    def compute_output_shape(self, shape):
        grow = lambda n: None if n is None else n + 2 * self.pad  # noqa: E731
        return (shape[0], grow(shape[1]), grow(shape[2]), shape[3])

    def get_config(self):
        return {**super().get_config(), "pad": self.pad}


class PaddedConv2D(layers.Conv2D):
    """``Conv2D`` after ``pad`` pixels of zeros on every side (torch's ``padding``).

    Args:
        filters (int): output channels.
        kernel_size (int): square kernel size.
        strides (int, default 1): stride.
        pad (int, default 0): zeros added on each side of H and W.
        use_bias (bool, default True): whether to add a bias.
    """

    def __init__(self, filters, kernel_size, strides=1, pad=0, use_bias=True, **kwargs):
        kwargs.pop("padding", None)  # from_config: always "valid" here
        kwargs.setdefault("kernel_initializer", kernel_init())
        super().__init__(filters, kernel_size, strides, padding="valid", use_bias=use_bias,
                         **kwargs)
        self.pad = pad

    def call(self, x):
        return super().call(_pad_hw(x, self.pad) if self.pad else x)

    def compute_output_shape(self, shape):
        grow = lambda n: None if n is None else n + 2 * self.pad  # noqa: E731
        return super().compute_output_shape((shape[0], grow(shape[1]), grow(shape[2]),
                                             shape[3]))

    def get_config(self):
        return {**super().get_config(), "pad": self.pad}


class PaddedConv2DTranspose(layers.Conv2DTranspose):
    """``Conv2DTranspose`` cropped as torch's ``ConvTranspose2d(padding, output_padding)``.

    Args:
        filters (int): output channels.
        kernel_size (int): square kernel size.
        strides (int): stride.
        pad (int, default 0): torch's ``padding``: pixels dropped at the start of H and W.
        output_pad (int, default 0): torch's ``output_padding``: ``pad - output_pad``
            pixels are dropped at the end.
        use_bias (bool, default True): whether to add a bias.
    """

    def __init__(self, filters, kernel_size, strides, pad=0, output_pad=0, use_bias=True,
                 **kwargs):
        if not 0 <= output_pad <= pad:
            raise ValueError(f"output_pad must be in 0..pad={pad}, got {output_pad}.")
        kwargs.pop("padding", None)  # from_config: always "valid" here
        kwargs.setdefault("kernel_initializer", kernel_init())
        super().__init__(filters, kernel_size, strides, padding="valid", use_bias=use_bias,
                         **kwargs)
        self.pad, self.output_pad = pad, output_pad

    def call(self, x):
        y = super().call(x)
        end = self.pad - self.output_pad
        stop = None if end == 0 else -end
        return y[:, self.pad:stop, self.pad:stop, :]

    def compute_output_shape(self, shape):
        out = super().compute_output_shape(shape)
        shrink = lambda n: None if n is None else n - 2 * self.pad + self.output_pad  # noqa
        return (out[0], shrink(out[1]), shrink(out[2]), out[3])

    def get_config(self):
        return {**super().get_config(), "pad": self.pad, "output_pad": self.output_pad}


class InferenceDropout(layers.Dropout):
    """``Dropout`` that also drops at inference (pix2pix's test-time noise, Isola et al.
    2017, Sec. 3.1): the network becomes stochastic, so it is not for exports."""

    def call(self, x, training=None):
        return super().call(x, training=True)


def dropout_layer(rate, at_inference=False):
    """torch ``nn.Dropout(rate)``; with ``at_inference`` it also acts outside training."""
    return (InferenceDropout if at_inference else layers.Dropout)(rate)
