"""The PatchGAN discriminator (Isola et al. 2017, "Image-to-Image Translation with
Conditional Adversarial Networks", Sec. 3.2.2; also CycleGAN's, Zhu et al. 2017); a port
of ``NLayerDiscriminator`` in junyanz/pytorch-CycleGAN-and-pix2pix ``models/networks.py``.

It classifies every overlapping patch as real or fake and returns a [B, H', W', 1] map of
float32 logits. All convs are 4x4 with zero padding 1, LeakyReLU 0.2 after each but the
last:

    C64:            conv stride 2 (with bias, no norm)
    C128 .. C(8ndf): ``n_layers - 1`` convs stride 2, norm; width min(2**n, 8) x ndf
    C(8ndf):        conv stride 1, norm
    1:              conv stride 1 to one channel (with bias)

so an H-pixel input gives H / 2**n_layers - 2 patches per side; ``n_layers=3`` is the
paper's 70x70 PatchGAN. Convs followed by a batch norm have no bias. With ``paired=True``
(pix2pix) it judges pairs: its input is the condition image and the image concatenated on
channels (2C channels). ``self.model`` holds one Keras layer per module of the reference's
``nn.Sequential``, at the same index (state dict ``model.<i>.*``).
"""

import keras
from keras import layers, ops

from ganzoo.layers import maybe_spectral_norm
from ganzoo.layers.torch_compat import PaddedConv2D, conv_bias, norm_layer
from ganzoo.networks.base import Discriminator
from ganzoo.registry import register_network


@register_network("patchgan_discriminator")
@keras.saving.register_keras_serializable("ganzoo")
class PatchGANDiscriminator(Discriminator):
    """PatchGAN: images [B, H, W, C] (2C when paired) -> patch logits [B, H', W', 1].

    Args:
        data_shape (tuple, default (32, 32, 1)): image shape (H, W, C).
        ndf (int, default 64): width of the first conv (the reference's ``ndf``).
        n_layers (int, default 3): stride-2 convs (the reference's ``n_layers_D``).
        norm (str, default "instance"): "instance" (no affine parameters), "batch" or
            "none".
        spectral_norm (bool, default False): wrap every conv in spectral normalization
            (Miyato et al. 2018; not in the reference).
        paired (bool, default False): input is [condition, image] on channels (pix2pix).
        num_classes, aux_classes (int, default 0): must be 0 (no class labels).
    """

    def __init__(self, data_shape=(32, 32, 1), num_classes=0, aux_classes=0, ndf=64,
                 n_layers=3, norm="instance", spectral_norm=False, paired=False, **kwargs):
        if num_classes or aux_classes:
            raise ValueError("The PatchGAN discriminator takes no class labels.")
        data_shape = tuple(data_shape)
        super().__init__(data_shape=data_shape, ndf=ndf, n_layers=n_layers, norm=norm,
                         spectral_norm=spectral_norm, paired=paired, **kwargs)
        self.data_shape, self.num_classes, self.aux_classes = data_shape, 0, 0
        self.paired = paired
        if min(data_shape[:2]) // 2 ** n_layers < 3:
            raise ValueError(f"PatchGAN: size {data_shape[:2]} is too small for n_layers="
                             f"{n_layers}: it needs at least {3 * 2 ** n_layers} pixels a side.")
        bias = conv_bias(norm)

        def conv(width, stride, use_bias=bias, **kw):
            return maybe_spectral_norm(PaddedConv2D(width, 4, stride, pad=1, use_bias=use_bias,
                                                    **kw), spectral_norm)

        def norm_act(width, stride):
            return [conv(width, stride), norm_layer(norm) or layers.Identity(),
                    layers.LeakyReLU(0.2)]

        model = [conv(ndf, 2, use_bias=True), layers.LeakyReLU(0.2)]
        for n in range(1, n_layers):
            model += norm_act(ndf * min(2 ** n, 8), 2)
        model += norm_act(ndf * min(2 ** n_layers, 8), 1)
        model += [conv(1, 1, use_bias=True, dtype="float32")]
        self.model = keras.Sequential(model)

    def call(self, x, training=False):
        return self.model(ops.cast(x, self.compute_dtype), training=training)

    def build_for_data(self):
        height, width, channels = self.data_shape
        self(ops.zeros((1, height, width, channels * (2 if self.paired else 1))))
        return self
