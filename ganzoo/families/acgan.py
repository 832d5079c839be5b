"""Auxiliary Classifier GAN (Odena et al. 2017, "Conditional Image Synthesis with
Auxiliary Classifier GANs").

G(z, y) is conditional; D sees only the image and outputs realness *and* class logits
(a multi-class discriminator that outputs class predictions and realness). Both networks also minimize the class
cross-entropy: D on real and fake images, G on its fakes.
"""

from ganzoo import losses
from ganzoo.families.base import GAN
from ganzoo.registry import register_family


@register_family("acgan")
class ACGAN(GAN):
    default_preset = "acgan_digits"
    conditional = True
    aux_classifier = True
    label_smoothing_applies = True
    log_names = ("d_class_loss",)

    def __init__(self, generator, discriminator, class_weight=1.0, **kwargs):
        super().__init__(generator, discriminator, **kwargs)
        self.class_weight = class_weight

    def d_loss(self, real, labels):
        fake_labels = self.random_labels_like(labels)
        real_logit, real_class = self.discriminate(real)
        fake_logit, fake_class = self.discriminate(self.fake_like(real, fake_labels))
        class_loss = (losses.classification(labels, real_class)
                      + losses.classification(fake_labels, fake_class))
        self.log("d_class_loss", class_loss)
        return (losses.d_bce(real_logit, fake_logit, self.real_target)
                + self.class_weight * class_loss)

    def g_loss(self, real, labels):
        fake_labels = self.random_labels_like(labels)
        fake_logit, fake_class = self.discriminate(self.fake_like(real, fake_labels))
        return (losses.g_nonsaturating(fake_logit)
                + self.class_weight * losses.classification(fake_labels, fake_class))
