"""The restoration commands, a folder of images in and a folder out (``translate``'s
folder steps):

    ganzoo upscale SOURCE --input DIR --out DIR                        (srgan)
    ganzoo inpaint SOURCE --input DIR [--masks DIR | --box x,y,w,h] --out DIR   (inpaint)

SOURCE is a run directory (newest checkpoint) or a preset. Every input is checked (model
kind, masks, box) before anything is written.
"""

import os

import numpy as np
from PIL import Image

from ganzoo import presets
from ganzoo.data import folder
from ganzoo.families.inpaint import box_at, with_mask
from ganzoo.registry import FAMILIES
from ganzoo.translate import in_batches, read_folder, write_folder


def load_restorer(source, family):
    """The family model of ``source``; a clear error unless it is a ``family`` model."""
    model = presets.load_family(source)
    found = type(model).registered_name
    if found != family:
        raise ValueError(f"{source} is a {found} model; ganzoo {FAMILIES.get(family).command} "
                         f"needs a {family} one (train it with: ganzoo train {family}).")
    return model


def upscale_folder(source, input_dir, out_dir):
    """Super-resolves every image directly in ``input_dir``: each is resized to the
    model's low-resolution input and upscaled by its factor. Writes ``out_dir/<name>.png``
    and ``before_after.png`` (inputs shown with nearest-neighbour pixels); returns the
    number of images."""
    model = load_restorer(source, "srgan")
    generator = model.sampling_generator()
    size, _, channels = generator.input_shape_of_data()
    names, small = read_folder(source, input_dir, size, channels)
    write_folder(out_dir, names, model.show_degraded(small), in_batches(generator, small))
    return len(names)


def parse_box(text, resolution):
    """"x,y,w,h" (model pixels, x to the right, y down) -> (x, y, w, h), checked."""
    try:
        x, y, w, h = (int(v) for v in text.split(","))
    except ValueError:
        raise ValueError(f"--box {text}: expected four integers x,y,w,h, e.g. 10,10,12,12."
                         ) from None
    if w < 1 or h < 1 or x < 0 or y < 0 or x + w > resolution or y + h > resolution:
        raise ValueError(f"--box {text}: the box must lie inside the model's "
                         f"{resolution}x{resolution} images (x + w and y + h <= {resolution}).")
    return x, y, w, h


def read_masks(masks_dir, names, resolution):
    """[N, r, r, 1] masks: ``masks_dir/<name>.*`` per image (white = hole), resized with
    nearest neighbours and thresholded at half."""
    if not os.path.isdir(masks_dir):
        raise FileNotFoundError(f"--masks {masks_dir}: no such folder.")
    found = {os.path.splitext(os.path.basename(f))[0]: f for f in folder.images_in(masks_dir)}
    missing = [name for name in names if name not in found]
    if missing:
        raise ValueError(f"--masks {masks_dir} has no mask for {', '.join(missing[:5])}: give "
                         "one image per input, with the same file name (white = hole).")
    masks = []
    for name in names:
        with Image.open(found[name]) as image:
            gray = image.convert("L").resize((resolution, resolution), Image.NEAREST)
        masks.append(np.asarray(gray, np.float32)[..., None] >= 128)
    return np.stack(masks).astype(np.float32)


def inpaint_folder(source, input_dir, out_dir, masks_dir=None, box=None):
    """Fills a hole in every image directly in ``input_dir`` (resized to the model's
    resolution): the mask of the same name in ``masks_dir``, or the same ``box`` "x,y,w,h"
    for all. Writes ``out_dir/<name>.png`` and ``before_after.png`` (holes in gray);
    returns the number of images."""
    if (masks_dir is None) == (box is None):
        raise ValueError("ganzoo inpaint needs either --masks DIR or --box x,y,w,h (one).")
    model = load_restorer(source, "inpaint")
    generator = model.sampling_generator()
    resolution, _, channels = generator.data_shape
    if box is not None:
        x, y, w, h = parse_box(box, resolution)
    names, pictures = read_folder(source, input_dir, resolution, channels)
    if box is not None:
        masks = np.repeat(np.asarray(box_at(y, x, h, w, resolution, resolution)), len(names), 0)
    else:
        masks = read_masks(masks_dir, names, resolution)
    degraded = np.asarray(with_mask(pictures, masks))
    write_folder(out_dir, names, model.show_degraded(degraded), in_batches(generator, degraded))
    return len(names)
