"""Wasserstein GAN (Arjovsky et al. 2017, "Wasserstein GAN").

The critic f maximizes E[f(x)] - E[f(G(z))], an estimate of the Earth-Mover distance
W_1 when f is 1-Lipschitz; the Lipschitz constraint is enforced crudely by clipping
every critic weight to [-c, c] after each update. n_critic = 5 critic steps per
generator step and RMSprop(5e-5), as in the paper.

``WassersteinGAN`` is that objective with the family's ``penalty`` added to the critic
loss; WGAN-GP, WGAN-div and ProGAN differ from WGAN only in their penalty.
"""

from keras import ops

from ganzoo import losses
from ganzoo.families.base import GAN, assign_on_every_replica
from ganzoo.registry import register_family


class WassersteinGAN(GAN):
    """Critic loss E[f(G(z))] - E[f(x)] + penalty; generator loss -E[f(G(z))]."""

    def d_loss(self, real, labels):
        fake = self.fake_like(real, labels)
        real_scores = self.discriminate(real, labels)
        return (losses.d_wasserstein(real_scores, self.discriminate(fake, labels))
                + self.penalty(real, fake, labels, real_scores))

    def g_loss(self, real, labels):
        return losses.g_wasserstein(self.discriminate(self.fake_like(real, labels), labels))


@register_family("wgan")
class WGAN(WassersteinGAN):
    default_preset = "wgan_digits"

    def __init__(self, generator, discriminator, d_steps=5, clip_value=0.01, **kwargs):
        super().__init__(generator, discriminator, d_steps=d_steps, **kwargs)
        self.clip_value = clip_value

    def after_d_update(self):
        weights = self.discriminator.trainable_weights
        assign_on_every_replica(
            weights, weights, lambda w, _: ops.clip(w, -self.clip_value, self.clip_value))
