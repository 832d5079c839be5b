"""``folder:PATH``: the images in a folder, read with Pillow.

Images directly in PATH are unlabeled; class subfolders PATH/<class>/* are labeled, one
class per subfolder in alphabetical order (the layout of Keras'
``image_dataset_from_directory``; images beside the subfolders are then ignored).
All images must share one size; they are center-cropped to a square and resized,
decoded in parallel (``image_reader``).
RGB, or 1 channel when every image is grayscale. GIFs give their first frame.
"""

import os

import numpy as np
import tensorflow as tf
from PIL import Image

from ganzoo.data import scan_cache
from ganzoo.data.base import DatasetError, DatasetInfo, Ticker, square_resize

EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif")
GRAY_MODES = ("1", "L", "LA")
TF_DECODED = (".png", ".jpg", ".jpeg")


def _visible(folder):
    return sorted(n for n in os.listdir(folder) if not n.startswith("."))


def images_in(folder):
    """The image files directly in ``folder``, sorted by name."""
    return [
        os.path.join(folder, n)
        for n in _visible(folder)
        if n.lower().endswith(EXTENSIONS) and os.path.isfile(os.path.join(folder, n))
    ]


def flat_image_files(path, form, layout):
    """``images_in(path)`` for a dataset named ``form`` (e.g. "pairs:DIR"), with one-line
    errors for a missing folder and for one without images; ``layout`` says what the folder
    should hold."""
    if not os.path.isdir(path):
        raise DatasetError(f"Image folder {path} does not exist; check the path in {form}.")
    files = images_in(path)
    if not files:
        raise DatasetError(f"No images in {path}: {form} reads {layout} "
                           f"({', '.join(EXTENSIONS)}) directly in it.")
    return files


def _is_gray(image):
    """Grayscale modes, and palette images (GIF) whose palette holds only grays."""
    if image.mode == "P":
        palette = np.reshape(image.getpalette() or [], (-1, 3))
        return bool(np.all(palette == palette[:, :1]))
    return image.mode in GRAY_MODES


def _scan(files, root):
    """(width, height) shared by all ``files`` and whether all are grayscale, after checking
    that each one reads (PNG checksums, JPEG decoded); scan_cache remembers the result."""
    first = sizes = None
    gray = True
    ticker = Ticker(f"Checking {len(files)} images in {root}", len(files))
    for done, path in enumerate(files):
        ticker.update(done)
        try:
            with Image.open(path) as image:
                image.verify()  # checks the whole file where the format allows (PNG CRCs)
            with Image.open(path) as image:  # verify() must come first and leaves it unusable
                size, is_gray = image.size, _is_gray(image)
                # JPEG has no checksums for verify(): decoding finds a truncated file,
                # which would otherwise stop a run when its batch is read
                if image.format == "JPEG":
                    image.load()
        except Exception as e:  # Pillow raises many types for a bad file
            raise DatasetError(
                f"{path} is not a readable image ({type(e).__name__}); delete or re-save it."
            ) from None
        if sizes is None:
            first, sizes = path, size
        elif size != sizes:
            raise DatasetError(
                f"In {root}: {os.path.relpath(first, root)} is {sizes[0]}x{sizes[1]} but "
                f"{os.path.relpath(path, root)} is {size[0]}x{size[1]}; "
                "ganzoo needs one size per folder: resize them first."
            )
        gray = gray and is_gray
    ticker.finish(len(files))
    return sizes, gray


def image_reader(files, root):
    """(read(filename) -> uint8 [H, W, C] tensor, C) for image files of one size (checked).

    PNG and JPEG folders are decoded by TensorFlow's own ops (the same pixels as Pillow's),
    which run in parallel in
    ``map(num_parallel_calls=AUTOTUNE)`` threads; other formats (BMP, GIF) by Pillow in a
    ``tf.numpy_function``, which holds Python's lock."""
    (width, height), gray = scan_cache.remembered(files, root, _scan)
    mode, channels = ("L", 1) if gray else ("RGB", 3)

    def decode(filename):
        with Image.open(filename.decode()) as image:
            return np.asarray(image.convert(mode), np.uint8).reshape(height, width, channels)

    def read(filename):
        if all(f.lower().endswith(TF_DECODED) for f in files):
            data = tf.io.read_file(filename)
            image = tf.cond(  # JPEG with libjpeg's accurate integer DCT, as Pillow decodes it
                tf.io.is_jpeg(data),
                lambda: tf.io.decode_jpeg(data, channels, dct_method="INTEGER_ACCURATE"),
                lambda: tf.io.decode_png(data, channels))
        else:
            image = tf.numpy_function(decode, [filename], tf.uint8)
        image.set_shape([height, width, channels])
        return image

    return read, channels


def references(config, path):
    """(unbatched dataset of file names or (file name, label), DatasetInfo, decode) for the
    images under ``path``; ``decode`` maps an element to the example: the image center-cropped
    and resized to ``config.resolution``, in [-1, 1] (and its label)."""
    if not os.path.isdir(path):
        raise DatasetError(f"Image folder {path} does not exist; check the path in folder:PATH.")
    classes = [n for n in _visible(path) if os.path.isdir(os.path.join(path, n))]
    if classes:
        per_class = [images_in(os.path.join(path, c)) for c in classes]
        files = [f for class_files in per_class for f in class_files]
        labels = np.concatenate([np.full(len(f), i, np.int32) for i, f in enumerate(per_class)])
    else:
        files, labels = images_in(path), None
    if not files:
        raise DatasetError(
            f"No images in {path}: ganzoo reads {', '.join(EXTENSIONS)} files directly in "
            "it (unlabeled) or in class subfolders PATH/<class>/ (labeled)."
        )
    read, channels = image_reader(files, path)
    shape = (config.resolution, config.resolution, channels)
    name = f"folder:{path}"

    def image(filename):
        return square_resize(read(filename), config.resolution)

    if labels is None:
        return (tf.data.Dataset.from_tensor_slices(files), DatasetInfo(name, shape, 0, len(files)),
                image)
    return (tf.data.Dataset.from_tensor_slices((files, labels)),
            DatasetInfo(name, shape, len(classes), len(files)),
            lambda element: (image(element[0]), element[1]))


def decode_all(references, decode):
    """The examples of a dataset of ``references``' elements, decoded in parallel."""
    return references.map(lambda *element: decode(element if len(element) > 1 else element[0]),
                          num_parallel_calls=tf.data.AUTOTUNE)


def build(config, path):
    """(unbatched dataset of x or (x, y), DatasetInfo) for the images under ``path``."""
    files, info, decode = references(config, path)
    return decode_all(files, decode), info
