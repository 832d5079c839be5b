"""What every GAN family shares, so that a family file holds only its algorithm.

``GAN`` is a ``keras.Model`` whose ``train_step`` runs ``d_steps`` discriminator
updates (each on its own slice of the real batch) and one generator update, then the
generator EMA. A family implements ``d_loss(real, labels)`` and ``g_loss(real, labels)``
with the math of its paper; this class does the tapes, loss scaling for mixed
precision, replica-correct reduction, EMA and loss tracking.

Convention, everywhere in ganzoo: the discriminator's output is high (D(x) -> 1, or a
large logit) for REAL data and low for generated data. (Some texts label real as 0 for
D; ganzoo never does.)

The family contract: what every consumer (the trainer, the CLI, export, metrics) asks a
family instead of branching on which family it is. A family class declares
    default_preset      the zoo recipe ``ganzoo train <family>`` trains
    input_kind          what its generator maps: "noise" (latents, plus labels when
                        conditional) or "image" (image-to-image families)
    generator_defaults, discriminator_defaults
                        network arguments its recipes need not repeat
    semi_supervised     whether it trains on partly labeled data (data.labeled_per_class)
and may override
    d_loss / g_loss     its objective (required)
    unpack              (real, labels) from a dataset element, refusing data it cannot
                        train on (two-domain, captioned ...) in one line
    penalty             a regulariser added to the discriminator loss (gradient penalty ...)
    after_d_update      a hook after each discriminator update (weight clipping ...)
    preview_inputs / preview
                        what a run's previews show (sample grid, 2-D scatter with the
                        real points, translation grid)

Replicas: losses are per-replica means over the per-replica batch. Keras sums
gradients across replicas, so each loss is divided by ``num_replicas_in_sync`` before
differentiation; a global batch gives the same gradients on 1 or N replicas.
"""

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from ganzoo import images
from ganzoo.data import load_dataset
from ganzoo.stabilizers import Stabilizers


def assign_on_every_replica(targets, sources, fn):
    """targets[i] <- fn(targets[i], sources[i]) on every replica's copy.

    Mirrored variables cannot be assigned from a replica context, so this goes through
    ``merge_call`` + ``extended.update``, as Keras' own optimizers do.
    """
    pairs = [(t.value, s.value) for t, s in zip(targets, sources)]

    def update(strategy):
        for target, source in pairs:
            strategy.extended.update(target, lambda t, s: t.assign(fn(t, s)), args=(source,))

    tf.distribute.get_replica_context().merge_call(update)


def run_if(condition, fn):
    """Runs ``fn()`` on every replica only where the scalar bool tensor ``condition`` (the
    same on every replica) holds; ``fn`` may synchronize replicas (all-reduce, optimizer
    updates). A lazy regularization step is such an ``fn``.

    A ``tf.cond`` in the replica context cannot hold a synchronization point, so the cond
    runs in the cross-replica context and enters every replica from there, as Keras'
    ``LossScaleOptimizer`` does for its finite-gradients branch.
    """
    def cross_replica(strategy, condition):
        def on():
            strategy.extended.call_for_each_replica(fn)
            return tf.constant(True)

        tf.cond(strategy.experimental_local_results(condition)[0], on,
                lambda: tf.constant(False))

    tf.distribute.get_replica_context().merge_call(cross_replica, args=(condition,))


def replica_rows(draw, rows):
    """``draw(n)`` (n random rows) for this replica's ``rows`` rows of the global batch.

    Replicas share the seed generator's state, so a plain draw gives every replica the
    same noise. Each draws the global batch instead and keeps its own slice: replicas
    get different noise, and 1 or N replicas use the same numbers.
    """
    context = tf.distribute.get_replica_context()
    replicas = context.num_replicas_in_sync if context else 1
    if replicas == 1:
        return draw(rows)
    first = context.replica_id_in_sync_group * rows
    return draw(rows * replicas)[first:first + rows]


