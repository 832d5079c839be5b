"""Relativistic average GAN (Jolicoeur-Martineau 2019, "The relativistic discriminator:
a key element missing from standard GAN").

D estimates whether real data is more realistic than the average fake (and vice
versa): sigmoid(C(x) - E[C(G(z))]). G's loss is the mirror image, so G also gets
gradient through the real samples.
"""

from ganzoo import losses
from ganzoo.families.base import GAN
from ganzoo.registry import register_family


@register_family("ragan")
class RaGAN(GAN):
    default_preset = "ragan_digits"

    def d_loss(self, real, labels):
        fake = self.fake_like(real)
        return losses.d_relativistic(self.discriminate(real), self.discriminate(fake))

    def g_loss(self, real, labels):
        fake = self.fake_like(real)
        return losses.g_relativistic(self.discriminate(real), self.discriminate(fake))
