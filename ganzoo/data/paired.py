"""Two-domain image data for the image-to-image families (cyclegan, pix2pix).

Every element is a dict ``{"a": x_a, "b": x_b}`` of two [H, W, C] float32 images in
[-1, 1] of the same shape (``DatasetInfo.shape`` is that per-domain shape). Paired data
(pix2pix) gives corresponding images; unpaired data (CycleGAN) gives independent ones.

- ``digits_inverted`` (embedded, unpaired): A = the even-indexed sklearn digits, B = the
  odd-indexed ones rotated by 90 degrees and inverted (dark ink on white).
- ``digits_edges`` (embedded, paired): A = a digit's edge map (Sobel gradient magnitude
  thresholded to black/white), B = the digit.
- ``cycle_gan/NAME`` (tensorflow-datasets, e.g. ``cycle_gan/horse2zebra``): A and B are
  its splits ``<data.split>A`` and ``<data.split>B``.
- ``folders:A_DIR,B_DIR``: two image folders, each read as ``folder:PATH`` reads one.
  With equally many images they are paired in sorted file-name order (what pix2pix
  needs); otherwise the smaller one is cycled, which suits CycleGAN only.
- ``pairs:DIR``: side-by-side pairs, each image A|B (left half A, right half B), the
  layout of the pix2pix datasets (facades, maps, ...).

When one domain is grayscale and the other RGB, the grayscale one is converted to RGB.

Training jitter of the reference (junyanz/pytorch-CycleGAN-and-pix2pix
``data/base_dataset.py``, ``--preprocess resize_and_crop``; Zhu et al. 2017, Isola et al.
2017, appendix: "random jitter"): images are loaded at ``load_size`` (286), then each
example gets a random ``crop_size`` (256) crop and a random horizontal flip. ``jitter_config``
gives the config to read the images at, ``random_jitter`` the per-example map, seeded by
the example's position in the run (ganzoo.data.batches), so every epoch draws new crops.
``paired`` (pix2pix: the reference's aligned dataset) crops and flips both images of a
pair alike; unpaired data (CycleGAN: unaligned) draws them independently per domain.
"""

import dataclasses

import tensorflow as tf

from ganzoo.data import digits, folder
from ganzoo.data.base import DatasetError, DatasetInfo, square_resize
from ganzoo.registry import register_dataset

FOLDERS_PREFIX = "folders:"
PAIRS_PREFIX = "pairs:"
CYCLE_GAN_PREFIX = "cycle_gan/"
OPEN_FORMS = [f"{FOLDERS_PREFIX}A_DIR,B_DIR", f"{PAIRS_PREFIX}DIR", f"{CYCLE_GAN_PREFIX}NAME"]
EDGE_THRESHOLD = 1.0  # Sobel magnitude, for images in [-1, 1]: a step of 2 gives up to 8


def handles(name):
    """Whether ``name`` is one of the tfds two-domain forms ``build`` reads."""
    return name.startswith(CYCLE_GAN_PREFIX)


def match_channels(images, channels):
    """Grayscale <-> RGB so that ``images`` [..., C] has ``channels`` channels."""
    if images.shape[-1] == channels:
        return images
    if channels == 3:
        return tf.image.grayscale_to_rgb(images)
    return tf.image.rgb_to_grayscale(images)


def jitter_config(config, load_size):
    """``config`` reading images at ``load_size`` (the crop size stays ``config.resolution``)."""
    if load_size < config.resolution:
        raise DatasetError(f"load_size {load_size} is smaller than the crop size "
                           f"{config.resolution} (data.resolution).")
    return dataclasses.replace(config, resolution=load_size)


def _crop_flip(image, size, seed):
    crop_seed, flip_seed = tf.unstack(tf.random.experimental.stateless_split(seed, 2))
    image = tf.image.stateless_random_crop(image, [size, size, image.shape[-1]], crop_seed)
    return tf.image.stateless_random_flip_left_right(image, flip_seed)


def random_jitter(crop_size, paired, seed):
    """A function (element {"a", "b"}, position) -> element: random ``crop_size`` crops and
    horizontal flips, one draw for both images when ``paired``, one per image otherwise.
    The draws are stateless, a function of (``seed``, ``position``: the example's place in
    the run, int64) alone."""

    def jitter(element, position):
        seed_pair = tf.stack([tf.cast(seed, tf.int64), tf.cast(position, tf.int64)])
        a, b = element["a"], element["b"]
        if not paired:
            seed_a, seed_b = tf.unstack(tf.random.experimental.stateless_split(seed_pair, 2))
            return {"a": _crop_flip(a, crop_size, seed_a), "b": _crop_flip(b, crop_size, seed_b)}
        both = _crop_flip(tf.concat([a, b], axis=-1), crop_size, seed_pair)
        channels = a.shape[-1]
        return {"a": both[..., :channels], "b": both[..., channels:]}

    return jitter


