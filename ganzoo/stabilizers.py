"""Stabilisation options that any family takes in ``family_args``.

``Stabilizers`` is a mixin of the base family ``ganzoo.families.base.GAN``, so its
constructor arguments are every family's (and are validated by the config like the
family's own):

- ``diffaugment``: comma policy of "translation", "cutout", "color" (Zhao et al. 2020,
  "Differentiable Augmentation for Data-Efficient GAN Training"). The same random,
  differentiable augmentation is applied to every discriminator input, real and fake,
  in the D and the G steps. Image data only.
- ``instance_noise``: std of Gaussian noise added to every discriminator input (Sønderby
  et al. 2017, "Amortised MAP Inference for Image Super-resolution"; Arjovsky & Bottou
  2017), decayed linearly to 0 over ``instance_noise_anneal_steps`` G steps (0: constant).
- ``label_smoothing``: one-sided label smoothing (Salimans et al. 2016, "Improved
  Techniques for Training GANs"): D's BCE target on real data is ``1 - label_smoothing``.
  Only families with a BCE discriminator loss accept it.
- ``feature_matching``: weight of ||E f(x) - E f(G(z))||^2 on D's penultimate features,
  added to G's loss (Salimans et al. 2016, Sec. 3.1).
- ``unrolled_steps``, ``unrolled_lr``: G trains against D unrolled k SGD steps ahead,
  differentiating through them (Metz et al. 2017, "Unrolled Generative Adversarial
  Networks"). See ``Stabilizers.lookahead``.

Separate learning rates for G and D (the "two time-scale update rule", Heusel et al.
2017) are ``train.g_lr`` / ``train.d_lr``; minibatch discrimination is a discriminator
option (``minibatch_discrimination: true``, ``ganzoo.layers.minibatch``).
"""

import contextlib

import keras
import tensorflow as tf

from ganzoo import losses
from ganzoo.registry import check_choice


def _uniform(x, seed, low=0.0, high=1.0):
    """One uniform draw per sample, shaped to broadcast over an NHWC batch."""
    return keras.random.uniform((tf.shape(x)[0], 1, 1, 1), low, high, dtype=x.dtype, seed=seed)


def color(x, seed):
    """Random brightness (+U[-0.5, 0.5]), saturation (x U[0, 2]) and contrast (x U[0.5, 1.5])."""
    x = x + _uniform(x, seed, -0.5, 0.5)
    gray = tf.reduce_mean(x, axis=3, keepdims=True)
    x = (x - gray) * _uniform(x, seed, 0.0, 2.0) + gray
    mean = tf.reduce_mean(x, axis=[1, 2, 3], keepdims=True)
    return (x - mean) * _uniform(x, seed, 0.5, 1.5) + mean


def translation(x, seed, ratio=0.125):
    """Shifts each image by up to ``ratio`` of its size per axis, filling with zeros."""
    for axis in (1, 2):
        size = x.shape[axis]
        pad = int(size * ratio + 0.5)
        shift = keras.random.randint((tf.shape(x)[0], 1), -pad, pad + 1, seed=seed)
        index = tf.range(size)[None] + shift + pad
        paddings = [[0, 0]] * 4
        paddings[axis] = [pad, pad]
        x = tf.gather(tf.pad(x, paddings), index, axis=axis, batch_dims=1)
    return x


def cutout(x, seed, ratio=0.5):
    """Zeroes one square of ``ratio`` times the image size at a random centre per image."""
    inside = True
    for axis in (1, 2):
        size = x.shape[axis]
        cut = int(size * ratio + 0.5)
        start = keras.random.randint((tf.shape(x)[0], 1, 1, 1), 0, size + 1 - cut % 2,
                                     seed=seed) - cut // 2
        position = tf.reshape(tf.range(size), [size if a == axis else 1 for a in range(4)])
        inside = inside & (position >= start) & (position < start + cut)
    return x * tf.cast(~inside, x.dtype)


DIFFAUGMENT = {"color": color, "translation": translation, "cutout": cutout}


def parse_policy(policy):
    """("translation", "cutout") from "translation,cutout"; unknown names are errors."""
    names = tuple(name.strip() for name in policy.split(",") if name.strip())
    for name in names:
        check_choice("diffaugment", name, DIFFAUGMENT)
    return names


def diff_augment(x, policy, seed):
    """DiffAugment (Zhao et al. 2020) of an NHWC batch in [-1, 1]: differentiable in x."""
    if x.shape.rank != 4:
        raise ValueError(f"diffaugment needs image data (NHWC); got inputs of shape {x.shape}.")
    for name in parse_policy(policy) if isinstance(policy, str) else policy:
        x = DIFFAUGMENT[name](x, seed)
    return x


