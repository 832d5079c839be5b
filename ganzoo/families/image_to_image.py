"""The family base that image-to-image translation (cyclegan, pix2pix) shares.

Their generators take images, not noise (``ganzoo.networks.base.ImageGenerator``), and
their data elements are ``{"a": x_a, "b": x_b}`` (``ganzoo.data.paired``). A run's
previews show fixed examples over their translations.
"""

import math

import keras
import numpy as np

from ganzoo import images
from ganzoo.data import load_dataset
from ganzoo.families.base import GAN
from ganzoo.networks.base import ImageGenerator
from ganzoo.registry import NETWORKS, check_choice

DIRECTIONS = ("a2b", "b2a")


def image_archs():
    """The registered generator architectures that translate images."""
    return [name[:-len("_generator")] for name in NETWORKS.names()
            if issubclass(NETWORKS.get(name), ImageGenerator)]


def l1(x, y):
    """Mean absolute difference, in float32."""
    x, y = keras.ops.cast(x, "float32"), keras.ops.cast(y, "float32")
    return keras.ops.mean(keras.ops.abs(x - y))


class ImageToImageGAN(GAN):
    """A family whose generator translates domain A to domain B (a GAN otherwise).

    ``unpack`` gives the losses ``(x_a, x_b)`` as ``(real, labels)``; subclasses name the
    generator of each direction in ``translators``. ``feature_matching`` is refused: it
    compares discriminator features of G(z).
    """

    input_kind = "image"

    def __init__(self, generator, discriminator, **kwargs):
        family = type(self).registered_name
        if not isinstance(generator, ImageGenerator):
            raise ValueError(f"{family} needs an image-to-image generator (generator.arch: "
                             f"{' or '.join(image_archs())}); got '{generator.name}' "
                             f"({type(generator).__name__}).")
        super().__init__(generator, discriminator, **kwargs)
        if self.feature_matching:
            raise ValueError(f"{family} does not support feature_matching.")

    def unpack(self, data):
        if not isinstance(data, dict):
            raise ValueError(
                f"{type(self).registered_name} needs a two-domain dataset (digits_inverted, "
                "digits_edges, cycle_gan/NAME, folders:A_DIR,B_DIR, pairs:DIR), not a "
                "single-domain one.")
        return data["a"], data["b"]

    def translators(self):
        """{direction: the generator that maps images that way}; the first is the
        sampling (EMA when present) generator, the one export uses."""
        raise NotImplementedError

    def translator(self, direction):
        translators = self.translators()
        if check_choice("direction", direction, DIRECTIONS) not in translators:
            raise ValueError(f"This {type(self).registered_name} model translates "
                             f"{', '.join(translators)} only, not {direction}.")
        if translators[direction] in getattr(self, "untrained_networks", ()):
            raise ValueError(f"This {type(self).registered_name} preset holds no trained "
                             f"{direction} generator; convert or train one for {direction}.")
        return translators[direction]

    def preview_inputs(self, data_config, n, seed=0):
        """sqrt(n) fixed examples of each domain (drawn with ``seed`` + 1)."""
        columns = max(1, math.isqrt(n))
        dataset, _ = load_dataset(data_config, columns, seed=seed + 1)
        return {k: v.numpy() for k, v in next(iter(dataset)).items()}

    def preview(self, inputs, path):
        """Rows: the A examples, G_AB(A), and for CycleGAN the B examples, G_BA(B)."""
        rows = []
        for direction, generator in self.translators().items():
            source = np.asarray(inputs[direction[0]])
            rows += [source, keras.ops.convert_to_numpy(generator(source))]
        return images.save_samples(np.concatenate(rows), path, len(inputs["a"]))
