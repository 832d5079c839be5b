"""Reusable layers shared by the networks."""

from ganzoo.layers.conditioning import LabelEmbedding
from ganzoo.layers.equalized import (EqualizedConv2D, EqualizedDense, MinibatchStdDev,
                                     PixelNorm)
from ganzoo.layers.normalization import maybe_spectral_norm, normalization
from ganzoo.layers.style import MappingNetwork, ModulatedConv2D, ToRGB

__all__ = ["EqualizedConv2D", "EqualizedDense", "LabelEmbedding", "MappingNetwork",
           "MinibatchStdDev", "ModulatedConv2D", "PixelNorm", "ToRGB", "maybe_spectral_norm",
           "normalization"]
