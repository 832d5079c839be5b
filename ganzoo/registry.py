"""The one registry of ganzoo: families, networks, datasets, metrics, converters and presets.

Registration is explicit: a module decorates its class or builder with
``@register_family("wgan_gp")`` (or ``register_network`` ...), and each registry names the
one package that imports every such module (``ganzoo.families`` for ``FAMILIES`` ...). A
registry imports its package on its first lookup, not before: a command that needs no
family (``ganzoo --help``) starts without importing TensorFlow. Looking up an unknown name
raises a ``ValueError`` that lists the valid choices.
"""

import difflib
import importlib
import os


def unknown_name(kind, name, names, valid="choices", where=""):
    """"Unknown <kind> '<where>x'. Did you mean 'y'? Valid <valid>: ..." for any lookup:
    the one wording of every unknown-name error in ganzoo."""
    names = list(names)
    hint = difflib.get_close_matches(str(name), names, n=1)
    did_you_mean = f" Did you mean '{hint[0]}'?" if hint else ""
    return (f"Unknown {kind} '{where}{name}'.{did_you_mean} "
            f"Valid {valid}: {', '.join(map(str, names)) or '(none)'}.")


def check_choice(kind, value, choices):
    """``value`` if it is one of ``choices``, else a ValueError in ``unknown_name``'s words."""
    if value not in choices:
        raise ValueError(unknown_name(kind, value, choices))
    return value


class Registry:
    """A name -> object mapping with errors that tell the user what exists.

    Args:
        kind: str, what an entry is, for error messages ("family").
        package: str or None (default), the module whose import registers every entry
            ("ganzoo.families"), imported on the first lookup; None when the module that
            creates the registry fills it.
    """

    def __init__(self, kind, package=None):
        self.kind, self.package = kind, package
        self._entries = {}
        self._loaded = False

    def _load(self):
        if not self._loaded and self.package:
            self._loaded = True
            importlib.import_module(self.package)

    def register(self, name):
        def decorator(obj):
            if name in self._entries:
                raise ValueError(f"{self.kind} '{name}' is registered twice.")
            self._entries[name] = obj
            obj.registered_name = name
            return obj

        return decorator

    def get(self, name):
        self._load()
        if name not in self._entries:
            raise ValueError(self.unknown_message(name))
        return self._entries[name]

    def unknown_message(self, name):
        return unknown_name(self.kind, name, self.names())

    def names(self):
        self._load()
        return sorted(self._entries)

    def __contains__(self, name):
        self._load()
        return name in self._entries


FAMILIES = Registry("family", "ganzoo.families")
NETWORKS = Registry("network", "ganzoo.networks")
DATASETS = Registry("dataset", "ganzoo.data")
METRICS = Registry("metric", "ganzoo.metrics")
CONVERTERS = Registry("converter", "ganzoo.io")

register_family = FAMILIES.register
register_network = NETWORKS.register
register_dataset = DATASETS.register
register_metric = METRICS.register
register_converter = CONVERTERS.register



def _zoo_config_dir():
    """zoo_configs/ beside the package in a checkout, inside it after ``pip install .``."""
    package_dir = os.path.dirname(os.path.abspath(__file__))
    checkout = os.path.join(os.path.dirname(package_dir), "zoo_configs")
    if os.path.isdir(checkout):
        return checkout
    return os.path.join(package_dir, "zoo_configs")


ZOO_CONFIG_DIR = _zoo_config_dir()


def zoo_configs():
    """Returns {preset name: YAML path} for every recipe under zoo_configs/<family>/."""
    found = {}
    for family in sorted(os.listdir(ZOO_CONFIG_DIR)):
        folder = os.path.join(ZOO_CONFIG_DIR, family)
        if not os.path.isdir(folder):
            continue
        for filename in sorted(os.listdir(folder)):
            if filename.endswith(".yaml"):
                found[filename[: -len(".yaml")]] = os.path.join(folder, filename)
    return found


def zoo_config_path(name):
    """Path of the zoo recipe called ``name``; a clear error when there is none."""
    configs = zoo_configs()
    if name not in configs:
        raise ValueError(unknown_name("preset", name, list(configs)))
    return configs[name]
