"""StyleGAN2 (Karras et al. 2020, "Analyzing and Improving the Image Quality of StyleGAN").

Non-saturating logistic loss; lazy R1 on real images (Mescheder et al. 2018): every
``r1_interval`` D steps, D's loss adds gamma/2 * E||grad D(x)||^2 * r1_interval.
Optional lazy path-length regularization (``pl_weight`` > 0, every ``pl_interval`` G steps):
E[(||J_w^T y||_2 - a)^2], y ~ N(0, I) / sqrt(H W), a an EMA of the lengths (decay 0.01).
Style mixing (Karras et al. 2019, Sec. 3.1): with probability ``style_mixing`` a sample
takes w1 = f(z1) before a random crossover layer and w2 = f(z2) after it. ``w_avg``, the
generator's mean w for the truncation trick, follows the batch means (the generator's
``w_avg_beta``); the EMA generator copies it. Needs ``stylegan`` networks.
Not included: the Adam correction for lazy regularization (lr and betas scaled by
interval / (interval + 1)) and the smaller path-length batch.
"""

import keras
import tensorflow as tf
from keras import ops

from ganzoo import losses
from ganzoo.families.base import GAN, assign_on_every_replica, replica_rows
from ganzoo.registry import register_family


def lazily(step, interval, term):
    """term() * interval on steps that are multiples of ``interval``, else 0."""
    return tf.cond(step % interval == 0, lambda: term() * float(interval),
                   lambda: tf.constant(0.0))


def mix_styles(w1, w2, crossover, num_ws):
    """[B, num_ws, w_dim] styles: w1 for layers < crossover[b], w2 from there on."""
    layer = ops.arange(num_ws, dtype="int32")[None, :, None]
    crossover = ops.reshape(ops.cast(crossover, "int32"), (-1, 1, 1))
    return ops.where(layer < crossover, w1[:, None], w2[:, None])


@register_family("stylegan")
class StyleGAN2(GAN):
    default_preset = "stylegan_celeb_a_64"

    def __init__(self, generator, discriminator, r1_gamma=10.0, r1_interval=16,
                 style_mixing=0.9, pl_weight=0.0, pl_interval=4, ema_decay=0.999,
                 **kwargs):
        if not hasattr(generator, "synthesis"):
            raise ValueError(f"stylegan needs generator.arch 'stylegan', got "
                             f"{type(generator).__name__}.")
        super().__init__(generator, discriminator, ema_decay=ema_decay, **kwargs)
        if r1_interval < 1 or pl_interval < 1:
            raise ValueError("r1_interval and pl_interval must be >= 1.")
        self.r1_gamma, self.r1_interval, self.style_mixing = r1_gamma, r1_interval, style_mixing
        self.pl_weight, self.pl_interval = pl_weight, pl_interval
        self.pl_mean = self.add_weight(name="pl_mean", shape=(), initializer="zeros",
                                       trainable=False, aggregation="only_first_replica")

    def styles(self, batch, labels=None):
        """Per-layer styles [B, num_ws, w_dim] for fresh latents, style-mixed."""
        g = self.generator
        labels = labels if g.num_classes else None
        w = g.mapping(self.latents(batch), labels)[:, 0]
        if not self.style_mixing:
            return ops.repeat(w[:, None], g.num_ws, axis=1), w
        w2 = g.mapping(self.latents(batch), labels)[:, 0]
        crossover = replica_rows(lambda n: keras.random.randint(
            (n,), 1, g.num_ws, seed=self.seed_generator), batch)
        mixed = replica_rows(lambda n: keras.random.uniform(
            (n,), seed=self.seed_generator), batch) < self.style_mixing
        return mix_styles(w, w2, ops.where(mixed, crossover, g.num_ws), g.num_ws), w

    def fake(self, real, labels):
        return self.generator.synthesis(self.styles(ops.shape(real)[0], labels)[0],
                                        noise_mode="random")

    def r1(self, real, labels):
        """gamma/2 * E||grad_x D(x)||^2 * r1_interval on R1 steps, else 0."""
        return lazily(self.d_optimizer.iterations, self.r1_interval, lambda: 0.5 * self.r1_gamma
                      * losses.r1_penalty(lambda x: self.discriminate(x, labels), real))

    def d_loss(self, real, labels):
        loss = losses.d_bce(self.discriminate(real, labels),
                            self.discriminate(self.fake(real, labels), labels))
        return loss + self.r1(real, labels) if self.r1_gamma else loss

    def g_loss(self, real, labels):
        ws, w = self.styles(ops.shape(real)[0], labels)
        self.generator.update_w_avg(w)
        loss = losses.g_nonsaturating(
            self.discriminate(self.generator.synthesis(ws, noise_mode="random"), labels))
        if self.pl_weight:
            loss += self.pl_weight * self.path_length_term(ws)
        return loss

    def path_lengths(self, ws):
        """||J_w^T y||_2 per sample, y ~ N(0, I) / sqrt(H W), averaged over the layers' w."""
        with tf.GradientTape() as tape:
            tape.watch(ws)
            images = self.generator.synthesis(ws, noise_mode="random")
            pixels = float(images.shape[1] * images.shape[2])
            total = tf.reduce_sum(images * tf.random.normal(tf.shape(images)) / pixels ** 0.5)
        grads = tf.cast(tape.gradient(total, ws), "float32")
        return tf.sqrt(tf.reduce_mean(tf.reduce_sum(tf.square(grads), axis=2), axis=1))

    def path_length_term(self, ws):
        """interval * E[(length - a)^2] on path-length steps, else 0; a <- a + 0.01 (mean - a).
        The cross-replica mean stays outside ``tf.cond`` (no synchronization inside it)."""
        on = self.g_optimizer.iterations % self.pl_interval == 0
        lengths = tf.cond(on, lambda: self.path_lengths(ws),
                          lambda: tf.zeros([tf.shape(ws)[0]]))
        batch_mean = tf.distribute.get_replica_context().all_reduce(
            "mean", tf.stop_gradient(tf.reduce_mean(lengths)))
        self.pl_mean.assign(tf.where(on, self.pl_mean + 0.01 * (batch_mean - self.pl_mean),
                                     self.pl_mean))
        penalty = tf.reduce_mean(tf.square(lengths - self.pl_mean)) * float(self.pl_interval)
        return tf.where(on, penalty, 0.0)

    def _update_ema(self):
        super()._update_ema()
        assign_on_every_replica([self.ema_generator.w_avg], [self.generator.w_avg],
                                lambda ema_w_avg, w_avg: w_avg)
