"""ganzoo: a GAN model zoo for TensorFlow 2.21 and Keras 3.

The public names below are imported on first use (PEP 562), and every registry imports the
package that registers its entries on its first lookup (``ganzoo/registry.py``): so
``import ganzoo`` and commands that need no model (``ganzoo --help``, ``--version``) do not
import TensorFlow. ``ganzoo.build`` and ``ganzoo.train`` (ganzoo/api.py) build and train a
family from Python as ``ganzoo train`` does.
"""

import importlib
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__version__ = "0.1.0"

_PUBLIC = {
    "build": "ganzoo.api",
    "train": "ganzoo.api",
    "FAMILIES": "ganzoo.registry",
    "NETWORKS": "ganzoo.registry",
    "GanConfig": "ganzoo.config",
    "load_yaml": "ganzoo.config",
    "load_generator": "ganzoo.presets",
    "load_preset": "ganzoo.presets",
    "save_preset": "ganzoo.presets",
}

__all__ = [*_PUBLIC, "__version__"]


def __getattr__(name):
    """``ganzoo.load_generator`` and the other public names, imported when first used;
    ``ganzoo.<submodule>`` imports that submodule."""
    if name in _PUBLIC:
        return getattr(importlib.import_module(_PUBLIC[name]), name)
    try:
        return importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError as error:
        if error.name != f"{__name__}.{name}":
            raise
        raise AttributeError(f"module 'ganzoo' has no attribute '{name}'") from None
