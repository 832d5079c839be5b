"""The Python API: ``ganzoo.build`` and ``ganzoo.train``, what ``ganzoo train`` does.

    family = ganzoo.build("dcgan_digits", data=images)          # a compiled keras.Model
    family = ganzoo.train(family, data=images, run_dir="runs/mine", steps=2000)
    family.sample(16)                                            # numpy images in [-1, 1]

``data`` is a dataset name (as ``--dataset`` takes it), numpy images (and labels), a
``tf.data.Dataset`` or a ``ganzoo.data.arrays.UserData``. Training writes the run directory
that the CLI writes (config, checkpoints, sample grids, TensorBoard logs, FID with
``train.fid_every``) and resumes from its newest checkpoint; data from Python is checked
against the model on its first batch (see ``ganzoo/data/arrays.py``).
"""

import contextlib
import os

import keras
import tensorflow as tf

from ganzoo import config as config_lib
from ganzoo import runs, training, transfer
from ganzoo.factory import build_family
from ganzoo.data import arrays, load_dataset
from ganzoo.registry import FAMILIES, unknown_name, zoo_config_path, zoo_configs

__all__ = ["build", "train"]

PYTHON_DATA = (arrays.UserData, tf.data.Dataset, tuple, list)


def _is_python_data(data):
    return isinstance(data, PYTHON_DATA) or hasattr(data, "__array__")


def resolve(recipe):
    """(recipe name, GanConfig) of a family name (its default recipe), a recipe name, a
    YAML file, a run directory (its config) or a GanConfig."""
    if isinstance(recipe, config_lib.GanConfig):
        return recipe.family, config_lib.from_dict(recipe.to_dict())
    name = os.fspath(recipe)
    if runs.is_run_dir(name):
        return os.path.basename(os.path.normpath(name)), runs.read_run(name)[0]
    if name.endswith((".yaml", ".yml")):
        return os.path.splitext(os.path.basename(name))[0], config_lib.load_yaml(name)
    if name in FAMILIES:
        name = FAMILIES.get(name).default_preset or name
    if name not in zoo_configs():
        raise ValueError(unknown_name("family or recipe", name, [*FAMILIES.names(),
                                                                 *zoo_configs()])
                         + " Or a recipe .yaml, a run directory or a ganzoo.GanConfig.")
    return name, config_lib.load_yaml(zoo_config_path(name))


def _with_data(config, data, overrides):
    """(config with ``overrides`` and the data's name, the user's data Source or None)."""
    source = None
    changes = dict(overrides or {})
    if isinstance(data, str):
        changes["data.name"] = data
    elif data is not None:
        if not _is_python_data(data):
            raise ValueError(f"data is a {type(data).__name__}: pass a dataset name, numpy "
                             "images (and labels), a tf.data.Dataset or a UserData.")
        source = arrays.Source(data if isinstance(data, arrays.UserData)
                               else arrays.UserData(data))
        changes["data.name"] = source.name
    return config_lib.override(config, changes) if changes else config, source


def _model_shape(config, source):
    """The per-example shape a model built from ``config`` for ``source`` takes: points
    as they are, images at the resolution (one channel if they have no channel axis)."""
    if len(source.shape) == 1:
        return source.shape
    channels = source.shape[-1] if len(source.shape) == 3 else 1
    return (config.data.resolution, config.data.resolution, channels)


def _check(source, config, shape, num_classes):
    """``arrays.check_fit`` for the family of ``config`` (labels only where it takes them)."""
    family = FAMILIES.get(config.family)
    takes_labels = family.conditional or family.aux_classifier
    arrays.check_fit(source, tuple(shape), num_classes if takes_labels else None,
                     family.semi_supervised)


