"""WGAN-div (Wu et al. 2018, "Wasserstein Divergence for GANs").

The critic loss is WGAN's, E[f(G(z))] - E[f(x)], plus k * E[||grad f(x_hat)||_2^p]
at random interpolates x_hat of real and fake samples. Unlike WGAN-GP's (||grad|| - 1)^2
this term asks for no 1-Lipschitz critic: it makes the objective a divergence (W-div)
that the generator minimizes. Paper defaults: k = 2, p = 6, n_critic 5, Adam(2e-4, 0.5,
0.999).
"""

from ganzoo import losses
from ganzoo.families.wgan import WassersteinGAN
from ganzoo.registry import register_family


@register_family("wgan_div")
class WGANDiv(WassersteinGAN):
    default_preset = "wgan_div_digits"
    log_names = ("divergence_penalty",)

    def __init__(self, generator, discriminator, d_steps=5, k=2.0, p=6.0, **kwargs):
        super().__init__(generator, discriminator, d_steps=d_steps, **kwargs)
        self.k, self.p = k, p

    def penalty(self, real, fake, labels, real_scores):
        term = losses.gradient_norm_power(lambda x: self.discriminate(x, labels), real, fake,
                                          self.interpolation_weights(real), self.p)
        self.log("divergence_penalty", term)
        return self.k * term