def _zipped(name, a, b, count_a, count_b, shape_a, shape_b):
    """(dataset of {"a", "b"} of ``a`` and ``b``'s elements as they are, DatasetInfo with
    the larger channel count): the smaller domain cycled up to the larger's count, so every
    image is seen each epoch (a plain zip when the counts are equal or unknown)."""
    count = None
    if count_a and count_b:
        count = max(count_a, count_b)
        a, b = a.repeat().take(count), b.repeat().take(count)
    channels = max(shape_a[-1], shape_b[-1])
    return (tf.data.Dataset.zip({"a": a, "b": b}),
            DatasetInfo(name, (*shape_a[:-1], channels), 0, count))


def _matched(element, channels):
    """A {"a", "b"} element with both images at ``channels`` channels."""
    return {domain: match_channels(image, channels) for domain, image in element.items()}


def zip_domains(name, a, b, count_a, count_b, shape_a, shape_b):
    """(dataset of {"a", "b"}, DatasetInfo) of two one-domain image datasets (``_zipped``),
    a grayscale domain converted to RGB when the other one is RGB."""
    dataset, info = _zipped(name, a, b, count_a, count_b, shape_a, shape_b)
    return dataset.map(lambda element: _matched(element, info.shape[-1])), info


def _digits(config):
    """(the digits images alone, no labels; how many there are)."""
    dataset, info = digits.build(config)
    return dataset.map(lambda image, label: image), info.num_examples


@register_dataset("digits_inverted")
def build_digits_inverted(config):
    images, count = _digits(config)
    a = images.shard(2, 0)
    b = images.shard(2, 1).map(lambda x: -tf.image.rot90(x))
    shape = (config.resolution, config.resolution, 1)
    return zip_domains("digits_inverted", a, b, (count + 1) // 2, count // 2, shape, shape)


def edges(image):
    """A black/white edge map of one [H, W, C] image in [-1, 1]."""
    gradients = tf.image.sobel_edges(image[None])[0]
    magnitude = tf.norm(gradients, axis=-1)
    return tf.where(magnitude > EDGE_THRESHOLD, 1.0, -1.0)


@register_dataset("digits_edges")
def build_digits_edges(config):
    images, count = _digits(config)
    dataset = images.map(lambda x: {"a": edges(x), "b": x})
    return dataset, DatasetInfo("digits_edges", (config.resolution, config.resolution, 1), 0,
                                count)


def _tfds_domains(config, seed):
    from ganzoo.data import tfds_source

    return _zip_built(config.name, [
        tfds_source.build(dataclasses.replace(config, split=f"{config.split}{domain}"), seed)
        for domain in "AB"])


def _domain_references(config, path):
    """folder.references of one domain, its decode returning the image alone."""
    references, info, decode = folder.references(config, path)
    return references, info, (lambda element: decode(element)[0]) if info.num_classes else decode


def _folder_domains(config, spec):
    paths = spec.split(",")
    if len(paths) != 2:
        raise DatasetError(f"{FOLDERS_PREFIX}{spec}: give two folders, "
                           f"{FOLDERS_PREFIX}A_DIR,B_DIR.")
    (files_a, info_a, decode_a), (files_b, info_b, decode_b) = (
        _domain_references(config, path) for path in paths)
    files, info = _zipped(config.name, files_a, files_b, info_a.num_examples,
                          info_b.num_examples, info_a.shape, info_b.shape)

    def decode(element):
        return _matched({"a": decode_a(element["a"]), "b": decode_b(element["b"])},
                        info.shape[-1])

    return files, info, decode


def _zip_built(name, built):
    """zip_domains over two (dataset, info) of one-domain builders, their labels dropped."""
    (a, info_a), (b, info_b) = [
        (dataset.map(lambda image, label: image) if info.num_classes else dataset, info)
        for dataset, info in built]
    return zip_domains(name, a, b, info_a.num_examples, info_b.num_examples,
                       info_a.shape, info_b.shape)


def _side_by_side(config, path):
    files = folder.flat_image_files(path, f"{PAIRS_PREFIX}DIR", "side-by-side A|B images")
    read, channels = folder.image_reader(files, path)

    def decode(filename):
        image = read(filename)
        half = image.shape[1] // 2
        return {"a": square_resize(image[:, :half], config.resolution),
                "b": square_resize(image[:, half:2 * half], config.resolution)}

    shape = (config.resolution, config.resolution, channels)
    return (tf.data.Dataset.from_tensor_slices(files),
            DatasetInfo(config.name, shape, 0, len(files)), decode)


def reads_files(name):
    """Whether ``name`` is a two-domain form read from image files (``references``)."""
    return name.startswith((FOLDERS_PREFIX, PAIRS_PREFIX))


def references(config):
    """(dataset of file names, DatasetInfo, decode to {"a", "b"}) for ``folders:A,B`` and
    ``pairs:DIR`` (see folder.references)."""
    name = config.name
    if name.startswith(PAIRS_PREFIX):
        return _side_by_side(config, name[len(PAIRS_PREFIX):])
    return _folder_domains(config, name[len(FOLDERS_PREFIX):])


def build(config, seed=0):
    """(unbatched dataset of {"a", "b"}, DatasetInfo) for the tfds two-domain forms."""
    return _tfds_domains(config, seed)
