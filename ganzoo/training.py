"""The fit-loop glue: run directory, checkpoints and resume, sample grids, TensorBoard.

A run directory holds:
    config.yaml                  the resolved config (defaults < recipe < flags)
    model.json                   what the data decided: shape, classes, dataset name
    checkpoints/step_NNNNNN.weights.h5   full training state (networks, EMA,
                                 both optimizers, seed generator), newest K kept
    samples/step_NNNNNN.png      a sample grid (or 2-D scatter) per epoch
    logs/                        TensorBoard scalars
"""

import dataclasses
import glob
import json
import math
import os
import re

import keras
import numpy as np
import yaml

from ganzoo import config as config_lib
from ganzoo import images, runtime
from ganzoo.build import build_family
from ganzoo.data import DatasetInfo, load_dataset

CHECKPOINT_PATTERN = re.compile(r"step_(\d+)\.weights\.h5$")


def checkpoints(run_dir):
    """[(step, path)] of a run's checkpoints, oldest first."""
    found = []
    for path in glob.glob(os.path.join(run_dir, "checkpoints", "step_*.weights.h5")):
        match = CHECKPOINT_PATTERN.search(path)
        if match:
            found.append((int(match.group(1)), path))
    return sorted(found)


def fixed_latents(model, n, seed=0):
    """The same latents (and class labels, column = class) for every sample grid."""
    z = np.random.default_rng(seed).standard_normal((n, model.latent_dim)).astype(np.float32)
    classes = model.generator.num_classes
    if not classes:
        return z
    return [z, (np.arange(n) % classes).astype(np.int32)]


def sample(model, n=64, seed=0):
    """n samples from the sampling (EMA when present) generator, as numpy."""
    return keras.ops.convert_to_numpy(model.sampling_generator()(fixed_latents(model, n, seed)))


class Checkpoint(keras.callbacks.Callback):
    """Writes the full training state every ``every`` steps and at the end, atomically
    (temp file + rename), keeping the newest ``keep``."""

    def __init__(self, run_dir, every, keep):
        super().__init__()
        self.folder = os.path.join(run_dir, "checkpoints")
        self.every, self.keep = every, keep

    def step(self):
        return int(self.model.g_optimizer.iterations.numpy())

    def save(self):
        os.makedirs(self.folder, exist_ok=True)
        path = os.path.join(self.folder, f"step_{self.step():06d}.weights.h5")
        tmp = path + ".tmp.weights.h5"
        self.model.save_weights(tmp)
        os.replace(tmp, path)
        for _, old in checkpoints(os.path.dirname(self.folder))[:-self.keep]:
            os.remove(old)

    def on_train_batch_end(self, batch, logs=None):
        if self.step() % self.every == 0:
            self.save()

    def on_train_end(self, logs=None):
        self.save()


class SampleGrid(keras.callbacks.Callback):
    """Saves a PNG of fixed-latent samples after every epoch (a scatter for 2-D data)."""

    def __init__(self, run_dir, n, reference=None):
        super().__init__()
        self.folder = os.path.join(run_dir, "samples")
        self.n, self.reference = n, reference

    def on_epoch_end(self, epoch, logs=None):
        step = int(self.model.g_optimizer.iterations.numpy())
        columns = self.model.generator.num_classes or None
        images.save_samples(sample(self.model, self.n), os.path.join(
            self.folder, f"step_{step:06d}.png"), columns, self.reference)


def write_run_files(run_dir, config, info):
    os.makedirs(run_dir, exist_ok=True)
    with open(os.path.join(run_dir, "config.yaml"), "w") as f:
        f.write(config.to_yaml())
    with open(os.path.join(run_dir, "model.json"), "w") as f:
        json.dump(dataclasses.asdict(info), f, indent=2)


def read_run(run_dir):
    """(config, DatasetInfo) of a run directory; a clear error when it is not one."""
    config_path = os.path.join(run_dir, "config.yaml")
    if not os.path.isfile(config_path):
        raise FileNotFoundError(f"{run_dir} is not a ganzoo run directory (no config.yaml).")
    config = config_lib.load_yaml(config_path)
    with open(os.path.join(run_dir, "model.json")) as f:
        info = json.load(f)
    return config, DatasetInfo(**{**info, "shape": tuple(info["shape"])})


def load_run(run_dir):
    """The family model of a run with its newest checkpoint loaded."""
    config, info = read_run(run_dir)
    found = checkpoints(run_dir)
    if not found:
        raise FileNotFoundError(f"{run_dir} has no checkpoint yet: train it first.")
    model = build_family(config, info)
    model.load_weights(found[-1][1])
    return model


def train(config, run_dir, verbose="auto"):
    """Trains ``config`` in ``run_dir``, resuming from its newest checkpoint if any."""
    runtime.set_precision(config.train.precision)
    strategy = runtime.make_strategy(config.train.strategy)
    global_batch = config.data.batch_size * config.family_args["d_steps"]
    dataset, info = load_dataset(config.data, global_batch, seed=config.train.seed)
    write_run_files(run_dir, config, info)
    with strategy.scope():
        model = build_family(config, info)
    found = checkpoints(run_dir)
    if found:
        model.load_weights(found[-1][1])
        print(f"Resuming {run_dir} from step {found[-1][0]}.")
    step = int(model.g_optimizer.iterations.numpy())
    spe = config.train.steps_per_epoch
    epochs = math.ceil(config.train.steps / spe)
    reference = None
    if len(info.shape) == 1:
        reference = next(iter(load_dataset(config.data, 512, seed=1)[0]))
        reference = np.asarray(reference[0] if isinstance(reference, tuple) else reference)
    callbacks = [
        Checkpoint(run_dir, config.train.checkpoint_every, config.train.keep_checkpoints),
        SampleGrid(run_dir, config.train.sample_grid, reference),
        keras.callbacks.TensorBoard(os.path.join(run_dir, "logs")),
    ]
    if step < config.train.steps:
        model.fit(dataset, epochs=epochs, steps_per_epoch=spe, initial_epoch=step // spe,
                  callbacks=callbacks, verbose=verbose)
    return model