class Stabilizers:
    """Mixin of ``GAN`` (see the module docstring); uses its networks, ``g_optimizer``,
    ``seed_generator``, ``fake_like``, ``d_loss`` and ``g_loss``."""

    label_smoothing_applies = False  # a family whose D loss is BCE sets True, uses real_target

    def __init__(self, diffaugment="", instance_noise=0.0, instance_noise_anneal_steps=0,
                 label_smoothing=0.0, feature_matching=0.0, unrolled_steps=0,
                 unrolled_lr=0.01, **kwargs):
        super().__init__(**kwargs)
        if not 0.0 <= label_smoothing < 1.0:
            raise ValueError(f"label_smoothing must be in [0, 1), got {label_smoothing}.")
        if label_smoothing and not self.label_smoothing_applies:
            raise ValueError(f"label_smoothing needs a BCE discriminator loss; "
                             f"{type(self).__name__} does not use one.")
        for name, value in (("instance_noise", instance_noise), ("feature_matching",
                            feature_matching), ("unrolled_steps", unrolled_steps),
                            ("instance_noise_anneal_steps", instance_noise_anneal_steps),
                            ("unrolled_lr", unrolled_lr)):
            if value < 0:
                raise ValueError(f"{name} must be >= 0, got {value}.")
        self.diffaugment = parse_policy(diffaugment)
        self.instance_noise = instance_noise
        self.instance_noise_anneal_steps = instance_noise_anneal_steps
        self.real_target = 1.0 - label_smoothing
        self.feature_matching = feature_matching
        self.unrolled_steps, self.unrolled_lr = unrolled_steps, unrolled_lr
        self._lookahead = None

    def d_inputs(self, x, labels=None, training=True):
        """What D sees: x augmented and noised when training, plus labels if D is conditional."""
        if training and self.diffaugment:
            x = diff_augment(x, self.diffaugment, self.seed_generator)
        if training and self.instance_noise:
            x = x + self.instance_noise_std() * keras.random.normal(
                tf.shape(x), dtype=x.dtype, seed=self.seed_generator)
        return [x, labels] if self.discriminator.num_classes else x

    def instance_noise_std(self):
        """``instance_noise``, decayed linearly to 0 over ``instance_noise_anneal_steps``."""
        if not self.instance_noise_anneal_steps:
            return self.instance_noise
        done = tf.cast(self.g_optimizer.iterations, "float32") / self.instance_noise_anneal_steps
        return self.instance_noise * tf.maximum(0.0, 1.0 - done)

    def generator_loss(self, real, labels):
        """The family's G loss plus the weighted feature-matching term, against the
        unrolled D when ``unrolled_steps`` > 0."""
        with self.lookahead(real, labels):
            loss = self.g_loss(real, labels)
            if self.feature_matching:
                loss = loss + self.feature_matching * self.feature_matching_loss(real, labels)
        return loss

    def feature_matching_loss(self, real, labels):
        """||E f(x) - E f(G(z))||^2 over D's penultimate features f (Salimans et al. 2016)."""
        fake_labels = self.random_labels_like(labels) if self.generator.num_classes else None
        fake = self.fake_like(real, fake_labels)

        def features(x, x_labels):
            return self.call_discriminator(self.discriminator.features,
                                           self.d_inputs(x, x_labels))

        return losses.feature_matching(features(real, labels), features(fake, fake_labels))

    def call_discriminator(self, fn, inputs, training=True):
        """``fn(inputs)`` (D's ``__call__`` or ``features``), through the look-ahead
        weights while ``lookahead`` is active: the variables themselves are never changed."""
        if self._lookahead is None:
            return fn(inputs, training=training)
        with keras.StatelessScope(zip(self.discriminator.trainable_variables, self._lookahead)):
            return fn(inputs, training=training)

    @contextlib.contextmanager
    def lookahead(self, real, labels):
        """Within it, D is seen ``unrolled_steps`` differentiable SGD steps ahead.

        Unrolled GAN (Metz et al. 2017, Eq. 5-7): G minimizes its loss against
        theta_D^K, with theta_D^{k+1} = theta_D^k - unrolled_lr * grad d_loss(theta_D^k),
        and G's gradient flows through the K steps (the paper's second term, which makes
        G account for how D would react; no first-order shortcut). The steps use fresh
        fakes and ``real``; they are tensors, not assignments, so D's weights, statistics
        and optimizer state are untouched. Not replayed in the look-ahead: ``after_d_update``
        (WGAN's clipping), loss scaling (mixed precision) and the cross-replica sum.
        """
        if not self.unrolled_steps:
            yield
            return
        weights = [tf.identity(w.value) for w in self.discriminator.trainable_variables]
        for _ in range(self.unrolled_steps):
            with tf.GradientTape() as tape:
                tape.watch(weights)
                self._lookahead = weights
                loss = self.d_loss(real, labels)
            grads = tape.gradient(loss, weights, unconnected_gradients="zero")
            weights = [w - self.unrolled_lr * tf.convert_to_tensor(g)
                       for w, g in zip(weights, grads)]
        self._lookahead = weights
        try:
            yield
        finally:
            self._lookahead = None
