"""pix2pix (Isola et al. 2017, "Image-to-Image Translation with Conditional Adversarial
Networks").

A conditional GAN whose condition is an image: on paired data (x, y), G maps x to y and
D judges the pair [x, y] against [x, G(x)], patch by patch (a ``paired`` PatchGAN).
D's loss is the GAN cross-entropy halved (Sec. 3.3); G's is the non-saturating GAN loss
plus ``l1_weight`` x ||y - G(x)||_1 (lambda = 100), which carries the low frequencies
while D sharpens the high ones. ``direction`` "b2a" trains the B -> A mapping instead.
"""

from keras import ops

from ganzoo import losses
from ganzoo.families.image_to_image import DIRECTIONS, ImageToImageGAN, l1
from ganzoo.registry import check_choice, register_family


@register_family("pix2pix")
class Pix2Pix(ImageToImageGAN):
    default_preset = "pix2pix_digits_edges"
    discriminator_defaults = {"paired": True}
    label_smoothing_applies = True
    log_names = ("l1",)

    def __init__(self, generator, discriminator, l1_weight=100.0, direction="a2b", **kwargs):
        super().__init__(generator, discriminator, **kwargs)
        if not getattr(discriminator, "paired", False):
            raise ValueError("pix2pix's discriminator judges [input, output] pairs: use "
                             "discriminator.arch patchgan with paired: true.")
        self.l1_weight = l1_weight
        self.direction = check_choice("direction", direction, DIRECTIONS)

    def unpack(self, data):
        """(target, source): the losses' ``real`` is the target, ``labels`` the input."""
        x_a, x_b = super().unpack(data)
        return (x_b, x_a) if self.direction == "a2b" else (x_a, x_b)

    def translators(self):
        return {self.direction: self.sampling_generator()}

    def judge(self, source, image):
        """D's patch logits for the pair [source, image], concatenated on channels."""
        pair = ops.concatenate([source, ops.cast(image, source.dtype)], axis=-1)
        return self.discriminator(self.d_inputs(pair), training=True)

    def d_loss(self, target, source):
        fake = self.generator(source, training=True)
        return 0.5 * losses.d_bce(self.judge(source, target), self.judge(source, fake),
                                  self.real_target)

    def g_loss(self, target, source):
        fake = self.generator(source, training=True)
        distance = l1(fake, target)
        self.log("l1", distance)
        return losses.g_nonsaturating(self.judge(source, fake)) + self.l1_weight * distance
