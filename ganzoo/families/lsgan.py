"""Least Squares GAN (Mao et al. 2017, "Least Squares Generative Adversarial Networks").

D regresses real to 1 and fake to 0 with a squared error; G pulls D(G(z)) to 1. The
least-squares loss keeps penalizing fakes that are on the right side of the boundary
but far from the data, which gives G gradients where the sigmoid loss saturates.
"""

from ganzoo import losses
from ganzoo.families.base import GAN
from ganzoo.registry import register_family


@register_family("lsgan")
class LSGAN(GAN):
    default_preset = "lsgan_digits"

    def d_loss(self, real, labels):
        fake = self.fake_like(real)
        return losses.d_lsgan(self.discriminate(real), self.discriminate(fake))

    def g_loss(self, real, labels):
        return losses.g_lsgan(self.discriminate(self.fake_like(real)))
