"""Plain-Keras training steps of ganzoo's own StyleGAN2 and ProGAN networks: what a user
writes with ``keras.Model.train_step`` and ``tf.GradientTape`` around the same network
objects, with no ganzoo family. ``tools/bench_train.py`` times them beside the families.

StyleGAN2 (Karras et al. 2020; the phases of NVlabs/stylegan2-ada-pytorch's
``training/loss.py``): G on E[softplus(-D(G(z)))] with style mixing and the w_avg update,
D on E[softplus(D(G(z)))] + E[softplus(-D(x))], every ``r1_interval`` steps a separate D
update on gamma/2 E||grad_x D(x)||^2 * interval (a ``tf.cond``: one replica only), then
the G EMA at a fixed decay. ProGAN (Karras et al. 2018): WGAN-GP (lambda 10) plus drift
0.001 E[D(x)^2], one D step, G on -E[D(G(z))], EMA.
"""

import keras
import tensorflow as tf
from keras import ops


class PlainStep(keras.Model):
    """G, D, an EMA copy of G and two optimizers; subclasses write ``train_step``."""

    def __init__(self, generator, discriminator, ema_generator, ema_decay=0.999):
        super().__init__()
        self.generator, self.discriminator = generator, discriminator
        self.ema_generator, self.ema_decay = ema_generator, ema_decay
        self.seed_generator = keras.random.SeedGenerator(1337)
        self.d_loss_metric = keras.metrics.Mean(name="d_loss")
        self.g_loss_metric = keras.metrics.Mean(name="g_loss")
        self.built = True

    def compile(self, d_optimizer, g_optimizer):
        super().compile()
        self.d_optimizer, self.g_optimizer = d_optimizer, g_optimizer
        d_optimizer.build(self.discriminator.trainable_variables)
        g_optimizer.build(self.generator.trainable_variables)

    @property
    def metrics(self):
        return [self.d_loss_metric, self.g_loss_metric]

    def z(self, batch):
        return keras.random.normal((batch, self.generator.latent_dim), seed=self.seed_generator)

    def update(self, network, optimizer, loss_fn):
        with tf.GradientTape() as tape:
            loss = loss_fn()
            scaled = optimizer.scale_loss(loss)
        grads = tape.gradient(scaled, network.trainable_weights)
        optimizer.apply_gradients(zip(grads, network.trainable_weights))
        return loss

    def finish(self, d_loss, g_loss):
        for ema, weight in zip(self.ema_generator.weights, self.generator.weights):
            ema.assign(self.ema_decay * ema + (1.0 - self.ema_decay) * weight)
        self.d_loss_metric.update_state(d_loss)
        self.g_loss_metric.update_state(g_loss)
        return {"d_loss": self.d_loss_metric.result(), "g_loss": self.g_loss_metric.result()}


class PlainStyleGAN2(PlainStep):
    def __init__(self, *networks, r1_gamma, r1_interval, style_mixing):
        super().__init__(*networks)
        self.r1_gamma, self.r1_interval, self.style_mixing = r1_gamma, r1_interval, style_mixing
        self.step = keras.Variable(0, dtype="int64", trainable=False)

    def fake(self, batch):
        g = self.generator
        ws = g.mapping(self.z(batch))
        g.update_w_avg(ws[:, 0])
        cutoff = keras.random.randint((), 1, g.num_ws, seed=self.seed_generator)
        mix = keras.random.uniform((), seed=self.seed_generator) < self.style_mixing
        cutoff = ops.where(mix, cutoff, g.num_ws)
        layer = ops.arange(g.num_ws)[None, :, None]
        ws = ops.where(layer < cutoff, ws, g.mapping(self.z(batch)))
        return g.synthesis(ws, noise_mode="random")

    def r1(self, real):
        real = tf.identity(real)  # this branch's own tensor, for the tape to watch
        with tf.GradientTape() as tape:
            tape.watch(real)
            total = tf.reduce_sum(self.discriminator(real, training=True))
        grads = tape.gradient(total, real)
        penalty = tf.reduce_mean(tf.reduce_sum(tf.square(grads), axis=[1, 2, 3]))
        return 0.5 * self.r1_gamma * penalty * float(self.r1_interval)

    def train_step(self, real):
        real = real[0] if isinstance(real, tuple) else real
        batch = ops.shape(real)[0]
        g_loss = self.update(self.generator, self.g_optimizer, lambda: ops.mean(
            ops.softplus(-self.discriminator(self.fake(batch), training=True))))
        d_loss = self.update(self.discriminator, self.d_optimizer, lambda: ops.mean(
            ops.softplus(self.discriminator(tf.stop_gradient(self.fake(batch)), training=True)))
            + ops.mean(ops.softplus(-self.discriminator(real, training=True))))
        tf.cond((self.step + 1) % self.r1_interval == 0, lambda: self.update(
            self.discriminator, self.d_optimizer, lambda: self.r1(real)), lambda: 0.0)
        self.step.assign_add(1)
        return self.finish(d_loss, g_loss)


class PlainProGAN(PlainStep):
    def train_step(self, real):
        real = real[0] if isinstance(real, tuple) else real
        batch = ops.shape(real)[0]
        d, g = self.discriminator, self.generator

        def d_loss():
            fake = g(self.z(batch), training=True)
            real_scores = d(real, training=True)
            eps = keras.random.uniform((batch, 1, 1, 1), seed=self.seed_generator)
            x_hat = real + eps * (fake - real)
            with tf.GradientTape() as tape:
                tape.watch(x_hat)
                total = tf.reduce_sum(d(x_hat, training=True))
            grads = tape.gradient(total, x_hat)
            norm = tf.sqrt(tf.reduce_sum(tf.square(grads), axis=[1, 2, 3]) + 1e-12)
            return (ops.mean(d(fake, training=True)) - ops.mean(real_scores)
                    + 10.0 * ops.mean(ops.square(norm - 1.0))
                    + 0.001 * ops.mean(ops.square(real_scores)))

        d_loss = self.update(d, self.d_optimizer, d_loss)
        g_loss = self.update(g, self.g_optimizer,
                             lambda: -ops.mean(d(g(self.z(batch), training=True), training=True)))
        return self.finish(d_loss, g_loss)


def build_plain(family, config, build_networks, info):
    """The plain-Keras model of ``family`` on fresh networks of ``config``, compiled with the
    same Adam settings as ganzoo's (the StyleGAN2 D optimizer lazily corrected as the
    official code does)."""
    generator, discriminator = build_networks(config, info)
    ema, _ = build_networks(config, info)
    t, args = config.train, config.family_args
    d_c = 1.0
    if family == "stylegan":
        model = PlainStyleGAN2(generator, discriminator, ema, r1_gamma=args["r1_gamma"],
                               r1_interval=args["r1_interval"],
                               style_mixing=args["style_mixing"])
        d_c = args["r1_interval"] / (args["r1_interval"] + 1)
    else:
        model = PlainProGAN(generator, discriminator, ema)

    def adam(lr, c=1.0):
        opt = keras.optimizers.Adam(lr * c, beta_1=t.beta_1 ** c, beta_2=t.beta_2 ** c)
        mixed16 = keras.mixed_precision.global_policy().name == "mixed_float16"
        return keras.optimizers.LossScaleOptimizer(opt) if mixed16 else opt

    model.compile(d_optimizer=adam(t.d_lr, d_c), g_optimizer=adam(t.g_lr))
    return model
