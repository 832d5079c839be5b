"""StyleGAN2 (Karras et al. 2020, "Analyzing and Improving the Image Quality of StyleGAN")
trained as ``training/loss.py`` (``StyleGAN2Loss``) and ``training/training_loop.py`` of
NVlabs/stylegan2-ada-pytorch (Karras et al. 2020, "Training Generative Adversarial
Networks with Limited Data") train it. One step, the official phases in their order:

- Gmain: G minimizes E[softplus(-D(G(z)))] (non-saturating logistic loss).
- Greg, every ``pl_interval`` steps (lazy regularization, Sec. 3.1 of Karras et al.
  2020): a separate G update on ``pl_weight`` E[(||J_w^T y||_2 - a)^2] * pl_interval over
  batch // ``pl_batch_shrink`` samples, y ~ N(0, I) / sqrt(H W), J_w the Jacobian of the
  images in the styles w (averaged over layers), a <- a + ``pl_decay`` (E||J_w^T y|| - a)
  (path-length regularization, Sec. 3.2).
- Dmain: D minimizes E[softplus(D(G(z)))] + E[softplus(-D(x))].
- Dreg, every ``r1_interval`` steps: a separate D update on reals with the R1 term only,
  gamma/2 E||grad_x D(x)||^2 * r1_interval (Mescheder et al. 2018).
- G EMA: beta = 0.5 ** (batch / max(n, 1e-8)), n = ``ema_kimg`` * 1000 images, ramped up
  as n = min(n, images seen * ``ema_rampup``); G_ema <- G + beta (G_ema - G), buffers
  (w_avg, noise constants) copied.

Adam with lazy regularization (Sec. 3.1 of Karras et al. 2020): the optimizer of a
network with an interval k takes lr c and betas beta ** c, c = k / (k + 1), so that main
and regularization updates together move like the unregularized optimizer.
Style mixing as ``run_G`` draws it (Karras et al. 2019, Sec. 3.1): with probability
``style_mixing`` the batch takes w1 = f(z1) for layers < a crossover drawn uniformly in
[1, num_ws) and w2 = f(z2) from it on. Every mapping of z1 moves ``w_avg`` (the
generator's ``update_w_avg``). Needs ``stylegan`` networks and one D step per G step.
"""

import keras
import tensorflow as tf
from keras import ops

from ganzoo import losses
from ganzoo.families.base import GAN, assign_on_every_replica, replica_rows, run_if
from ganzoo.registry import register_family


def mix_styles(w1, w2, crossover, num_ws):
    """[B, num_ws, w_dim] styles: w1 for layers < crossover (per row, or one for all), w2
    from there on."""
    layer = ops.arange(num_ws, dtype="int32")[None, :, None]
    crossover = ops.reshape(ops.cast(crossover, "int32"), (-1, 1, 1))
    return ops.where(layer < crossover, w1[:, None], w2[:, None])


def lazy_adam(optimizer, interval):
    """Scales an Adam optimizer for lazy regularization every ``interval`` steps:
    lr <- lr c, beta_i <- beta_i ** c, c = interval / (interval + 1)."""
    if not hasattr(optimizer, "beta_2"):
        raise ValueError(f"lazy regularization needs Adam, got {type(optimizer).__name__}.")
    if isinstance(optimizer._learning_rate, keras.optimizers.schedules.LearningRateSchedule):
        raise ValueError("lazy regularization scales a constant learning rate; "
                         "drop train.lr_decay_epochs for stylegan.")
    c = interval / (interval + 1)
    optimizer.learning_rate = float(optimizer.learning_rate.numpy()) * c
    optimizer.beta_1, optimizer.beta_2 = optimizer.beta_1 ** c, optimizer.beta_2 ** c


