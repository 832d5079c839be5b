"""FIR resampling of StyleGAN2 (Karras et al. 2020, "Analyzing and Improving the Image
Quality of StyleGAN", App. B; Karras et al. 2020, "Training Generative Adversarial Networks
with Limited Data"), ganzoo's NHWC version of ``torch_utils/ops/upfirdn2d.py`` and
``conv2d_resample.py`` of NVlabs/stylegan2-ada-pytorch.

``upfirdn2d`` upsamples by inserting ``up - 1`` zeros after every pixel, pads (negative
padding crops), convolves every channel with the 2-D filter f (a true convolution: f is
flipped, which changes nothing for the symmetric [1, 3, 3, 1] filter) times ``gain``, and
keeps every ``down``-th pixel. It runs as a reshape/pad and a depthwise convolution, so it
exports to TFLite builtins. The default filter is the outer product of [1, 3, 3, 1] with
itself, normalized to sum 1.
"""

import numpy as np
from keras import ops

FIR_TAPS = (1, 3, 3, 1)


def fir_filter(taps=FIR_TAPS):
    """The normalized 2-D filter outer(taps, taps) / sum, float32 [len(taps), len(taps)]."""
    f = np.outer(taps, taps).astype(np.float32)
    return f / f.sum()


def upfirdn2d(x, f, up=1, down=1, padding=(0, 0, 0, 0), gain=1.0):
    """x [B, H, W, C] -> upsample by ``up``, pad (x0, x1, y0, y1), convolve with f * gain,
    keep every ``down``-th pixel."""
    _, height, width, channels = x.shape
    if up > 1:  # zeros after each column, then after each row (4-D pads, as TFLite has)
        zeros_after = ((0, 0), (0, 0), (0, up - 1), (0, 0))
        x = ops.pad(ops.reshape(x, (-1, width, 1, channels)), zeros_after)
        x = ops.pad(ops.reshape(x, (-1, height, 1, width * up * channels)), zeros_after)
        x = ops.reshape(x, (-1, height * up, width * up, channels))
    x0, x1, y0, y1 = padding
    x = ops.pad(x, ((0, 0), (max(y0, 0), max(y1, 0)), (max(x0, 0), max(x1, 0)), (0, 0)))
    x = x[:, max(-y0, 0):x.shape[1] - max(-y1, 0), max(-x0, 0):x.shape[2] - max(-x1, 0)]
    kernel = np.tile((f[::-1, ::-1] * gain)[:, :, None, None], (1, 1, channels, 1))
    return ops.depthwise_conv(x, ops.cast(kernel, x.dtype), strides=down, padding="valid")


def upsample2d(x, f, up=2):
    """x [B, H, W, C] -> [B, up H, up W, C]: zero insertion and the filter at gain up^2."""
    fw = f.shape[0]
    p0, p1 = (fw + up - 1) // 2, (fw - up) // 2
    return upfirdn2d(x, f, up=up, padding=(p0, p1, p0, p1), gain=up * up)


def downsample2d(x, f, down=2):
    """x [B, H, W, C] -> [B, H / down, W / down, C]: the filter, then every down-th pixel."""
    fw = f.shape[0]
    p0, p1 = (fw - down + 1) // 2, (fw - down) // 2
    return upfirdn2d(x, f, down=down, padding=(p0, p1, p0, p1))


def conv2d_up(x, kernel, f, up=2):
    """Upsampling "same" convolution: transposed convolution with stride ``up`` of x by
    kernel [k, k, C_in, C_out] (no padding), then the filter at gain up^2 with the padding
    that leaves [B, up H, up W, C_out] (conv2d_resample with up > 1)."""
    k, fw = kernel.shape[0], f.shape[0]
    p0 = k // 2 + (fw + up - 1) // 2 - (k - 1)
    p1 = k // 2 + (fw - up) // 2 - (k - up)
    x = ops.conv_transpose(x, ops.transpose(kernel, (0, 1, 3, 2)), strides=up, padding="valid")
    return upfirdn2d(x, f, padding=(p0, p1, p0, p1), gain=up * up)


def conv2d_down(x, kernel, f, down=2):
    """Downsampling "same" convolution by kernel [k, k, C_in, C_out] (conv2d_resample with
    down > 1): a 1x1 kernel filters and keeps every down-th pixel, then convolves; a larger
    one filters with padding k // 2 added, then convolves with stride ``down``."""
    k, fw = kernel.shape[0], f.shape[0]
    p0 = k // 2 + (fw - down + 1) // 2
    p1 = k // 2 + (fw - down) // 2
    if k == 1:
        return ops.conv(upfirdn2d(x, f, down=down, padding=(p0, p1, p0, p1)), kernel)
    return ops.conv(upfirdn2d(x, f, padding=(p0, p1, p0, p1)), kernel, strides=down,
                    padding="valid")
