"""ganzoo: a GAN model zoo for TensorFlow 2.21 and Keras 3.

Every registered family, network and dataset is imported here, from this one list.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from ganzoo import data, families, io, metrics, networks  # noqa: E402,F401  (registration)
from ganzoo.config import GanConfig, load_yaml
from ganzoo.presets import load_generator, load_preset, save_preset
from ganzoo.registry import FAMILIES, NETWORKS

__version__ = "0.1.0"

__all__ = ["FAMILIES", "NETWORKS", "GanConfig", "load_generator", "load_preset", "load_yaml",
           "save_preset", "__version__"]
