"""The PatchGAN discriminator (Isola et al. 2017, "Image-to-Image Translation with
Conditional Adversarial Networks", section 3.2.2; also CycleGAN's, Zhu et al. 2017).

It classifies every overlapping patch as real or fake and returns a [B, H', W', 1] map
of float32 logits: ``downsamples`` stride-2 4x4 convs (the first without norm), one stride-1
conv and a 1-channel stride-1 conv, LeakyReLU 0.2. The paper's 70x70 PatchGAN is
``width=64, downsamples=3``. With ``paired=True`` (pix2pix) it judges pairs: its input is
the condition image and the image concatenated on channels (2C channels).
"""

import keras
from keras import layers, ops

from ganzoo.layers import maybe_spectral_norm, normalization
from ganzoo.networks.base import Discriminator
from ganzoo.registry import register_network


@register_network("patchgan_discriminator")
@keras.saving.register_keras_serializable("ganzoo")
class PatchGANDiscriminator(Discriminator):
    def __init__(self, data_shape=(32, 32, 1), num_classes=0, aux_classes=0, width=64,
                 max_width=512, downsamples=3, norm="instance", spectral_norm=False, paired=False,
                 **kwargs):
        if num_classes or aux_classes:
            raise ValueError("The PatchGAN discriminator takes no class labels.")
        data_shape = tuple(data_shape)
        super().__init__(data_shape=data_shape, width=width, max_width=max_width,
                         downsamples=downsamples, norm=norm, spectral_norm=spectral_norm,
                         paired=paired, **kwargs)
        self.data_shape, self.num_classes, self.aux_classes = data_shape, 0, 0
        self.paired = paired
        if data_shape[0] % 2 ** downsamples:
            raise ValueError(f"PatchGAN: resolution {data_shape[0]} is not divisible by "
                             f"2**downsamples = {2 ** downsamples}.")
        blocks = []
        for i in range(downsamples + 1):
            conv = layers.Conv2D(min(width * 2 ** i, max_width), 4, 2 if i < downsamples else 1,
                                       "same")
            blocks += [maybe_spectral_norm(conv, spectral_norm),
                       normalization(norm) if i else None, layers.LeakyReLU(0.2)]
        self.body = keras.Sequential(list(filter(None, blocks)))
        self.patches = maybe_spectral_norm(
            layers.Conv2D(1, 4, 1, "same", dtype="float32"), spectral_norm)

    def call(self, x, training=False):
        return self.patches(self.body(ops.cast(x, self.compute_dtype), training=training))

    def build_for_data(self):
        height, width, channels = self.data_shape
        self(ops.zeros((1, height, width, channels * (2 if self.paired else 1))))
        return self
