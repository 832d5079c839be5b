"""``ganzoo translate SOURCE --input DIR --direction a2b --out DIR``: an image-to-image
model (cyclegan, pix2pix; a run directory or a preset) applied to a folder of images.
``read_folder`` / ``write_folder`` are the folder in -> folder out steps that the
restoration commands (``ganzoo.restore``) share."""

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


def read_folder(source, input_dir, resolution, channels):
    """(file names without extension, images [N, r, r, C] float32 in [-1, 1]) of every image
    directly in ``input_dir``, center-cropped and resized to ``resolution`` as ``source``'s
    run reads its data, with ``channels`` channels."""
    dataset, info = folder.build(_data_config(source, resolution), input_dir)
    if info.num_classes:
        raise ValueError(f"{input_dir} has subfolders: give a folder with the images in it.")
    names = [os.path.splitext(os.path.basename(f))[0] for f in folder.images_in(input_dir)]
    dataset = dataset.map(lambda x: paired.match_channels(x, channels)).batch(64)
    return names, np.concatenate([batch.numpy() for batch in dataset])


def in_batches(generator, inputs, batch_size=16):
    """``generator`` applied to ``inputs`` (numpy) ``batch_size`` rows at a time."""
    return np.concatenate([keras.ops.convert_to_numpy(generator(inputs[i:i + batch_size]))
                           for i in range(0, len(inputs), batch_size)])


def write_folder(out_dir, names, inputs, outputs):
    """``out_dir/<name>.png`` per output and ``out_dir/before_after.png`` (``inputs`` as
    pictures of the outputs' shape)."""
    os.makedirs(out_dir, exist_ok=True)
    for name, image in zip(names, outputs):
        images.grid(image[None], pad=0).save(os.path.join(out_dir, f"{name}.png"))
    grid, columns = before_after(inputs, outputs)
    images.save_samples(grid, os.path.join(out_dir, "before_after.png"), columns)


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
    if getattr(model, "command", None):
        raise ValueError(f"{source} is a {type(model).registered_name} model: use "
                         f"ganzoo {model.command}, not translate.")
    generator = model.translator(direction)
    resolution, _, channels = generator.data_shape
    names, inputs = read_folder(source, input_dir, resolution, channels)
    outputs = in_batches(generator, inputs, batch_size)
    write_folder(out_dir, names, inputs, outputs)
    return len(names)
