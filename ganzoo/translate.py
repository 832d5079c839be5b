"""Image-to-image translation: the family base that cyclegan and pix2pix share, their
sample grids, and ``ganzoo translate RUN_DIR --input DIR --direction a2b --out DIR``.

Their generators take images, not noise (``input_kind = "image"``), and their data
elements are ``{"a": x_a, "b": x_b}`` (``ganzoo.data.paired``).
"""

import dataclasses
import math
import os

import keras
import numpy as np

from ganzoo import images
from ganzoo.checkpointing import StepCallback
from ganzoo.families.base import GAN
from ganzoo.registry import NETWORKS

DIRECTIONS = ("a2b", "b2a")


def image_archs():
    """The registered generator architectures that translate images."""
    return [name[:-len("_generator")] for name in NETWORKS.names()
            if getattr(NETWORKS.get(name), "input_kind", None) == "image"]


def check_direction(direction):
    if direction not in DIRECTIONS:
        raise ValueError(f"Unknown direction '{direction}'. Valid choices: a2b, b2a.")
    return direction


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

    def __init__(self, generator, discriminator, **kwargs):
        family = type(self).registered_name
        if getattr(generator, "input_kind", "noise") != "image":
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
        if check_direction(direction) not in translators:
            raise ValueError(f"This {type(self).registered_name} model translates "
                             f"{', '.join(translators)} only, not {direction}.")
        return translators[direction]


def translation_rows(model, examples):
    """[source, translation] image rows for every direction ``model`` translates."""
    rows = []
    for direction, generator in model.translators().items():
        source = np.asarray(examples[direction[0]])
        rows += [source, keras.ops.convert_to_numpy(generator(source))]
    return np.concatenate(rows)


class TranslationGrid(StepCallback):
    """After every epoch, samples/step_NNNNNN.png: fixed examples and their translations
    (rows: A, G_AB(A), and for CycleGAN B, G_BA(B)); sqrt(``n``) examples per row."""

    def __init__(self, run_dir, data_config, n):
        super().__init__()
        from ganzoo.data import load_dataset

        self.folder = os.path.join(run_dir, "samples")
        self.columns = max(1, math.isqrt(n))
        dataset, _ = load_dataset(data_config, self.columns, seed=1)
        self.examples = {k: v.numpy() for k, v in next(iter(dataset)).items()}

    def on_epoch_end(self, epoch, logs=None):
        images.save_samples(translation_rows(self.model, self.examples),
                            os.path.join(self.folder, f"step_{self.step:06d}.png"), self.columns)


def before_after(inputs, outputs, columns=8):
    """Rows of up to ``columns`` inputs, each over the row of their outputs (white fill)."""
    columns = min(columns, len(inputs))
    fill = [(0, -len(inputs) % columns)] + [(0, 0)] * (inputs.ndim - 1)
    rows = [np.pad(x, fill, constant_values=1.0).reshape(-1, columns, *x.shape[1:])
            for x in (inputs, outputs)]
    return np.stack(rows, axis=1).reshape(-1, *inputs.shape[1:]), columns


def translate_folder(run_dir, input_dir, direction, out_dir, batch_size=16):
    """Translates every image directly in ``input_dir`` with a run's newest checkpoint.

    Writes ``out_dir/<name>.png`` per input (at the model's resolution) and
    ``out_dir/before_after.png``. Returns the number of images translated.
    """
    from ganzoo.data import folder, paired
    from ganzoo.training import load_run, read_run

    check_direction(direction)
    model = load_run(run_dir)
    if not isinstance(model, ImageToImageGAN):
        raise ValueError(f"{run_dir} is a {type(model).registered_name} run; translate needs "
                         "an image-to-image one (cyclegan, pix2pix).")
    generator = model.translator(direction)
    resolution, _, channels = generator.data_shape
    data_config = dataclasses.replace(read_run(run_dir)[0].data, resolution=resolution)
    dataset, info = folder.build(data_config, input_dir)
    if info.num_classes:
        raise ValueError(f"{input_dir} has subfolders: give a folder with the images in it.")
    names = [os.path.splitext(os.path.basename(f))[0] for f in folder._images_in(input_dir)]
    dataset = dataset.map(lambda x: paired.match_channels(x, channels)).batch(batch_size)
    inputs, outputs = [], []
    for batch in dataset:
        inputs.append(batch.numpy())
        outputs.append(keras.ops.convert_to_numpy(generator(batch)))
    inputs, outputs = np.concatenate(inputs), np.concatenate(outputs)
    os.makedirs(out_dir, exist_ok=True)
    for name, image in zip(names, outputs):
        images.grid(image[None], pad=0).save(os.path.join(out_dir, f"{name}.png"))
    grid, columns = before_after(inputs, outputs)
    images.save_samples(grid, os.path.join(out_dir, "before_after.png"), columns)
    return len(names)
