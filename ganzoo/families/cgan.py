"""Conditional GAN (Mirza & Osindero 2014, "Conditional Generative Adversarial Nets").

G and D both receive the class label: G(z, y), D(x, y). D learns which images belong
to which label, so G must produce images of the label it is given. Fakes use uniformly
sampled labels; the loss is the non-saturating GAN's.
"""

from ganzoo import losses
from ganzoo.families.base import GAN
from ganzoo.registry import register_family


@register_family("cgan")
class ConditionalGAN(GAN):
    default_preset = "cgan_digits"
    conditional = True
    label_smoothing_applies = True

    def d_loss(self, real, labels):
        fake_labels = self.random_labels_like(labels)
        fake = self.fake_like(real, fake_labels)
        return losses.d_bce(self.discriminate(real, labels),
                            self.discriminate(fake, fake_labels), self.real_target)

    def g_loss(self, real, labels):
        fake_labels = self.random_labels_like(labels)
        return losses.g_nonsaturating(
            self.discriminate(self.fake_like(real, fake_labels), fake_labels))
