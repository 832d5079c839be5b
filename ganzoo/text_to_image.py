"""``ganzoo generate TARGET --text "a bold three" --n 16 --out grid.png [--seed S]``: a
text-to-image model (stackgan; a run directory or a preset) draws ``n`` images of one
caption, tokenized with the model's own vocabulary (``ganzoo.text``).

A word outside the model's vocabulary is an error naming it (the model would read it as
``<unk>`` and silently ignore what it asks for); so is a caption longer than the model's
``max_tokens`` words.
"""

import keras

from ganzoo import images, presets, text


def text_generator(target):
    """The sampling generator of ``target``, refused clearly if it does not take text."""
    generator = presets.load_generator(target)
    if "tokens" not in getattr(generator, "condition_inputs", ()):
        raise ValueError(f"{target} is not a text-to-image model (its generator takes no "
                         "captions): generate works with stackgan runs and presets; use "
                         "ganzoo sample for the others.")
    return generator


def checked_tokens(generator, caption):
    """The caption's token ids [max_tokens], or a ValueError that says what is wrong."""
    words = text.words(caption)
    unknown = text.unknown_words(caption, generator.vocabulary)
    if unknown:
        raise ValueError(f"Unknown word(s) {', '.join(map(repr, unknown))} in --text: this "
                         f"model knows {', '.join(generator.vocabulary[2:])}.")
    if not words:
        raise ValueError("--text has no words (letters a-z); write a caption such as "
                         "'a bold three'.")
    if len(words) > generator.max_tokens:
        raise ValueError(f"--text has {len(words)} words; this model reads at most "
                         f"{generator.max_tokens}.")
    return generator.tokenize([caption])[0]


def generate(generator, caption, n, seed=0):
    """``n`` images [n, H, W, C] in [-1, 1] of ``caption`` from noise seed ``seed``."""
    checked_tokens(generator, caption)
    inputs = generator.sample_inputs(n, seed, captions=[caption])
    return keras.ops.convert_to_numpy(generator(inputs, training=False))


def generate_grid(target, caption, n, out, seed=0):
    """Writes a grid PNG of ``n`` images of ``caption`` at ``out``; returns the path."""
    generator = text_generator(target)
    return images.save_samples(generate(generator, caption, n, seed), out)
