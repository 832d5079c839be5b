"""The family base that image restoration (srgan, inpaint) shares.

A restoration family trains on a one-domain image dataset: each step degrades the clean
batch on the fly (downsampling, or a hole and its mask) and the generator learns to undo
it. ``unpack`` gives the losses ``(clean, degraded)``; D judges clean images against
restored ones (not pairs), and G's loss is the family's ``restoration_loss`` plus
``adversarial_weight`` x the non-saturating GAN loss. Randomness of the degradation comes
from the family's seed generator (checkpointed), so it is deterministic under the run's
seed and resumes exactly. Previews show rows of degraded inputs, restorations and the
originals of fixed examples.
"""

import math

import keras
import numpy as np
import tensorflow as tf

from ganzoo import images, losses
from ganzoo.data import load_dataset
from ganzoo.families.image_to_image import ImageToImageGAN


def downsample(images, scale):
    """Bicubic, antialiased downsampling by ``scale`` (the low-resolution training input)."""
    height, width = images.shape[1] // scale, images.shape[2] // scale
    small = tf.image.resize(tf.cast(images, "float32"), (height, width), method="bicubic",
                            antialias=True)
    return tf.clip_by_value(small, -1.0, 1.0)


class RestorationGAN(ImageToImageGAN):
    """A GAN whose generator restores degraded images of its training dataset.

    Args:
        generator: the family's image generator (its input is what ``degrade`` makes).
        discriminator: an unpaired image discriminator (``dcgan``, ``patchgan``).
        adversarial_weight (float): weight of G's adversarial loss.
        generator_kind (type): the generator class the family needs (set by subclasses).
        **kwargs: ``GAN``'s arguments (d_steps, ema_decay, seed, stabilizers).
    """

    label_smoothing_applies = True
    generator_kind = None
    command = None  # the ganzoo command that applies the family to a folder of images

    def __init__(self, generator, discriminator, adversarial_weight=1e-3, **kwargs):
        family = type(self).registered_name
        if not isinstance(generator, self.generator_kind):
            raise ValueError(f"{family} needs its own generator (generator.arch: {family}); "
                             f"got '{type(generator).__name__}'.")
        if getattr(discriminator, "paired", False):
            raise ValueError(f"{family}'s discriminator judges images alone: set "
                             "discriminator.args.paired to false.")
        super().__init__(generator, discriminator, **kwargs)
        self.adversarial_weight = adversarial_weight

    def unpack(self, data):
        clean = data[0] if isinstance(data, (tuple, list)) else data
        if isinstance(clean, dict):
            raise ValueError(f"{type(self).registered_name} trains on a one-domain image "
                             "dataset (digits, folder:PATH, a tfds image dataset).")
        return clean, self.degrade(clean)

    def degrade(self, clean, seed=None):
        """The generator's input for ``clean`` images; random draws use ``seed`` (a
        ``keras.random.SeedGenerator``) or, by default, the family's seed generator."""
        raise NotImplementedError

    def restoration_loss(self, restored, clean, degraded):
        """G's loss term that pulls the restored images to the clean ones."""
        raise NotImplementedError

    def show_degraded(self, degraded):
        """The degraded input as images of the output's shape (for pictures)."""
        raise NotImplementedError

    def d_loss(self, clean, degraded):
        restored = self.generator(degraded, training=True)
        return losses.d_bce(self.discriminate(clean), self.discriminate(restored),
                            self.real_target)

    def g_loss(self, clean, degraded):
        restored = self.generator(degraded, training=True)
        adversarial = losses.g_nonsaturating(self.discriminate(restored))
        return (self.restoration_loss(restored, clean, degraded)
                + self.adversarial_weight * adversarial)

    def translators(self):
        """{"a2b": the sampling generator}: degraded -> restored."""
        return {"a2b": self.sampling_generator()}

    def preview_inputs(self, data_config, n, seed=0):
        """sqrt(n) fixed clean examples (drawn with ``seed`` + 1) and their degradation
        (its own seed generator: the training draws are untouched)."""
        columns = max(1, math.isqrt(n))
        element = next(iter(load_dataset(data_config, columns, seed=seed + 1)[0]))
        clean = element[0] if isinstance(element, (tuple, list)) else element
        degraded = self.degrade(clean, keras.random.SeedGenerator(seed + 1))
        return {"clean": np.asarray(clean), "degraded": keras.ops.convert_to_numpy(degraded)}

    def preview(self, inputs, path):
        """Rows: the degraded examples, their restorations, the originals."""
        restored = keras.ops.convert_to_numpy(self.sampling_generator()(inputs["degraded"]))
        rows = [self.show_degraded(inputs["degraded"]), restored, inputs["clean"]]
        return images.save_samples(np.concatenate(rows), path, len(inputs["clean"]))
