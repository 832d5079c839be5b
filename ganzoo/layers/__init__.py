"""Reusable layers shared by the networks."""

from ganzoo.layers.conditioning import LabelEmbedding
from ganzoo.layers.equalized import (EqualizedConv2D, EqualizedDense, MinibatchStdDev,
                                     PixelNorm)
from ganzoo.layers.normalization import maybe_spectral_norm, normalization
from ganzoo.layers.style import ModulatedConv2D, NoiseInjection

__all__ = ["EqualizedConv2D", "EqualizedDense", "LabelEmbedding", "MinibatchStdDev",
           "ModulatedConv2D", "NoiseInjection", "PixelNorm", "maybe_spectral_norm",
           "normalization"]
