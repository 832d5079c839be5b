"""Normalization switches every network shares.

Spectral normalization (Miyato et al. 2018, "Spectral Normalization for GANs") is a
switch on any discriminator, not a property of one family.
"""

import keras

from ganzoo.registry import check_choice

NORMS = ("batch", "layer", "instance", "none")


def maybe_spectral_norm(layer, spectral_norm):
    """Wraps ``layer`` in ``keras.layers.SpectralNormalization`` when asked."""
    return keras.layers.SpectralNormalization(layer) if spectral_norm else layer


def normalization(kind):
    """A normalization layer by name; ``None`` for "none".

    "layer" suits WGAN-GP critics (the gradient penalty is per sample, so batch
    statistics are wrong there); "instance" is ``GroupNormalization(groups=-1)``.
    """
    check_choice("norm", kind, NORMS)
    if kind == "batch":
        return keras.layers.BatchNormalization(momentum=0.9)
    if kind == "layer":
        return keras.layers.LayerNormalization()
    if kind == "instance":
        return keras.layers.GroupNormalization(groups=-1)
    return None
