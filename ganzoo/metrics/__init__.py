"""GAN metrics: FID, KID, IS, precision/recall, and the feature extractors they run on.

Importing this package registers "fid", "kid", "is", "pr" (of generated images) and
"accuracy" (of a discriminator as classifier, ``classification.py``) in
``ganzoo.registry.METRICS``, and the "fid_inception", "inception" and "digits" extractors
in ``extractors.EXTRACTORS``.
"""

from ganzoo.metrics import classification  # noqa: F401  (registers "accuracy")
from ganzoo.metrics.evaluation import FeatureSet, evaluate, reference_stats
from ganzoo.metrics.extractors import (
    DigitsExtractor,
    FeatureExtractor,
    FIDInceptionExtractor,
    InceptionExtractor,
    find_fid_weights,
    get_extractor,
)
from ganzoo.metrics.statistics import (
    FeatureStats,
    frechet_distance,
    inception_score,
    kernel_inception_distance,
    precision_recall,
)

__all__ = [
    "DigitsExtractor",
    "FeatureExtractor",
    "FeatureSet",
    "FeatureStats",
    "FIDInceptionExtractor",
    "InceptionExtractor",
    "evaluate",
    "find_fid_weights",
    "frechet_distance",
    "get_extractor",
    "inception_score",
    "kernel_inception_distance",
    "precision_recall",
    "reference_stats",
]
