"""The inpainting generator: a pix2pix U-Net (``unet.py``) that takes the image with its
hole and the mask, as in Pathak et al. 2016 ("Context Encoders: Feature Learning by
Inpainting") with Isola et al. 2017's encoder-decoder with skips.

Input: [B, H, W, C + 1], the image (C channels in [-1, 1]) and the mask as the last
channel (1 = hole, 0 = known; values are clipped to [0, 1]). The U-Net sees
concat(x * (1 - m), m), so nothing of the hole reaches it, and its output is composited:

    y = x * (1 - m) + U(concat(x * (1 - m), m)) * m

the known pixels pass through unchanged; only the hole is generated.
"""

import keras
from keras import ops

from ganzoo.networks.base import ImageGenerator
from ganzoo.networks.unet import UNetGenerator
from ganzoo.registry import register_network


@register_network("inpaint_generator")
@keras.saving.register_keras_serializable("ganzoo")
class InpaintGenerator(ImageGenerator):
    """Images with a hole and their mask [B, H, W, C + 1] -> filled images [B, H, W, C].

    Args:
        data_shape (tuple, default (32, 32, 1)): image shape (H, W, C).
        ngf (int, default 32): width of the U-Net's outermost conv.
        depth (int, default None): the U-Net's stride-2 levels; None = log2(H).
        norm (str, default "batch"): "batch", "instance" or "none".
        latent_dim, num_classes: accepted from the builder, unused (``ImageGenerator``).
    """

    def __init__(self, data_shape=(32, 32, 1), ngf=32, depth=None, norm="batch", **kwargs):
        data_shape = tuple(data_shape)
        super().__init__(data_shape=data_shape, ngf=ngf, depth=depth, norm=norm, **kwargs)
        self.data_shape = data_shape
        self.input_channels = data_shape[-1] + 1
        self.unet = UNetGenerator(data_shape=data_shape, ngf=ngf, depth=depth, norm=norm,
                                  dropout=0.0, input_channels=self.input_channels, name="unet")

    def call(self, images, training=False):
        images = ops.cast(images, "float32")
        channels = self.data_shape[-1]
        mask = ops.clip(images[..., channels:], 0.0, 1.0)
        known = images[..., :channels] * (1.0 - mask)
        filled = ops.cast(self.unet(ops.concatenate([known, mask], axis=-1), training=training),
                          "float32")
        return known + filled * mask
