"""Transfer learning: start a run from a preset's or a run's weights (``--init-from``).

``initializer(source)`` loads the source family once (a shipped preset name, a preset
folder or archive, or a run directory: its newest checkpoint) and returns the hook that
``training.train(initialize=...)`` calls on the freshly built model of a run that has no
checkpoint yet. The hook copies the generator, the EMA generator (when both have one; a
source without EMA seeds it with its generator, as a new family does) and the
discriminator; the optimizers stay fresh and the run starts at step 0. Architectures must
match exactly (family, network classes and every constructor argument: widths, data shape,
classes ...); the first difference is refused in one line that names it.
"""

import json
import warnings

from ganzoo import presets


def _spec(network):
    """What defines a network's weights: its class and constructor arguments."""
    config = {k: v for k, v in network.get_config().items() if k not in ("name", "dtype",
                                                                         "trainable")}
    return {"network": type(network).registered_name,
            **json.loads(json.dumps(config, default=list))}


# arguments named first when several differ: what users change most often on purpose
FIRST = ("network", "data_shape", "num_classes", "aux_classes", "latent_dim")


def first_difference(source, target, source_name):
    """One line naming the first difference between the family models, or None."""
    if type(source).registered_name != type(target).registered_name:
        return (f"family is {type(source).registered_name} in {source_name} but "
                f"{type(target).registered_name} here")
    for role in ("generator", "discriminator"):
        there, here = _spec(getattr(source, role)), _spec(getattr(target, role))
        keys = sorted(set(there) | set(here), key=lambda k: (k not in FIRST, FIRST.index(k)
                                                             if k in FIRST else 0, k))
        for key in keys:
            if there.get(key) != here.get(key):
                return (f"{role} {key} is {there.get(key)!r} in {source_name} but "
                        f"{here.get(key)!r} here")
    return None


def copy_weights(source, target, source_name):
    """Copies G, EMA G and D of ``source`` into ``target``; returns what it did, in words."""
    difference = first_difference(source, target, source_name)
    if difference:
        raise ValueError(f"Cannot start from {source_name}: {difference}; that needs the same "
                         "family and networks (recipe, resolution, channels, classes).")
    copied = ["G"]
    target.generator.set_weights(source.generator.get_weights())
    if target.ema_generator is not None:
        ema = source.ema_generator or source.generator
        target.ema_generator.set_weights(ema.get_weights())
        copied.append("EMA G" if source.ema_generator is not None else "EMA G (from G)")
    if source.discriminator in getattr(source, "untrained_networks", []):
        copied.append("no D (the source has none: D starts fresh)")
    else:
        target.discriminator.set_weights(source.discriminator.get_weights())
        copied.append("D")
    return f"Initialized {', '.join(copied)} from {source_name}; fresh optimizers, step 0."


def initializer(source):
    """The ``initialize`` hook of ``training.train`` for ``source`` (loaded now, so a bad
    name or file is refused before training starts)."""
    with warnings.catch_warnings():  # a preset without D: copy_weights says so
        warnings.simplefilter("ignore", UserWarning)
        family = presets.load_family(source)

    def initialize(model):
        return copy_weights(family, model, source)

    initialize.source = family  # the loaded family model
    return initialize


def from_model(family, name="the model passed to ganzoo.train"):
    """The ``initialize`` hook that starts a run from a family model in memory (silent)."""
    return lambda model: copy_weights(family, model, name) and None