@register_family("stylegan")
class StyleGAN2(GAN):
    """StyleGAN2-ADA's training recipe (without ADA's augmentation).

    Args:
        generator: a ``stylegan`` generator (mapping, synthesis, update_w_avg).
        discriminator: a discriminator (``stylegan``'s in the zoo recipes).
        r1_gamma: float, default 10.0 (the official default), R1 weight gamma; 0 disables.
        r1_interval: int, default 16, D steps between R1 updates (D_reg_interval).
        style_mixing: float, default 0.9, probability that a batch is style-mixed.
        pl_weight: float, default 2.0, path-length weight; 0 disables it.
        pl_interval: int, default 4, G steps between path-length updates (G_reg_interval).
        pl_batch_shrink: int, default 2, the path-length batch is batch // pl_batch_shrink.
        pl_decay: float, default 0.01, decay of the path-length mean a.
        ema_kimg: float, default 10.0, half-life of G's EMA in thousands of images
            (the "auto" config: 10 * batch / 32); 0 disables the EMA generator.
        ema_rampup: float or None, default 0.05, the half-life is at most images seen x
            ema_rampup (None: no ramp-up).
        **kwargs: the ``GAN`` base arguments (``seed``, the stabilisers; ``ema_decay``
            stays 0 and ``d_steps`` 1).
    """

    default_preset = "stylegan_celeb_a_64"
    log_names = ("r1", "pl")

    def __init__(self, generator, discriminator, r1_gamma=10.0, r1_interval=16,
                 style_mixing=0.9, pl_weight=2.0, pl_interval=4, pl_batch_shrink=2,
                 pl_decay=0.01, ema_kimg=10.0, ema_rampup=0.05, **kwargs):
        if not hasattr(generator, "synthesis"):
            raise ValueError(f"stylegan needs generator.arch 'stylegan', got "
                             f"{type(generator).__name__}.")
        if kwargs.get("ema_decay"):
            raise ValueError("stylegan's G EMA is a half-life: give ema_kimg (and ema_rampup), "
                             "not ema_decay.")
        if kwargs.get("d_steps", 1) != 1:
            raise ValueError("stylegan takes one D step per G step (d_steps 1).")
        if min(r1_interval, pl_interval, pl_batch_shrink) < 1:
            raise ValueError("r1_interval, pl_interval and pl_batch_shrink must be >= 1.")
        super().__init__(generator, discriminator, **kwargs)
        self.r1_gamma, self.r1_interval, self.style_mixing = r1_gamma, r1_interval, style_mixing
        self.pl_weight, self.pl_interval = pl_weight, pl_interval
        self.pl_batch_shrink, self.pl_decay = pl_batch_shrink, pl_decay
        self.ema_kimg, self.ema_rampup = ema_kimg, ema_rampup
        self.ema_generator = self.copy_of_generator() if ema_kimg else None

        def state(name, dtype):
            return self.add_weight(name=name, shape=(), initializer="zeros", dtype=dtype,
                                   trainable=False, aggregation="only_first_replica")

        self.pl_mean = state("pl_mean", "float32")
        self.batches = state("batches", "int64")  # training steps done (batch_idx)
        self.images_seen = state("images_seen", "int64")  # cur_nimg

    def compile(self, g_optimizer, d_optimizer, **kwargs):
        """``GAN.compile`` after the Adam correction of each lazily regularized network."""
        if self.pl_weight:
            lazy_adam(g_optimizer, self.pl_interval)
        if self.r1_gamma:
            lazy_adam(d_optimizer, self.r1_interval)
        super().compile(g_optimizer, d_optimizer, **kwargs)

    # ---- the losses ------------------------------------------------------------------
    def styles(self, batch, labels=None):
        """Styles [B, num_ws, w_dim] for fresh latents, style-mixed; moves ``w_avg``."""
        g = self.generator
        labels = labels if g.num_classes else None
        ws = g.mapping(self.latents(batch), labels)
        g.update_w_avg(ws[:, 0])
        if not self.style_mixing:
            return ws
        crossover = keras.random.randint((), 1, g.num_ws, seed=self.seed_generator)
        mixed = keras.random.uniform((), seed=self.seed_generator) < self.style_mixing
        other = g.mapping(self.latents(batch), labels)
        return mix_styles(ws[:, 0], other[:, 0], ops.where(mixed, crossover, g.num_ws),
                          g.num_ws)

    def fake(self, batch, labels):
        return self.generator.synthesis(self.styles(batch, labels), noise_mode="random")

    def g_loss(self, real, labels):
        return losses.g_nonsaturating(self.discriminate(self.fake(ops.shape(real)[0], labels),
                                                        labels))

    def d_loss(self, real, labels):
        fake = tf.stop_gradient(self.fake(ops.shape(real)[0], labels))
        return losses.d_bce(self.discriminate(real, labels), self.discriminate(fake, labels))

    def r1_loss(self, real, labels):
        """gamma/2 E||grad_x D(x)||^2 (loss_Dr1)."""
        penalty = losses.r1_penalty(lambda x: self.discriminate(x, labels), real)
        self.log("r1", penalty)
        return 0.5 * self.r1_gamma * penalty

    def pl_loss(self, real, labels):
        """pl_weight E[(||J_w^T y|| - a)^2] on batch // pl_batch_shrink samples (loss_Gpl).
        a is updated first, from the lengths' mean over all replicas, and the penalty
        differentiates through that mean, as the official code does."""
        rows = ops.shape(real)[0] // self.pl_batch_shrink
        ws = self.styles(rows, None if labels is None else labels[:rows])
        with tf.GradientTape() as tape:
            tape.watch(ws)
            images = self.generator.synthesis(ws, noise_mode="random")
            noise = replica_rows(lambda n: keras.random.normal(
                (n, *images.shape[1:]), seed=self.seed_generator), rows)
            pixels = float(images.shape[1] * images.shape[2])
            total = tf.reduce_sum(tf.cast(images, "float32") * noise / pixels ** 0.5)
        grads = tf.cast(tape.gradient(total, ws), "float32")
        lengths = tf.sqrt(tf.reduce_mean(tf.reduce_sum(tf.square(grads), axis=2), axis=1))
        mean = tf.distribute.get_replica_context().all_reduce("mean", tf.reduce_mean(lengths))
        pl_mean = self.pl_mean + self.pl_decay * (mean - self.pl_mean)
        self.pl_mean.assign(tf.stop_gradient(pl_mean))
        penalty = tf.reduce_mean(tf.square(lengths - pl_mean))
        self.log("pl", penalty)
        return self.pl_weight * penalty

    # ---- the step --------------------------------------------------------------------
    def lazily(self, interval, network, optimizer, loss_fn, real, labels):
        """A separate update of ``network`` on loss_fn * interval on the last step of every
        ``interval`` steps (the Greg / Dreg phases, gain = interval; the official loop
        takes the first step of each interval: the same rate, one update per step at
        first, as every ganzoo family)."""
        run_if((self.batches + 1) % interval == 0, lambda: self._update(
            network, optimizer, lambda r, l: loss_fn(r, l) * float(interval), real, labels))

    def train_step(self, data):
        real, labels = self.unpack_checked(data)
        g_loss = self._update(self.generator, self.g_optimizer, self.generator_loss,
                              real, labels)
        if self.pl_weight:
            self.lazily(self.pl_interval, self.generator, self.g_optimizer, self.pl_loss,
                        real, labels)
        d_loss = self._update(self.discriminator, self.d_optimizer, self.d_loss, real, labels)
        if self.r1_gamma:
            self.lazily(self.r1_interval, self.discriminator, self.d_optimizer, self.r1_loss,
                        real, labels)
        self.after_d_update()
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        batch = ops.shape(real)[0] * replicas
        if self.ema_generator is not None:
            self._update_ema(batch)
        self.images_seen.assign_add(tf.cast(batch, "int64"))
        self.batches.assign_add(1)
        self.trackers["d_loss"].update_state(d_loss)
        self.trackers["g_loss"].update_state(g_loss)
        return {name: tracker.result() for name, tracker in self.trackers.items()}

    def ema_beta(self, batch):
        """0.5 ** (batch / max(n, 1e-8)), n = ema_kimg * 1000 images, at most images seen
        (before this step) x ema_rampup."""
        images = tf.constant(self.ema_kimg * 1000.0)
        if self.ema_rampup is not None:
            images = tf.minimum(images, tf.cast(self.images_seen, "float32") * self.ema_rampup)
        return 0.5 ** (tf.cast(batch, "float32") / tf.maximum(images, 1e-8))

    def _update_ema(self, batch):
        beta = self.ema_beta(batch)
        g, ema = self.generator, self.ema_generator
        assign_on_every_replica(ema.trainable_weights, g.trainable_weights,
                                lambda ema_weight, weight: weight + beta * (ema_weight - weight))
        assign_on_every_replica(ema.non_trainable_weights, g.non_trainable_weights,
                                lambda ema_weight, weight: weight)
