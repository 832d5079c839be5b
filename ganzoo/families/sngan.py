"""SNGAN (Miyato et al. 2018, "Spectral Normalization for Generative Adversarial
Networks").

Every discriminator layer is divided by its largest singular value (one power
iteration per step), which bounds D's Lipschitz constant; trained with the hinge loss
E[relu(1 - D(x))] + E[relu(1 + D(G(z)))] and G loss -E[D(G(z))]. Spectral norm is
switched on in the discriminator by default for this family.
"""

from ganzoo import losses
from ganzoo.families.base import GAN
from ganzoo.registry import register_family


@register_family("sngan")
class SNGAN(GAN):
    default_preset = "sngan_digits"
    discriminator_defaults = {"spectral_norm": True}

    def d_loss(self, real, labels):
        fake = self.fake_like(real)
        return losses.d_hinge(self.discriminate(real), self.discriminate(fake))

    def g_loss(self, real, labels):
        return losses.g_hinge(self.discriminate(self.fake_like(real)))
