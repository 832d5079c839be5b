"""Captioned images for text-to-image families (stackgan): elements ``(image, tokens)``,
tokens int32 [``text.MAX_TOKENS``] from ``ganzoo.text.tokenize`` (0-padded).

``digits_captions``: the embedded digits (``digits.py``), each captioned from its label
and three attributes measured on its pixels (``ganzoo.data.digit_attributes``):
stroke thickness, slant and size. Each attribute is bucketed at the tertiles of its
values *within the image's digit class* (a one is thin next to an eight; "bold" means
bold for that digit): the lowest third gets the first word of
``text.ATTRIBUTE_WORDS`` (thin / upright / small), the highest third the second (bold /
slanted / large), the middle third no word. So captions run from "a seven" to
"a bold slanted large seven", and a prompt that names only some attributes ("a bold
three") is in the data's distribution.

``captions:DIR``: every image directly in DIR (png, jpg ...; one size) with a caption
file of the same name and the extension ``.txt`` beside it (``cat.png`` + ``cat.txt``),
tokenized with ``text.VOCABULARY``; words outside it become ``<unk>`` (id 1). To train
on other words, give the generator and discriminator a ``vocabulary`` in the recipe and
list the same words in ``DIR/vocabulary.txt`` (one word a line, without the two markers):
the captions are then tokenized with it.
"""

import os

import numpy as np
import tensorflow as tf

from ganzoo import text
from ganzoo.data import digit_attributes, folder
from ganzoo.data.base import DatasetError, DatasetInfo, square_resize
from ganzoo.registry import register_dataset

PREFIX = "captions:"


def tertile_words(values, labels):
    """For each image, the attribute word index: 0 (lowest third of its class), 1
    (highest third) or -1 (middle: no word)."""
    index = np.full(len(values), -1)
    for label in np.unique(labels):
        rows = labels == label
        low, high = np.percentile(values[rows], [100 / 3, 200 / 3])
        index[rows & (values <= low)] = 0
        index[rows & (values >= high)] = 1
    return index


def digit_captions(images, labels):
    """Captions ("a thin slanted seven") of digit images [N, H, W, 1] in [-1, 1]."""
    measured = digit_attributes.measure(images)
    chosen = {name: tertile_words(values, labels) for name, values in measured.items()}
    captions = []
    for row, label in enumerate(labels):
        named = [text.ATTRIBUTE_WORDS[name][chosen[name][row]]
                 for name in digit_attributes.ATTRIBUTES if chosen[name][row] >= 0]
        named.append(text.DIGIT_WORDS[label])
        captions.append(("an " if named[0][0] in "aeiou" else "a ") + " ".join(named))
    return captions


@register_dataset("digits_captions")
def build_digits(config):
    from sklearn.datasets import load_digits  # lazy: importing sklearn takes ~1 s

    digits = load_digits()
    images = square_resize(digits.images[..., None], config.resolution, max_value=16.0).numpy()
    tokens = text.tokenize(digit_captions(images, digits.target))
    info = DatasetInfo("digits_captions", (config.resolution, config.resolution, 1), 0,
                       len(tokens))
    return tf.data.Dataset.from_tensor_slices((images, tokens)), info


def handles(name):
    return name.startswith(PREFIX)


def folder_vocabulary(path):
    """``text.VOCABULARY``, or the markers + the words of ``path/vocabulary.txt``."""
    listed = os.path.join(path, "vocabulary.txt")
    if not os.path.isfile(listed):
        return text.VOCABULARY
    with open(listed) as f:
        return text.check_vocabulary([*text.VOCABULARY[:2], *f.read().split()])


def references(config):
    """(dataset of (file name, tokens), DatasetInfo, decode) for ``captions:DIR``; decode
    maps an element to (image, tokens) (see folder.references)."""
    path = config.name[len(PREFIX):]
    files = folder.flat_image_files(path, f"{PREFIX}DIR",
                                    "images, each with a caption file NAME.txt beside it,")
    captions = []
    for file in files:
        caption_file = os.path.splitext(file)[0] + ".txt"
        if not os.path.isfile(caption_file):
            raise DatasetError(f"{file} has no caption file {caption_file}: write one (a line "
                               "of text) or remove the image.")
        with open(caption_file) as f:
            captions.append(f.read())
    read, channels = folder.image_reader(files, path)
    tokens = text.tokenize(captions, folder_vocabulary(path))
    info = DatasetInfo(config.name, (config.resolution, config.resolution, channels), 0,
                       len(files))
    return (tf.data.Dataset.from_tensor_slices((files, tokens)), info,
            lambda element: (square_resize(read(element[0]), config.resolution), element[1]))
