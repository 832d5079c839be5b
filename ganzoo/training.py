"""The training loop: run directory, step loop, checkpoints and resume, sample grids,
TensorBoard.

A run directory holds:
    config.yaml                  the resolved config (defaults < recipe < flags)
    model.json                   what the data decided: shape, classes, dataset name
    checkpoints/step_NNNNNN.weights.h5   full training state (networks, EMA, both
                                 optimizers, seed generators, step), newest K kept;
                                 see ganzoo/checkpointing.py
    samples/step_NNNNNN.png      a sample grid (or 2-D scatter) per epoch
    logs/                        TensorBoard: scalars every train.log_every steps, sample
                                 grids, hyperparameters (see ganzoo/progress.py)
    stats.jsonl                  the same scalars, one JSON object per log interval
"""

import contextlib
import dataclasses
import json
import math
import os
import signal

import keras
import tensorflow as tf
import yaml

from ganzoo import locking, progress, runtime
from ganzoo.factory import build_family
from ganzoo.checkpointing import (Checkpoint, Preempted, PreemptionGuard, StepCallback,
                                  newest_intact, restore_latest, stored_config)
from ganzoo.data import open_batches
from ganzoo.metrics.callback import FID


class Preview(StepCallback):
    """After every epoch, samples/step_NNNNNN.png: the family's preview (a sample grid, a
    2-D scatter, a translation grid) of inputs fixed for the whole run."""

    def __init__(self, run_dir, inputs):
        super().__init__()
        self.folder = os.path.join(run_dir, "samples")
        self.inputs = inputs

    def on_epoch_end(self, epoch, logs=None):
        self.model.preview(self.inputs, os.path.join(self.folder, f"step_{self.step:06d}.png"))


def write_run_files(run_dir, config, info):
    os.makedirs(run_dir, exist_ok=True)
    with open(os.path.join(run_dir, "config.yaml"), "w") as f:
        f.write(config.to_yaml())
    with open(os.path.join(run_dir, "model.json"), "w") as f:
        json.dump(dataclasses.asdict(info), f, indent=2)


# config keys a resume may change; any other key must equal the checkpoint's, since the
# stored weights and optimizer state only mean something under the config that made them
RESUMABLE = ("train.steps", "train.checkpoint_every", "train.keep_checkpoints",
             "train.sample_grid", "train.fid_every", "train.fid_samples", "train.fid_extractor",
             "train.strategy", "train.log_every", "data.data_dir", "data.cache")