def build(recipe="dcgan", overrides=None, data=None, init_from=None):
    """A compiled family model (a ``keras.Model``: ``.generator``, ``.discriminator``,
    ``.sample(n)``) for ``ganzoo.train`` or ``fit``.

    Args:
        recipe: a family name (its default recipe), a recipe name (``ganzoo list
            presets``), a recipe .yaml, a run directory (its config) or a ``GanConfig``.
            Default "dcgan".
        overrides (dict, default None): config values by dotted key, as ``--set`` takes
            them: ``{"train.steps": 500, "data.resolution": 28}``.
        data: what the model is for (its shape and classes): a dataset name, numpy images
            (and labels), a ``tf.data.Dataset`` or a ``UserData``. Default the recipe's
            dataset.
        init_from (str, default None): a preset (shipped name, folder, archive URL) or a
            run directory whose G, EMA G and D weights the model starts from.
    """
    name, config = resolve(recipe)
    config, source = _with_data(config, data, overrides)
    if source is not None:
        _check(source, config, _model_shape(config, source), source.num_classes)
    with arrays.registered(source) if source else contextlib.nullcontext():
        _, info = load_dataset(config.data, config.data.batch_size, seed=config.train.seed)
    keras.utils.set_random_seed(config.train.seed)  # the weights training would start from
    family = build_family(config, info)
    if init_from is not None:
        transfer.initializer(init_from)(family)
    return _labelled(family, name, config)


def _labelled(family, recipe, config):
    """``family`` carrying the recipe and config that ``train`` continues from."""
    family.ganzoo_recipe, family.ganzoo_config = recipe, config
    return family


def _default_run_dir(recipe, config):
    name = config.data.name.removeprefix(arrays.PREFIX).split(":")[-1]
    short = os.path.basename(os.path.normpath(name)) or "data"
    return os.path.join("runs", recipe if short in recipe else f"{recipe}-{short}")


def train(model="dcgan", data=None, run_dir=None, steps=None, overrides=None, init_from=None,
          verbose="auto"):
    """Trains, or resumes, a run; returns the trained family model.

    Args:
        model: a family model from ``ganzoo.build`` (training starts from its weights),
            or what ``build`` takes as ``recipe``; a run directory resumes that run.
            Default "dcgan".
        data: a dataset name, numpy images [N, H, W, C] float in [-1, 1] (or a tuple
            ``(images, labels)``), a ``tf.data.Dataset`` of ``x`` or ``(x, y)`` (batched
            or not) or a ``ganzoo.data.arrays.UserData``. Default the recipe's dataset.
            Python data is checked against the model on its first batch.
        run_dir (str, default ``runs/<recipe>[-<data>]``; a run directory ``model``: that
            one): where config, checkpoints, samples and logs go. A run directory with a
            checkpoint is resumed (with the same data).
        steps (int, default the recipe's): train up to this many steps in all.
        overrides (dict, default None): config values by dotted key, as ``--set``.
        init_from (str, default None): start from this preset's or run's G, EMA G and D
            weights (fresh optimizers, step 0); see ``ganzoo.transfer``.
        verbose: "auto", 2 or 0, as ``ganzoo.training.train``.
    """
    built = model if isinstance(model, keras.Model) else None
    if built is not None and not hasattr(built, "ganzoo_config"):
        raise ValueError("model is a keras.Model that ganzoo.build did not make: pass a "
                         "recipe name or a model from ganzoo.build.")
    recipe, config = ((built.ganzoo_recipe, built.ganzoo_config) if built is not None
                      else resolve(model))
    if run_dir is None and isinstance(model, (str, os.PathLike)) and runs.is_run_dir(model):
        run_dir = os.fspath(model)
    config, source = _with_data(config, data, {**(overrides or {}),
                                               **({"train.steps": steps} if steps else {})})
    if source is not None:
        shape = built.generator.data_shape if built is not None else _model_shape(config, source)
        classes = ((built.generator.num_classes or built.discriminator.aux_classes)
                   if built is not None else source.num_classes)
        _check(source, config, shape, classes)
    initialize = (transfer.initializer(init_from) if init_from is not None
                  else transfer.from_model(built) if built is not None else None)
    run_dir = run_dir or _default_run_dir(recipe, config)
    with arrays.registered(source) if source else contextlib.nullcontext():
        return _labelled(training.train(config, run_dir, verbose, recipe, initialize), recipe,
                         config)
