"""The original GAN (Goodfellow et al. 2014, "Generative Adversarial Nets").

D minimizes E(G, D) = -E[log D(x)] - E[log(1 - D(G(z)))] (the paper's value function,
negated).
G either minimizes E[log(1 - D(G(z)))] ("minimax", the paper's game, which saturates
when D is confident) or -E[log D(G(z))] ("nonsaturating", the paper's practical fix).
"""

from ganzoo import losses
from ganzoo.families.base import GAN
from ganzoo.registry import check_choice, register_family

G_OBJECTIVES = {"nonsaturating": losses.g_nonsaturating, "minimax": losses.g_minimax}


@register_family("gan")
class VanillaGAN(GAN):
    default_preset = "gan_ring"
    label_smoothing_applies = True

    def __init__(self, generator, discriminator, g_objective="nonsaturating", **kwargs):
        super().__init__(generator, discriminator, **kwargs)
        self.g_objective = check_choice("g_objective", g_objective, G_OBJECTIVES)

    def d_loss(self, real, labels):
        fake = self.fake_like(real)
        return losses.d_bce(self.discriminate(real), self.discriminate(fake), self.real_target)

    def g_loss(self, real, labels):
        return G_OBJECTIVES[self.g_objective](self.discriminate(self.fake_like(real)))
