"""``ganzoo translate SOURCE --input DIR --direction a2b --out DIR``: an image-to-image
model (cyclegan, pix2pix; a run directory or a preset) applied to a folder of images."""

import dataclasses
import os

import keras
import numpy as np

from ganzoo import images, presets, runs
from ganzoo.config import DataConfig
from ganzoo.data import folder, paired
from ganzoo.families.image_to_image import ImageToImageGAN


def before_after(inputs, outputs, columns=8):
    """Rows of up to ``columns`` inputs, each over the row of their outputs (white fill)."""
    columns = min(columns, len(inputs))
    fill = [(0, -len(inputs) % columns)] + [(0, 0)] * (inputs.ndim - 1)
    rows = [np.pad(x, fill, constant_values=1.0).reshape(-1, columns, *x.shape[1:])
            for x in (inputs, outputs)]
    return np.stack(rows, axis=1).reshape(-1, *inputs.shape[1:]), columns


def _data_config(source, resolution):
    """The run's data settings at the model's resolution (defaults for a preset)."""
    config = runs.read_run(source)[0].data if runs.is_run_dir(source) else DataConfig()
    return dataclasses.replace(config, resolution=resolution)


def translate_folder(source, input_dir, direction, out_dir, batch_size=16):
    """Translates every image directly in ``input_dir`` with a run's newest checkpoint or
    a preset. Images of any size are resized to the model's resolution.

    Writes ``out_dir/<name>.png`` per input (at the model's resolution) and
    ``out_dir/before_after.png``. Returns the number of images translated.
    """
    model = presets.load_family(source)
    if not isinstance(model, ImageToImageGAN):
        raise ValueError(f"{source} is a {type(model).registered_name} model; translate needs "
                         "an image-to-image one (cyclegan, pix2pix).")
    generator = model.translator(direction)
    resolution, _, channels = generator.data_shape
    dataset, info = folder.build(_data_config(source, resolution), input_dir)
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
