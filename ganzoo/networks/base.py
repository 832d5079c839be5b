"""What every generator and discriminator shares: config round trip and input unpacking.

A generator is called as ``G(z)`` or, when ``num_classes > 0``, ``G([z, labels])``.
A discriminator is called as ``D(x)`` or ``D([x, labels])`` and returns realness
logits [B, 1]; with ``aux_classes > 0`` (ACGAN) it returns ``[logits, class_logits]``.
"""

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from ganzoo.layers import maybe_spectral_norm
from ganzoo.layers.minibatch import MinibatchDiscrimination


def check_labels(labels, num_classes, name):
    """Refuses non-integer or out-of-range class ids in an eager call (a traced or served
    graph gets no assertion ops)."""
    if not tf.executing_eagerly() or not hasattr(labels, "numpy") and not isinstance(
            labels, (list, tuple, np.ndarray)):
        return
    values = np.asarray(labels.numpy() if hasattr(labels, "numpy") else labels)
    if values.size and (not np.issubdtype(values.dtype, np.integer)
                        or values.min() < 0 or values.max() >= num_classes):
        raise ValueError(f"{name} takes integer class labels in [0, {num_classes}); got "
                         f"{values.ravel()[:8].tolist()}.")


class Network(keras.Model):
    """A keras.Model whose constructor arguments are its config.

    ``data_args`` are filled in by the builder from the dataset and the top-level
    config (latent size, image shape, classes), never from a recipe's ``args``.
    """

    data_args = ()

    def __init__(self, name=None, dtype=None, **kwargs):
        super().__init__(name=name, dtype=dtype)
        self._config_args = kwargs

    def get_config(self):
        return {**super().get_config(), **self._config_args}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config.pop("trainable", None)
        return cls(**config)

    def split_inputs(self, inputs):
        """(main input, labels or None) from ``x`` or ``[x, labels]``; eager labels are
        checked (class ids in [0, num_classes))."""
        if isinstance(inputs, (list, tuple)):
            if len(inputs) != 2:
                raise ValueError(f"{self.name} expects x or [x, labels], got {len(inputs)} inputs.")
            if not self.num_classes:
                raise ValueError(f"{self.name} is unconditional: call it with x alone, "
                                 "without labels.")
            check_labels(inputs[1], self.num_classes, self.name)
            return inputs[0], inputs[1]
        if self.num_classes:
            raise ValueError(
                f"{self.name} is conditional on {self.num_classes} classes: call it with "
                "[inputs, labels]."
            )
        return inputs, None

    def concat_labels(self, x, labels, embedding):
        """Appends a label embedding to x on the last axis (identity when unconditional)."""
        x = ops.cast(x, self.compute_dtype)
        if labels is None:
            return x
        return ops.concatenate([x, ops.cast(embedding(labels), self.compute_dtype)], axis=-1)


class Generator(Network):
    data_args = ("latent_dim", "data_shape", "num_classes")

    def sample_inputs(self, n, seed=0, labels="cycle"):
        """Inputs for ``n`` samples: standard-normal latents [n, latent_dim] (numpy) drawn
        from ``seed`` (an int or a ``np.random.Generator``) and, for a conditional
        generator, ``[latents, labels]``. ``labels``: "cycle" (row i gets class i mod
        classes: a grid column per class), "uniform" (drawn after the latents), or one
        class id / one per row. Row 0 of seed s is the latent ganzoo calls "seed s"."""
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        z = rng.standard_normal((n, self.latent_dim)).astype(np.float32)
        if not self.num_classes:
            return z
        if isinstance(labels, str):
            labels = {"cycle": lambda: np.arange(n) % self.num_classes,
                      "uniform": lambda: rng.integers(0, self.num_classes, n)}[labels]()
        return [z, np.broadcast_to(np.asarray(labels, np.int32), (n,)).copy()]

    def serving_inputs(self, batch_size=None):
        """{name: (shape, dtype)} of what a served generator takes (export signatures):
        ``noise``, ``labels`` when conditional, ``truncation_psi`` (a scalar) when the
        generator tracks a mean latent (``supports_truncation``)."""
        inputs = {"noise": ((batch_size, self.latent_dim), "float32")}
        if self.num_classes:
            inputs["labels"] = ((batch_size,), "int32")
        if getattr(self, "supports_truncation", False):
            inputs["truncation_psi"] = ((), "float32")
        return inputs

    def build_for_data(self):
        """Creates the variables by one call on zeros."""
        z = ops.zeros((1, self.latent_dim))
        self([z, ops.zeros((1,), "int32")] if self.num_classes else z)
        return self


class Discriminator(Network):
    data_args = ("data_shape", "num_classes", "aux_classes")

    def build_heads(self, spectral_norm, minibatch_discrimination=False):
        """A float32 realness logit and, for ACGAN, float32 class logits; with
        ``minibatch_discrimination``, a ``MinibatchDiscrimination`` layer before them."""
        self.minibatch = MinibatchDiscrimination() if minibatch_discrimination else None
        self.realness = maybe_spectral_norm(keras.layers.Dense(1, dtype="float32"), spectral_norm)
        self.classifier = None
        if self.aux_classes:
            self.classifier = maybe_spectral_norm(
                keras.layers.Dense(self.aux_classes, dtype="float32"), spectral_norm
            )

    def call(self, inputs, training=False):
        return self.heads(self.features(inputs, training=training))

    def features(self, inputs, training=False):
        """Penultimate features [B, F], before minibatch discrimination and the heads
        (what feature matching compares)."""
        raise NotImplementedError(f"{type(self).__name__} does not implement features().")

    def heads(self, features):
        if self.minibatch is not None:
            features = self.minibatch(features)
        if self.classifier is None:
            return self.realness(features)
        return [self.realness(features), self.classifier(features)]

    def build_for_data(self):
        x = ops.zeros((1, *self.data_shape))
        self([x, ops.zeros((1,), "int32")] if self.num_classes else x)
        return self


class ImageGenerator(Generator):
    """An image-to-image generator (CycleGAN, pix2pix): called as ``G(images)`` on
    [B, H, W, C] images in [-1, 1] and returning images of the same shape.

    ``latent_dim`` is accepted and ignored (the builder passes it to every generator);
    class labels are not supported.
    """

    def __init__(self, latent_dim=None, num_classes=0, **kwargs):
        if num_classes:
            raise ValueError(f"{type(self).__name__} translates images; it takes no class labels.")
        super().__init__(**kwargs)
        self.num_classes = 0

    def input_shape_of_data(self):
        """[H, W, C] of the images it takes (C may differ from its output's)."""
        return (*self.data_shape[:2], getattr(self, "input_channels", self.data_shape[-1]))

    def build_for_data(self):
        self(ops.zeros((1, *self.input_shape_of_data())))
        return self

    def serving_inputs(self, batch_size=None):
        return {"images": ((batch_size, *self.input_shape_of_data()), "float32")}

    def sample_inputs(self, n, seed=0, labels="cycle"):
        raise ValueError(f"{self.name} translates images (cyclegan, pix2pix): it has no "
                         "latents to sample from; give it images (ganzoo translate).")
