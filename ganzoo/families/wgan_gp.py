"""WGAN with gradient penalty (Gulrajani et al. 2017, "Improved Training of
Wasserstein GANs").

Replaces WGAN's weight clipping with a soft Lipschitz constraint: the critic loss adds
lambda * E[(||grad f(x_hat)||_2 - 1)^2] at random interpolates x_hat between real and
fake samples. Paper defaults: lambda = 10, n_critic = 5, Adam(1e-4, 0.0, 0.9), and no
batch normalization in the critic (use norm "layer" or "none").
"""

from ganzoo import losses
from ganzoo.families.wgan import WassersteinGAN
from ganzoo.registry import register_family


@register_family("wgan_gp")
class WGANGP(WassersteinGAN):
    default_preset = "wgan_gp_digits"
    log_names = ("gradient_penalty",)

    def __init__(self, generator, discriminator, d_steps=5, gp_weight=10.0, **kwargs):
        super().__init__(generator, discriminator, d_steps=d_steps, **kwargs)
        self.gp_weight = gp_weight

    def penalty(self, real, fake, labels, real_scores):
        penalty = self.gradient_penalty(real, fake, labels, self.interpolation_weights(real))
        self.log("gradient_penalty", penalty)
        return self.gp_weight * penalty

    def gradient_penalty(self, real, fake, labels, alpha):
        return losses.gradient_penalty(lambda x: self.discriminate(x, labels), real, fake, alpha)