class GAN(Stabilizers, keras.Model):
    """Base family: generator + discriminator + two optimizers.

    Args:
        generator: a ``ganzoo.networks.base.Generator``.
        discriminator: a ``ganzoo.networks.base.Discriminator``.
        d_steps: discriminator updates per generator update (k in Goodfellow et al.'s
            Algorithm 1).
        ema_decay: decay of the generator's exponential moving average; 0 disables it.
        seed: seed of the latent-noise ``keras.random.SeedGenerator``.
        diffaugment, instance_noise, instance_noise_anneal_steps, label_smoothing,
        feature_matching, unrolled_steps, unrolled_lr: stabilisation options of the
            ``Stabilizers`` mixin (``ganzoo/stabilizers.py``).
    """

    base_args = ("seed",)
    default_preset = None
    input_kind = "noise"
    generator_defaults = {}
    discriminator_defaults = {}
    semi_supervised = False
    conditional = False
    aux_classifier = False
    log_names = ()

    def __init__(self, generator, discriminator, d_steps=1, ema_decay=0.0, seed=0, **kwargs):
        super().__init__(**kwargs)
        if d_steps < 1:
            raise ValueError(f"d_steps must be >= 1, got {d_steps}.")
        if self.conditional and not generator.num_classes:
            raise ValueError(
                f"{type(self).__name__} is conditional: it needs a labeled dataset "
                "(digits, a folder with class subfolders, or a tfds dataset with labels)."
            )
        self.generator = generator
        self.discriminator = discriminator
        self.d_steps = d_steps
        self.ema_decay = ema_decay
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.ema_generator = self.copy_of_generator() if ema_decay else None
        self.trackers = {
            name: keras.metrics.Mean(name=name)
            for name in ("d_loss", "g_loss", *self.log_names)
        }
        self.built = True

    def copy_of_generator(self):
        """A new generator with the generator's config and weights (the EMA generator)."""
        copy = type(self.generator).from_config(self.generator.get_config())
        copy.build_for_data()
        for copy_weight, weight in zip(copy.weights, self.generator.weights):
            copy_weight.assign(weight)
        return copy

    @property
    def latent_dim(self):
        return self.generator.latent_dim

    @property
    def metrics(self):
        return list(self.trackers.values())

    def compile(self, g_optimizer, d_optimizer, **kwargs):
        """Sets both optimizers and builds them now, inside the current strategy scope.

        Building here is what lets ``fit`` run under MirroredStrategy (unbuilt, the
        second optimizer fails with "You must feed a value for placeholder tensor") and
        lets a checkpoint restore both optimizers' slots (else silently skipped). Under a
        ``mixed_float16`` policy both are wrapped in ``LossScaleOptimizer``.
        """
        super().compile(**kwargs)
        if keras.mixed_precision.global_policy().name == "mixed_float16":
            g_optimizer = keras.optimizers.LossScaleOptimizer(g_optimizer)
            d_optimizer = keras.optimizers.LossScaleOptimizer(d_optimizer)
        self.g_optimizer = g_optimizer
        self.d_optimizer = d_optimizer
        g_optimizer.build(self.variables_of(self.generator))
        d_optimizer.build(self.variables_of(self.discriminator))

    # ---- what a family uses in its losses -------------------------------------------
    def latents(self, batch_size):
        return replica_rows(lambda n: keras.random.normal(
            (n, self.latent_dim), seed=self.seed_generator), batch_size)

    def random_labels_like(self, labels):
        """Uniform class labels, as many as ``labels`` holds."""
        return replica_rows(lambda n: keras.random.randint(
            (n,), 0, self.generator.num_classes, seed=self.seed_generator, dtype="int32"),
            ops.shape(labels)[0])

    def interpolation_weights(self, real):
        """U(0, 1) weights [B, 1, ..., 1] for interpolating ``real`` rows with fakes (the
        gradient penalty's x_hat), different on every replica."""
        tail = (1,) * (len(real.shape) - 1)
        return replica_rows(lambda n: keras.random.uniform(
            (n, *tail), seed=self.seed_generator), ops.shape(real)[0])

    def fake_like(self, real, labels=None, training=True):
        """G(z) for as many fresh latents as ``real`` has rows; G([z, labels]) if conditional."""
        z = self.latents(ops.shape(real)[0])
        inputs = [z, labels] if self.generator.num_classes else z
        return self.generator(inputs, training=training)

    def discriminate(self, x, labels=None, training=True):
        """D(x), or D([x, labels]) for a conditional discriminator."""
        return self.call_discriminator(self.discriminator, self.d_inputs(x, labels, training),
                                       training)

    def log(self, name, value):
        """Tracks an extra scalar named in ``log_names`` (shown in the progress bar)."""
        self.trackers[name].update_state(value)

    def d_loss(self, real, labels):
        raise NotImplementedError

    def penalty(self, real, fake, labels, real_scores):
        """A regulariser a family adds to its discriminator loss (``real_scores`` = D(real)
        for penalties on the critic's values); none by default."""
        return 0.0

    def g_loss(self, real, labels):
        raise NotImplementedError

    def after_d_update(self):
        """Hook run after each discriminator update (WGAN clips weights here)."""

    # ---- the shared training step ----------------------------------------------------
    def unpack(self, data):
        """(real, labels) from a dataset element: ``(x, labels)`` or ``x`` (labels None).
        Image-to-image families read their two-domain elements here."""
        return data if isinstance(data, (tuple, list)) else (data, None)

    def variables_of(self, network):
        """What an update of ``network`` (the generator or the discriminator) trains;
        CycleGAN adds its second generator / discriminator."""
        return network.trainable_variables

    def unpack_checked(self, data):
        """``unpack``, refusing unlabeled data for a conditional family."""
        real, labels = self.unpack(data)
        if self.conditional and labels is None:
            raise ValueError(f"{type(self).registered_name} is conditional and needs a labeled "
                             "dataset; this one gives images only.")
        return real, labels

    def check_data(self, element_spec):
        """Raises the family's one-line ValueError when a dataset's elements (its
        ``element_spec``) are not what the family trains on. ``unpack_checked`` is traced
        on that structure, not run, so a run refuses wrong data before it writes a file,
        and each family states what it reads once, in ``unpack``."""
        tf.function(self.unpack_checked, autograph=False).get_concrete_function(element_spec)

    def train_step(self, data):
        real, labels = self.unpack_checked(data)
        reals = ops.split(real, self.d_steps) if self.d_steps > 1 else [real]
        label_chunks = [None] * self.d_steps
        if labels is not None and self.d_steps > 1:
            label_chunks = ops.split(labels, self.d_steps)
        elif labels is not None:
            label_chunks = [labels]
        for chunk, chunk_labels in zip(reals, label_chunks):
            d_loss = self._update(self.discriminator, self.d_optimizer, self.d_loss,
                                  chunk, chunk_labels)
            self.after_d_update()
        g_loss = self._update(self.generator, self.g_optimizer, self.generator_loss,
                              reals[-1], label_chunks[-1])
        if self.ema_generator is not None:
            self._update_ema()
        self.trackers["d_loss"].update_state(d_loss)
        self.trackers["g_loss"].update_state(g_loss)
        return {name: tracker.result() for name, tracker in self.trackers.items()}

    def _update(self, network, optimizer, loss_fn, real, labels):
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        with tf.GradientTape() as tape:
            loss = loss_fn(real, labels)
            scaled = optimizer.scale_loss(loss / replicas)
        grads = tape.gradient(scaled, self.variables_of(network))
        # Embedding gradients are IndexedSlices whose shapes differ between replicas,
        # which the cross-replica all-reduce cannot sum: make them dense.
        grads = [tf.convert_to_tensor(g) if isinstance(g, tf.IndexedSlices) else g for g in grads]
        optimizer.apply(grads, self.variables_of(network))
        return loss

    def _update_ema(self):
        decay = self.ema_decay
        assign_on_every_replica(
            self.ema_generator.weights, self.generator.weights,
            lambda ema_weight, weight: decay * ema_weight + (1.0 - decay) * weight)

    def saved_networks(self):
        """{role: network or None} that presets store (``<role>.weights.h5``); a family
        with more networks (CycleGAN's second pair) adds them."""
        return {"generator": self.generator, "ema_generator": self.ema_generator,
                "discriminator": self.discriminator}

    def sampling_generator(self):
        """The generator to sample from: the EMA one when there is one."""
        return self.ema_generator or self.generator

    def call(self, inputs, training=False):
        return self.sampling_generator()(inputs, training=training)

    # ---- what consumers ask the family ----------------------------------------------
    def sample(self, n, seed=0):
        """``n`` samples (numpy) of the sampling generator on ``sample_inputs(n, seed)``."""
        inputs = self.generator.sample_inputs(n, seed)
        return keras.ops.convert_to_numpy(self.sampling_generator()(inputs, training=False))

    def preview_inputs(self, data_config, n, seed=0):
        """What every preview of a run shows the generator, fixed once per run: the
        latents (and labels, a column per class) of ``seed``; for 2-D data also 512 real
        points, drawn under the samples."""
        reference = None
        if len(self.generator.data_shape) == 1:
            points = next(iter(load_dataset(data_config, 512, seed=1)[0]))
            reference = np.asarray(points[0] if isinstance(points, tuple) else points)
        return {"n": n, "seed": seed, "reference": reference}

    def preview(self, inputs, path):
        """Writes one preview PNG at ``path`` (a sample grid, or a scatter for 2-D data)."""
        return images.save_samples(self.sample(inputs["n"], inputs["seed"]), path,
                                   self.generator.num_classes or None, inputs["reference"])
