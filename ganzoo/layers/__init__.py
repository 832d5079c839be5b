"""Reusable layers shared by the networks."""

from ganzoo.layers.conditioning import LabelEmbedding
from ganzoo.layers.normalization import maybe_spectral_norm, normalization

__all__ = ["LabelEmbedding", "maybe_spectral_norm", "normalization"]
