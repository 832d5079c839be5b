"""f-GAN (Nowozin et al. 2016, "f-GAN: Training Generative Neural Samplers using
Variational Divergence Minimization").

D's raw output v is mapped by the divergence's output activation g_f, and the pair
maximizes the variational bound E_x[g_f(v(x))] - E_z[f*(g_f(v(G(z))))] of the
f-divergence D_f(P_data || P_G), f* being the Fenchel conjugate. The divergence is
chosen in config: kl, reverse_kl, js, pearson, squared_hellinger.
"""

from ganzoo import losses
from ganzoo.families.base import GAN
from ganzoo.registry import check_choice, register_family


@register_family("fgan")
class FGAN(GAN):
    default_preset = "fgan_digits"

    def __init__(self, generator, discriminator, divergence="js", **kwargs):
        super().__init__(generator, discriminator, **kwargs)
        self.divergence = check_choice("divergence", divergence, list(losses.F_DIVERGENCES))

    def d_loss(self, real, labels):
        fake = self.fake_like(real)
        return losses.d_fgan(self.discriminate(real), self.discriminate(fake), self.divergence)

    def g_loss(self, real, labels):
        return losses.g_fgan(self.discriminate(self.fake_like(real)), self.divergence)
