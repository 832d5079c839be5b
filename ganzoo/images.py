"""PNG output people look at: sample grids of images and scatter plots of 2-D samples."""

import math
import os

import numpy as np
from PIL import Image, ImageDraw


def to_uint8(images):
    """[-1, 1] float images -> uint8 [0, 255]."""
    return np.clip(np.round((np.asarray(images, np.float32) + 1.0) * 127.5), 0, 255).astype(np.uint8)


def grid(images, columns=None, pad=2, scale=1):
    """A [N, H, W, C] batch in [-1, 1] tiled into one uint8 image (rows of ``columns``)."""
    images = to_uint8(images)
    n, h, w, c = images.shape
    columns = columns or math.ceil(math.sqrt(n))
    rows = math.ceil(n / columns)
    canvas = np.full((rows * (h + pad) + pad, columns * (w + pad) + pad, c), 255, np.uint8)
    for i, image in enumerate(images):
        r, col = divmod(i, columns)
        canvas[pad + r * (h + pad):pad + r * (h + pad) + h,
               pad + col * (w + pad):pad + col * (w + pad) + w] = image
    canvas = canvas[..., 0] if c == 1 else canvas
    picture = Image.fromarray(canvas)
    if scale > 1:
        picture = picture.resize((picture.width * scale, picture.height * scale), Image.NEAREST)
    return picture


def scatter(points, reference=None, size=400, extent=None):
    """2-D samples as a PNG-ready picture: reference points grey, samples blue."""
    points = np.asarray(points, np.float32)
    everything = points if reference is None else np.concatenate([points, reference])
    extent = extent or float(np.abs(everything).max()) * 1.1 or 1.0
    picture = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(picture)

    def pixels(xy):
        return (xy / extent * 0.5 + 0.5) * (size - 1)

    for xy, color in (([] if reference is None else reference, (190, 190, 190)),
                      (points, (31, 119, 180))):
        for x, y in pixels(np.asarray(xy).reshape(-1, 2)):
            draw.ellipse([x - 1.5, size - 1 - y - 1.5, x + 1.5, size - 1 - y + 1.5], fill=color)
    return picture


def save_samples(samples, path, columns=None, reference=None):
    """Writes samples as a grid (images) or a scatter plot (2-D points) PNG, atomically."""
    samples = np.asarray(samples)
    if samples.ndim == 4:
        picture = grid(samples, columns, scale=max(1, 64 // samples.shape[1]))
    else:
        picture = scatter(samples.reshape(len(samples), -1), reference)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = f"{path}.tmp.png"
    picture.save(tmp)
    os.replace(tmp, path)
    return path


def save_gif(frames, path, duration_ms=120):
    """Writes [N, H, W, C] images in [-1, 1] as a looping animated GIF, atomically."""
    frames = np.asarray(frames)
    scale = max(1, 64 // frames.shape[1])
    pictures = [grid(frame[None], columns=1, pad=0, scale=scale) for frame in frames]
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = f"{path}.tmp.gif"
    pictures[0].save(tmp, save_all=True, append_images=pictures[1:], duration=duration_ms, loop=0)
    os.replace(tmp, path)
    return path
