"""The tokenizer of ganzoo's text-conditioned generators (stackgan).

Rules, deterministic and the same everywhere (training data, ``ganzoo generate``, a client
of an export):

1. lowercase the text; 2. split it on every non-letter (``re.findall("[a-z]+")``: digits,
   punctuation and spaces separate words and are dropped); 3. map each word to its index in
   a fixed vocabulary; a word not in it maps to ``UNK`` (1); 4. keep the first
   ``max_tokens`` ids and pad with ``PAD`` (0) to ``max_tokens``.

The vocabulary is a list of words whose first two entries are the pad and unk markers;
a generator stores its own (``StackGANGenerator(vocabulary=...)``), so its presets and
exports are self-contained. ``VOCABULARY`` is the one the digits captions use.
"""

import re

import numpy as np
import tensorflow as tf

PAD, UNK = 0, 1
DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
# attribute: (word for the lowest tertile, word for the highest tertile)
ATTRIBUTE_WORDS = {"thickness": ("thin", "bold"), "slant": ("upright", "slanted"),
                   "size": ("small", "large")}
VOCABULARY = ("<pad>", "<unk>", "a", "an", *DIGIT_WORDS,
              *(word for pair in ATTRIBUTE_WORDS.values() for word in pair))
MAX_TOKENS = 8


def words(text):
    """The words of ``text``: lowercase runs of letters a-z."""
    return re.findall("[a-z]+", str(text).lower())


def check_vocabulary(vocabulary):
    """``vocabulary`` as a list, or a ValueError saying what a vocabulary must be."""
    vocabulary = list(vocabulary)
    if (len(vocabulary) < 3 or vocabulary[:2] != list(VOCABULARY[:2])
            or len(set(vocabulary)) != len(vocabulary)):
        raise ValueError(f"A vocabulary is a list of distinct words starting with "
                         f"{VOCABULARY[0]!r}, {VOCABULARY[1]!r} (ids 0 and 1) and at least one "
                         f"word; got {vocabulary[:5]}...")
    return vocabulary


def unknown_words(text, vocabulary=VOCABULARY):
    """The words of ``text`` that ``vocabulary`` lacks (they become ``UNK``), in order."""
    known = set(vocabulary[2:])
    return [word for word in words(text) if word not in known]


def tokenize(texts, vocabulary=VOCABULARY, max_tokens=MAX_TOKENS):
    """Token ids int32 [len(texts), max_tokens] of a list of texts (rules in the module
    docstring); a single string gives [max_tokens]."""
    if isinstance(texts, str):
        return tokenize([texts], vocabulary, max_tokens)[0]
    index = {word: i for i, word in enumerate(vocabulary) if i > UNK}
    ids = np.full((len(texts), max_tokens), PAD, np.int32)
    for row, text in enumerate(texts):
        found = [index.get(word, UNK) for word in words(text)][:max_tokens]
        ids[row, :len(found)] = found
    return ids


class GraphTokenizer(tf.Module):
    """The same rules as ``tokenize`` in TensorFlow ops, for a served graph that takes text:
    ``tokenizer(texts)`` maps a string tensor [B] to token ids int32 [B, max_tokens]. Text
    is lowercased as UTF-8 (Python's ``str.lower`` on the same characters, up to Unicode
    special cases that do not lowercase to a-z) and split on every non-letter.

    Args:
        vocabulary: list of words, ``check_vocabulary``'s form.
        max_tokens: int, L.
    """

    def __init__(self, vocabulary=VOCABULARY, max_tokens=MAX_TOKENS):
        super().__init__(name="tokenizer")
        vocabulary = check_vocabulary(vocabulary)
        self.max_tokens = max_tokens
        self.table = tf.lookup.StaticHashTable(tf.lookup.KeyValueTensorInitializer(
            tf.constant(vocabulary[2:]), tf.range(2, len(vocabulary), dtype=tf.int32)), UNK)

    def __call__(self, texts):
        lowered = tf.strings.lower(texts, encoding="utf-8")
        spaced = tf.strings.strip(tf.strings.regex_replace(lowered, "[^a-z]+", " "))
        ids = tf.ragged.map_flat_values(self.table.lookup, tf.strings.split(spaced))
        return ids[:, :self.max_tokens].to_tensor(PAD, shape=[None, self.max_tokens])


def detokenize(ids, vocabulary=VOCABULARY):
    """The words of one row of token ids, pads dropped (for logs and tests)."""
    return " ".join(vocabulary[i] for i in np.asarray(ids).tolist() if i != PAD)
