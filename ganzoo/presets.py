"""The zoo of pretrained presets: ``load_generator``, ``load_preset``, ``save_preset``.

A preset is a folder (or a .tar.gz / .zip archive of one) holding
    config.json                 networks (registry name + get_config()), family and its
                                arguments, dataset info and the training recipe
    generator.weights.h5        weights only; ema_generator.weights.h5 and
                                discriminator.weights.h5 when present
    metadata.json               family, dataset, shape, classes, steps, metrics and how they
                                were measured, sha256 of every other file, license, date

Loading rebuilds the networks in code from config.json and then reads the weights-only
files: nothing is unpickled or deserialized as code. ``ganzoo.runs.open_preset`` finds the
preset (a shipped name, a name added with ``register_preset``, a local folder, or a
``file://`` / ``https://`` archive URL plus its ``sha256``) and checks every file's sha256
before it is read. Each loader also takes a training run directory (its newest checkpoint).
"""

import dataclasses
import datetime
import glob
import json
import os
import tarfile
import tempfile
import warnings
import zipfile

import keras

from ganzoo import config as config_lib
from ganzoo import runs
from ganzoo.factory import build_optimizer
from ganzoo.hashing import sha256_of
from ganzoo.registry import FAMILIES, NETWORKS
from ganzoo.runs import (ARCHIVE_SUFFIXES, CONFIG_FILE, DEFAULT_LICENSE, FORMAT_VERSION,
                         INDEX_FILE, METADATA_FILE, PRETRAINED_DIR, WEIGHT_FILES, WEIGHTS_SUFFIX,
                         PresetError, open_preset, register_preset, weight_file)

__all__ = ["PresetError", "load_family", "load_generator", "load_preset", "register_preset",
           "save_preset", "shipped_presets"]


def is_discriminator(role):
    return role.startswith("discriminator")


# ---- saving ------------------------------------------------------------------------------
def _network_entry(network):
    config = {k: v for k, v in network.get_config().items() if k not in ("dtype", "trainable")}
    return {"network": type(network).registered_name, "config": config}


def _family_args(model, config):
    """The family's arguments: exact from ``config``; otherwise read back from the model's
    attributes of the same name where they still have the default's type (else the default)."""
    if config is not None:
        return dict(config.family_args)
    family = type(model)
    args = {}
    for name, default in config_lib.constructor_defaults(family, family.base_args).items():
        value = getattr(model, name, default)
        plain = isinstance(value, (str, int, float, bool)) if default is None else isinstance(
            value, type(default))
        args[name] = value if plain else default
    return args


def save_preset(model, path, config=None, info=None, metadata=None, include_discriminator=True):
    """Writes the family ``model`` as a preset folder, or an archive if ``path`` ends in
    .tar.gz / .tgz / .zip; returns ``path``.

    config (GanConfig) and info (DatasetInfo) are recorded when given (the CLI and
    tools/train_presets.py pass them); ``metadata`` entries (metrics, train_seconds ...)
    are merged into metadata.json.
    """
    if path.endswith(ARCHIVE_SUFFIXES):
        with tempfile.TemporaryDirectory() as tmp:
            name = os.path.basename(path).split(".")[0]
            folder = save_preset(model, os.path.join(tmp, name), config, info, metadata,
                                 include_discriminator)
            _archive(folder, path)
        return path
    os.makedirs(path, exist_ok=True)
    for stale in glob.glob(os.path.join(path, "*" + WEIGHTS_SUFFIX)):
        os.remove(stale)
    for role, network in model.saved_networks().items():
        if network is not None and (include_discriminator or not is_discriminator(role)):
            network.save_weights(os.path.join(path, weight_file(role)))
    spec = {
        "format_version": FORMAT_VERSION,
        "family": type(model).registered_name,
        "family_args": _family_args(model, config),
        "generator": _network_entry(model.generator),
        "discriminator": _network_entry(model.discriminator),
        "dataset": dataclasses.asdict(info) if info else None,
        "recipe": config.to_dict() if config else None,
    }
    _write_json(os.path.join(path, CONFIG_FILE), spec)
    _write_json(os.path.join(path, METADATA_FILE), _metadata(model, path, info, metadata))
    return path


def _metadata(model, path, info, extra):
    generator = model.generator
    shape = list(generator.data_shape)
    optimizer = getattr(model, "g_optimizer", None)
    files = [CONFIG_FILE, *sorted(os.path.basename(f) for f in glob.glob(
        os.path.join(path, "*" + WEIGHTS_SUFFIX)))]
    return {
        "name": os.path.basename(os.path.normpath(path)),
        "family": type(model).registered_name,
        "dataset": info.name if info else None,
        "data_shape": shape,
        "resolution": shape[0] if len(shape) == 3 else None,
        "latent_dim": getattr(generator, "latent_dim", None),
        "num_classes": generator.num_classes,
        "ema": model.ema_generator is not None,
        "steps": int(optimizer.iterations.numpy()) if optimizer is not None else None,
        "license": DEFAULT_LICENSE,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "versions": {"keras": keras.__version__, "tensorflow": _tf_version()},
        **(extra or {}),
        "files": {f: sha256_of(os.path.join(path, f)) for f in files},
    }


