"""ganzoo: a GAN model zoo for TensorFlow 2.21 and Keras 3.

The public names below are imported on first use (PEP 562), and every registry imports the
package that registers its entries on its first lookup (``ganzoo/registry.py``): so
``import ganzoo`` and commands that need no model (``ganzoo --help``, ``--version``) do not
import TensorFlow. ``ganzoo.build`` and ``ganzoo.train`` (ganzoo/api.py) build and train a
family from Python as ``ganzoo train`` does.
"""

import importlib
import os
import sys
import types

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


class _Package(types.ModuleType):
    """The ``ganzoo`` package, whose ``build`` stays the API's function (ganzoo/api.py):
    importing the submodule ganzoo/build.py would otherwise set the package attribute
    ``build`` to that module (``from ganzoo.build import ...`` still finds the module)."""

    @property
    def build(self):
        return __getattr__("build")

    @build.setter
    def build(self, submodule):
        """The import system records the submodule here; ``sys.modules`` keeps it."""


sys.modules[__name__].__class__ = _Package
