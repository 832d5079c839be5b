"""ProGAN (Karras et al. 2018, "Progressive Growing of GANs for Improved Quality, Stability,
and Variation"): WGAN-GP with a drift term, trained while the networks grow from 4x4.

Schedule, from the number of G steps s: level = min(s // phase_steps, L) (4x4 * 2^level);
a new level fades in over its first ``fade_steps`` steps (alpha 0 -> 1), then trains
stably. The schedule is a function of the optimizer's step counter, and the networks keep
``level`` / ``alpha`` in their weights, so training resumes from a checkpoint at any
phase, mid-fade included. Real images are average-pooled to the current resolution (and,
during a fade, blended with the previous one as the paper does) and upsampled back, so the
data pipeline and every tensor stay at the target size (see ``ganzoo/networks/progan.py``).
The critic loss adds lambda * GP (measured in the current resolution's pixels) and
drift_weight * E[D(x)^2]. Paper defaults: Adam(1e-3, 0, 0.99), n_critic 1, lambda 10,
drift 0.001, generator EMA 0.999. Needs ``progan`` networks.
"""

import tensorflow as tf
from keras import ops

from ganzoo import losses
from ganzoo.families.wgan_gp import WGANGP
from ganzoo.registry import register_family


@register_family("progan")
class ProGAN(WGANGP):
    default_preset = "progan_digits_32"

    def __init__(self, generator, discriminator, d_steps=1, phase_steps=1000, fade_steps=500,
                 drift_weight=0.001, ema_decay=0.999, **kwargs):
        for network in (generator, discriminator):
            if not hasattr(network, "set_growth"):
                raise ValueError(f"progan needs progan networks, got {type(network).__name__}.")
        if not 1 <= fade_steps <= phase_steps:
            raise ValueError(f"Need 1 <= fade_steps <= phase_steps, got {fade_steps} and "
                             f"{phase_steps}.")
        super().__init__(generator, discriminator, d_steps=d_steps, ema_decay=ema_decay,
                         **kwargs)
        self.phase_steps, self.fade_steps, self.drift_weight = phase_steps, fade_steps, drift_weight

    def growth(self, step):
        """(level, alpha) for G step ``step``."""
        step = ops.cast(step, "int32")
        level = ops.minimum(step // self.phase_steps, self.generator.levels)
        into = ops.cast(step - level * self.phase_steps, "float32")
        alpha = ops.where(level > 0, ops.minimum(into / self.fade_steps, 1.0), 1.0)
        return level, alpha

    def growing_networks(self):
        return [net for net in (self.generator, self.ema_generator, self.discriminator) if net]

    def train_step(self, data):
        level, alpha = self.growth(self.g_optimizer.iterations)
        for network in self.growing_networks():
            network.set_growth(level, alpha)
        return super().train_step(data)

    def _update_ema(self):
        super()._update_ema()  # averages level/alpha too: put back the exact values
        self.ema_generator.set_growth(self.generator.level, self.generator.alpha)

    def current_reals(self, real):
        """The real batch at the current resolution (faded in), upsampled back."""
        g = self.generator
        size = real.shape[1]
        resolution = 2 ** (2 + ops.cast(ops.round(g.level), "int32"))

        def at(res):
            small = tf.image.resize(real, [res, res], method="area")
            return tf.image.resize(small, [size, size], method="nearest")

        return g.fade(at(ops.maximum(resolution // 2, 4)), at(resolution))

    def gradient_penalty(self, real, fake, labels, alpha):
        """The WGAN-GP term in the current resolution's pixels: images here are that
        resolution upsampled ``scale`` times, whose gradients are ``scale`` times smaller."""
        scale = 2.0 ** (self.generator.levels - ops.round(self.generator.level))
        return losses.gradient_penalty(lambda u: self.discriminate(u * scale, labels),
                                       real / scale, fake / scale, alpha)

    def d_loss(self, real, labels):
        return super().d_loss(self.current_reals(real), labels)

    def penalty(self, real, fake, labels, real_scores):
        """WGAN-GP's term plus the drift epsilon * E[D(x)^2] that keeps D(x) near 0."""
        drift = ops.mean(ops.square(ops.cast(real_scores, "float32")))
        return super().penalty(real, fake, labels, real_scores) + self.drift_weight * drift