def _flat(values, prefix=""):
    """{"train.steps": 10, ...} of a nested dict."""
    flat = {}
    for key, value in values.items():
        if isinstance(value, dict) and value:
            flat.update(_flat(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def check_resume(run_dir, config):
    """The step of the run's newest intact checkpoint (0: none), after refusing a config it
    was not trained with (a key outside ``RESUMABLE``) or one that ends before that step."""
    found = newest_intact(run_dir)
    if found is None:
        return 0
    step, path = found
    old = _flat(yaml.safe_load(stored_config(path)))
    new = _flat(yaml.safe_load(config.to_yaml()))
    for key in sorted(set(old) & set(new) - set(RESUMABLE)):
        if old[key] != new[key]:
            raise ValueError(f"{key} is {new[key]!r} but {run_dir} was trained with "
                             f"{old[key]!r}: train into another --out, or drop that change "
                             "to resume this run.")
    if step > config.train.steps:
        raise ValueError(f"train.steps is {config.train.steps} but {run_dir} is at step {step}: "
                         f"pass --steps {step} or more to continue it.")
    return step


class TrainingDiverged(ValueError):
    """A loss became NaN or infinite; the run keeps its last finite checkpoint."""


class StopOnNonFinite(StepCallback):
    """Stops training at the first non-finite loss, before ``Checkpoint`` (the next
    callback) could save the diverged weights."""

    def __init__(self, run_dir, checkpoint, start):
        super().__init__()
        self.run_dir, self.checkpoint, self.start = run_dir, checkpoint, start

    def on_train_batch_end(self, batch, logs=None):
        super().on_train_batch_end(batch, logs)
        for name, value in (logs or {}).items():
            value = float(value)
            if not math.isfinite(value):
                kept = self.checkpoint.saved_step or self.start
                raise TrainingDiverged(
                    f"{name} is {value} at step {self.step}: training stopped; {self.run_dir} "
                    f"keeps {f'its checkpoint of step {kept}' if kept else 'no checkpoint'}. "
                    "Lower the learning rates or check the data.")


def replica_row_order(d_steps, replicas):
    """A function that reorders the rows of a global batch tensor so that every replica's
    i-th discriminator chunk is its share of the global i-th chunk ([d_steps, replicas,
    rows] -> [replicas, d_steps, rows]): with d_steps > 1, 1 or N replicas then update D on
    the same examples. None when there is nothing to reorder."""
    if d_steps == 1 or replicas == 1:
        return None

    def reorder(tensor):
        rows = tensor.shape[0] // (d_steps * replicas)
        split = tf.reshape(tensor, [d_steps, replicas, rows, *tensor.shape[1:]])
        order = [1, 0, 2, *range(3, len(split.shape))]
        return tf.reshape(tf.transpose(split, order), tensor.shape)

    return reorder


def replica_state_sync(model):
    """A tf.function that sets each replica-local float variable (aggregation "none",
    not trained: Keras 3's batch-norm moving statistics, spectral-norm vectors) to its
    mean over all replicas, or None when there are no such variables or one replica.

    Keras 3 updates those per replica, so without this the replicas (and workers) drift
    apart and a checkpoint holds replica 0's statistics only.
    """
    strategy = model.distribute_strategy
    local = [v for v in model.non_trainable_variables
             if v.aggregation == "none" and "float" in str(v.dtype)]
    if strategy.num_replicas_in_sync == 1 or not local:
        return None

    @tf.function
    def average():
        values = strategy.run(lambda: [tf.identity(v.value) for v in local])
        for variable, value in zip(local, values):
            variable.assign(strategy.reduce(tf.distribute.ReduceOp.MEAN, value, axis=None))

    return average


def train_function(model):
    """``iterator -> logs``: one training step, then ``replica_state_sync``. The step is
    Keras' own compiled ``train_function``, except under MultiWorkerMirroredStrategy, where
    Keras 3.15 reduces the scalar logs along axis 0 and fails ("Invalid reduction dimension
    0 for input with 0 dimensions"); there the same ``train_step`` runs from a
    ``strategy.run`` step."""
    strategy = model.distribute_strategy
    if runtime.is_multi_worker(strategy):
        @tf.function(reduce_retracing=True)
        def keras_step(iterator):
            logs = strategy.run(model.train_step, args=(next(iterator),))
            return {name: strategy.reduce("MEAN", value, axis=None)
                    for name, value in logs.items()}
    else:
        model.make_train_function()
        keras_step = model.train_function
    sync = replica_state_sync(model)
    if sync is None:
        return keras_step

    def step(iterator):
        logs = keras_step(iterator)
        sync()
        return logs

    return step


def run_steps(model, data, start, steps, steps_per_epoch, callbacks):
    """Runs train steps ``start`` .. ``steps - 1`` (see ``train_function``).

    Like ``fit``, but counted in steps: epoch e is steps [e * steps_per_epoch, (e + 1) *
    steps_per_epoch), so a run resumed mid-epoch continues that epoch where it stopped
    and ends exactly at ``steps``. ``data``, a dataset or an iterator over the model's
    strategy's distribution of one (``ganzoo.data.batches``), must already be
    positioned at ``start``.
    """
    strategy = model.distribute_strategy
    iterator = (iter(strategy.experimental_distribute_dataset(data))
                if isinstance(data, tf.data.Dataset) else data)
    callback_list = keras.callbacks.CallbackList(
        callbacks, add_history=True, add_progbar=False, epochs=math.ceil(steps / steps_per_epoch),
        steps=steps_per_epoch, model=model)
    model.stop_training = False
    step_function = train_function(model)
    callback_list.on_train_begin()
    logs, step = {}, start
    while step < steps and not model.stop_training:
        epoch = step // steps_per_epoch
        model.reset_metrics()
        callback_list.on_epoch_begin(epoch)
        for batch in range(step - epoch * steps_per_epoch,
                           min(steps_per_epoch, steps - epoch * steps_per_epoch)):
            callback_list.on_train_batch_begin(batch)
            logs = step_function(iterator)
            step += 1
            callback_list.on_train_batch_end(batch, logs)
            if model.stop_training:
                break
        if not model.stop_training:
            callback_list.on_epoch_end(epoch, {k: float(v) for k, v in logs.items()})
    callback_list.on_train_end(logs)


def train(config, run_dir, verbose="auto", recipe=None, initialize=None):
    """Trains ``config`` in ``run_dir``, resuming from its newest intact checkpoint.

    Args:
        config: the resolved ``GanConfig``.
        run_dir: str, the run directory (created if missing).
        verbose: "auto" (default: the progress line is rewritten in place on a terminal,
            plain lines every ``train.log_every`` steps otherwise), 2 (plain lines always)
            or 0 (no start line, no progress).
        recipe: str, the recipe's name for the start line (default: the run directory's).
        initialize: callable(model) -> str, run on the freshly built model when the run has
            no checkpoint yet, before any file is written (transfer learning:
            ``ganzoo.transfer.initializer``); what it returns, if anything, is printed.
            Default None.

    The dataset is ``config.data.name``; data passed from Python is one too while
    ``ganzoo.data.arrays.registered`` holds it (``ganzoo.train`` does that).

    SIGTERM / SIGINT write a checkpoint at the next step boundary and raise
    ``Preempted`` (a SystemExit with status 128 + signal number).
    """
    runtime.set_precision(config.train.precision)
    strategy = runtime.make_strategy(config.train.strategy)
    chief = runtime.is_chief(strategy)
    with locking.folder_lock(run_dir) if chief else contextlib.nullcontext():
        return _train_locked(config, run_dir, strategy, chief, verbose, recipe, initialize)


def _train_locked(config, run_dir, strategy, chief, verbose, recipe, initialize):
    """``train`` while the chief holds the run directory's lock; config.yaml and model.json
    are written only once the config was checked against the run's checkpoint."""
    keras.utils.set_random_seed(config.train.seed)  # same seed, same initial weights
    d_steps = config.family_args["d_steps"]
    replicas = strategy.num_replicas_in_sync
    if config.data.batch_size % replicas:
        raise ValueError(f"data.batch_size {config.data.batch_size} does not split evenly over "
                         f"{replicas} replicas: use a multiple of {replicas}.")
    batches, info = open_batches(config.data, config.data.batch_size * d_steps,
                                 seed=config.train.seed)
    check_resume(run_dir, config)
    with strategy.scope():
        model = build_family(config, info)
    model.check_data(batches.element_spec)
    step = restore_latest(model, run_dir)
    if initialize and not step:
        initialized = initialize(model)
        if chief and verbose and initialized:
            print(initialized)
    if chief:
        write_run_files(run_dir, config, info)
    if chief and verbose:
        print(progress.describe_run(recipe or os.path.basename(os.path.normpath(run_dir)),
                                    config, model, strategy, run_dir), flush=True)
    if step:
        print(f"Resuming {run_dir} from step {step}.")
    distributed = batches.distribute(  # from the step's batch on: the step is the position
        strategy, step, replica_row_order(d_steps, replicas))
    iterator = iter(runtime.on_input_device(distributed, config.train.strategy))
    with PreemptionGuard() as guard:
        checkpoint = Checkpoint(run_dir, config.train.checkpoint_every,
                                config.train.keep_checkpoints, config.to_yaml(), guard,
                                runtime.stop_vote(strategy), chief)
        finite = StopOnNonFinite(run_dir, checkpoint, step)
        callbacks = [
            finite,
            checkpoint,
            Preview(run_dir, model.preview_inputs(config.data, config.train.sample_grid)),
            progress.RunLog(run_dir, config, config.data.batch_size * d_steps, step),
            *([FID(run_dir, config, info)] if config.train.fid_every else []),
            *([progress.Progress(config.train.steps, config.data.batch_size * d_steps,
                                 config.train.log_every, None if verbose == "auto" else False)]
              if verbose else []),
        ] if chief else [finite, checkpoint]
        if step < config.train.steps:
            run_steps(model, iterator, step, config.train.steps, config.train.steps_per_epoch,
                      callbacks)
    if checkpoint.preempted:
        raise Preempted(guard.signum or signal.SIGTERM, checkpoint.step)
    return model
