"""What every dataset module shares: DatasetInfo, DatasetError, the image preprocessing and
the progress lines of long preparation (folder scans, decoding into a cache)."""

import dataclasses
import sys
import time
import typing

import tensorflow as tf


class DatasetError(ValueError):
    """A dataset that cannot be loaded; the one-line message says what to do."""


@dataclasses.dataclass
class DatasetInfo:
    name: str
    shape: tuple  # per example: (H, W, C) for images, (2,) for 2-D toy data
    num_classes: int  # 0 = unlabeled
    num_examples: typing.Optional[int]
    labeled: typing.Optional[dict] = None  # the labeled subset drawn (data.labeled_per_class)


def square_resize(images, resolution, max_value=255.0):
    """Center-crops [..., H, W, C] images to a square, resizes, maps [0, max_value] to [-1, 1].

    Bilinear with ``antialias=True`` (a triangle filter when shrinking, see
    ``tf.image.resize``), so the output stays inside the input's range.
    """
    images = tf.cast(images, tf.float32)
    height, width = tf.shape(images)[-3], tf.shape(images)[-2]
    side = tf.minimum(height, width)
    images = tf.image.crop_to_bounding_box(
        images, (height - side) // 2, (width - side) // 2, side, side
    )
    images = tf.image.resize(images, [resolution, resolution], antialias=True)
    return tf.clip_by_value(images * (2.0 / max_value) - 1.0, -1.0, 1.0)


class Ticker:
    """Progress of long data preparation on stderr: ``what: done/total (pct)`` at most every
    ``EVERY`` seconds, the first after ``EVERY`` seconds (short work prints nothing), and
    a final line when something was printed.

    Args:
        what: str, what is being done ("Checking 200000 images in faces/").
        total: int or None, the count when done (None: unknown).
    """

    EVERY = 5.0

    def __init__(self, what, total=None):
        self.what, self.total = what, total
        self.start = self.shown = time.perf_counter()
        self.printed = False

    def _write(self, done):
        share = f" ({100 * done // self.total}%)" if self.total else ""
        total = f"/{self.total}" if self.total else ""
        elapsed = time.perf_counter() - self.start
        sys.stderr.write(f"{self.what}: {done}{total}{share}, {elapsed:.0f} s\n")
        sys.stderr.flush()
        self.printed = True

    def update(self, done):
        if time.perf_counter() - self.shown >= self.EVERY:
            self._write(done)
            self.shown = time.perf_counter()

    def finish(self, done):
        if self.printed:
            self._write(done)