def _tf_version():
    import tensorflow as tf

    return tf.__version__


def _write_json(path, values):
    with open(path, "w") as f:
        json.dump(values, f, indent=2, sort_keys=False)
        f.write("\n")


def _archive(folder, path):
    """Packs ``folder`` (as its top-level directory) into a .tar.gz/.tgz or .zip at ``path``."""
    name = os.path.basename(folder)
    if path.endswith(".zip"):
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for filename in sorted(os.listdir(folder)):
                archive.write(os.path.join(folder, filename), f"{name}/{filename}")
    else:
        with tarfile.open(path, "w:gz") as archive:
            archive.add(folder, arcname=name)


def write_index(folder=PRETRAINED_DIR):
    """Rewrites ``folder``/index.json: {preset: {file: sha256}} for every preset in it."""
    index = {}
    for name in sorted(os.listdir(folder)):
        preset = os.path.join(folder, name)
        if os.path.isfile(os.path.join(preset, METADATA_FILE)):
            with open(os.path.join(preset, METADATA_FILE)) as f:
                files = json.load(f)["files"]
            index[name] = {"files": {METADATA_FILE: sha256_of(os.path.join(preset, METADATA_FILE)),
                                     **files}}
    _write_json(os.path.join(folder, INDEX_FILE), index)
    return index


# ---- loading -----------------------------------------------------------------------------
def _build_network(entry):
    return NETWORKS.get(entry["network"]).from_config(entry["config"]).build_for_data()


def load_generator(source, sha256=None, ema=True):
    """A ready ``keras.Model`` generator: G(z), or G([z, labels]) if conditional.

    ``source`` is a preset (shipped name, folder, archive URL) or a training run
    directory (its newest checkpoint). The EMA weights are used when there are some
    (``ema=False`` for the raw ones).
    """
    if runs.is_run_dir(source):
        model = runs.load_run(source)
        return model.sampling_generator() if ema else model.generator
    folder, spec, _ = open_preset(source, sha256)
    generator = _build_network(spec["generator"])
    weights = os.path.join(folder, WEIGHT_FILES["ema_generator"])
    if not (ema and os.path.isfile(weights)):
        weights = os.path.join(folder, WEIGHT_FILES["generator"])
    generator.load_weights(weights)
    return generator


def load_preset(source, sha256=None):
    """The whole family model, compiled with its recipe's optimizers, to keep training.

    A preset saved without discriminator weights gets a freshly initialized one (warned);
    networks the preset does not hold are listed in ``model.untrained_networks``.
    """
    folder, spec, _ = open_preset(source, sha256)
    generator = _build_network(spec["generator"])
    discriminator = _build_network(spec["discriminator"])
    model = FAMILIES.get(spec["family"])(generator, discriminator, **spec["family_args"])
    train = (config_lib.from_dict(spec["recipe"]).train if spec["recipe"]
             else config_lib.TrainConfig())
    model.compile(g_optimizer=build_optimizer(train, train.g_lr),
                  d_optimizer=build_optimizer(train, train.d_lr))
    missing = []
    for role, network in model.saved_networks().items():
        path = os.path.join(folder, weight_file(role))
        if network is not None and os.path.isfile(path):
            network.load_weights(path)
        elif network is not None:
            missing.append(role)
    model.untrained_networks = [model.saved_networks()[role] for role in missing]
    if any(map(is_discriminator, missing)):
        warnings.warn(f"Preset {source} has no discriminator weights: the discriminator "
                      "starts from scratch.", stacklevel=2)
    return model


def load_family(source, sha256=None):
    """The family model of a run directory (newest checkpoint) or of a preset."""
    return runs.load_run(source) if runs.is_run_dir(source) else load_preset(source, sha256)


def shipped_presets():
    """{name: metadata} of the presets shipped in ganzoo/pretrained/."""
    found = {}
    for name in runs.shipped_index():
        with open(os.path.join(PRETRAINED_DIR, name, METADATA_FILE)) as f:
            found[name] = json.load(f)
    return found


def describe(metadata):
    """One line for ``ganzoo list presets``: family, dataset, metrics."""
    metrics = metadata.get("metrics", {})
    values = " ".join(f"{k}={v:.3g}" for k, v in metrics.items() if isinstance(v, (int, float)))
    return f"pretrained: {metadata['family']} on {metadata['dataset']}  {values}"
