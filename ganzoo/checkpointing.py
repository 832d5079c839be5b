"""Crash-safe full-state checkpoints and preemption handling.

A checkpoint is ``checkpoints/step_NNNNNN.weights.h5``: Keras' ``save_weights`` file
(generator, discriminator, EMA generator, both optimizers with their slots, iterations
and loss-scale state, batch-norm statistics) plus what ganzoo adds: the states of the
seed generators (``save_weights`` skips them; without them a resumed run draws other
noise), and root attributes with the step (train steps taken = batches consumed), the
resolved config as YAML, and a sha256 over every array, the step and the config (a
flipped bit anywhere a resume reads is caught). The file is written
to a temporary name, fsync'ed and renamed, so a crash never leaves a half-written
checkpoint under a real name; a file whose digest does not match (truncated, corrupt)
is reported and the previous checkpoint is used instead.

The step is also the input's position: ``ganzoo.data.batches`` gives the batches from any
step without reading the consumed ones (data read by index), so a checkpoint holds no
iterator state (TF 2.21's iterators of ``tf.distribute`` datasets cannot be checkpointed).
Checkpoints of earlier ganzoo versions that stored an iterator state (``INPUT_GROUP``) still
load; the group is ignored.
"""

import contextlib
import glob
import hashlib
import os
import re
import signal
import tempfile
import threading
import warnings

import h5py
import keras

CHECKPOINT_PATTERN = re.compile(r"step_(\d+)\.weights\.h5$")
TEMP_SUFFIX = ".tmp.weights.h5"
SEED_GROUP = "ganzoo_seed_generators"
INPUT_GROUP = "ganzoo_input_iterator"  # an iterator state older checkpoints hold (ignored)
DIGEST_VERSION = 2  # the digest covers the step and config too


class CheckpointError(ValueError):
    """No usable checkpoint, or one that does not fit the model being built."""


def checkpoints(run_dir):
    """[(step, path)] of a run's checkpoints, oldest first."""
    found = []
    for path in glob.glob(os.path.join(run_dir, "checkpoints", "step_*.weights.h5")):
        match = CHECKPOINT_PATTERN.search(path)
        if match:  # not a temporary file: "step_N.tmp.weights.h5" does not match
            found.append((int(match.group(1)), path))
    return sorted(found)


def _datasets(h5file):
    """{name: array} of every dataset in an open HDF5 file."""
    found = {}
    h5file.visititems(lambda name, obj: found.__setitem__(name, obj[()])
                      if isinstance(obj, h5py.Dataset) else None)
    return found


def arrays(path):
    """{name: array} of the training state a checkpoint holds (weights, slots, seed
    states), without the ignored ``INPUT_GROUP`` of older checkpoints."""
    with h5py.File(path, "r") as f:
        return {name: array for name, array in _datasets(f).items()
                if not name.startswith(INPUT_GROUP + "/")}


def _digest(h5file, fields=True):
    """sha256 over every dataset's name and bytes, in a fixed order, then (``fields``) the
    stored step and config: every field a resume reads. Checkpoints of ganzoo before
    ``DIGEST_VERSION`` 2 covered the arrays only; they are still checked that way."""
    sha = hashlib.sha256()
    for name, array in sorted(_datasets(h5file).items()):
        sha.update(name.encode())
        sha.update(array.tobytes())
    for attr in ("ganzoo_step", "ganzoo_config") if fields else ():
        sha.update(f"{attr}={h5file.attrs[attr]}".encode())
    return sha.hexdigest()


def _seed_states(model):
    """The state variables of every ``keras.random.SeedGenerator`` in the model (the
    family's noise, dropout): ``save_weights`` leaves them out, ganzoo adds them."""
    return [v for v in model.variables if v.path.endswith("seed_generator_state")]


def _fsync(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def save(model, folder, step, config_yaml):
    """Writes ``folder/step_NNNNNN.weights.h5`` atomically and returns its path."""
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f"step_{step:06d}.weights.h5")
    tmp = path[:-len(".weights.h5")] + TEMP_SUFFIX
    model.save_weights(tmp)
    with h5py.File(tmp, "a") as f:
        for i, state in enumerate(_seed_states(model)):
            f[f"{SEED_GROUP}/{i}"] = keras.ops.convert_to_numpy(state.value)
        f.attrs["ganzoo_step"] = step
        f.attrs["ganzoo_config"] = config_yaml
        f.attrs["ganzoo_digest_version"] = DIGEST_VERSION
        f.attrs["ganzoo_sha256"] = _digest(f)
    _fsync(tmp)
    os.replace(tmp, path)
    _fsync(folder)
    return path


def prune(run_dir, keep):
    """Deletes all but the newest ``keep`` checkpoints and any leftover temporary files."""
    for _, old in checkpoints(run_dir)[:-keep]:
        os.remove(old)
    for tmp in glob.glob(os.path.join(run_dir, "checkpoints", "*" + TEMP_SUFFIX)):
        os.remove(tmp)


def verify(path):
    """The step of a complete, intact checkpoint; CheckpointError says what is wrong."""
    try:
        with h5py.File(path, "r") as f:
            if "ganzoo_sha256" not in f.attrs:
                raise CheckpointError(f"{path} is incomplete (no ganzoo digest).")
            if _digest(f, "ganzoo_digest_version" in f.attrs) != f.attrs["ganzoo_sha256"]:
                raise CheckpointError(f"{path} is corrupt (sha256 mismatch).")
            return int(f.attrs["ganzoo_step"])
    except (OSError, KeyError, RuntimeError) as error:
        raise CheckpointError(f"{path} is truncated or not an HDF5 file ({error}).") from None


def stored_config(path):
    """The config YAML recorded in an intact checkpoint."""
    with h5py.File(path, "r") as f:
        return str(f.attrs["ganzoo_config"])


def newest_intact(run_dir):
    """(step, path) of the newest checkpoint that verifies, or None."""
    for _, path in reversed(checkpoints(run_dir)):
        try:
            return verify(path), path
        except CheckpointError:
            continue
    return None


def _load_seed_states(model, path):
    states = _seed_states(model)
    with h5py.File(path, "r") as f:
        saved = f.get(SEED_GROUP, {})
        if len(saved) != len(states):
            raise ValueError(f"{len(saved)} saved random states for {len(states)} seed generators")
        for i, state in enumerate(states):
            state.assign(saved[str(i)][()])


def restore_latest(model, run_dir):
    """Loads the newest intact checkpoint into ``model`` and returns its step (0: none).

    A corrupt or truncated checkpoint is reported with a warning and skipped in favour
    of the previous one; a checkpoint that is intact but does not fit the model (the
    run was trained with another config) is an error.
    """
    for _, path in reversed(checkpoints(run_dir)):
        try:
            step = verify(path)
        except CheckpointError as error:
            warnings.warn(f"{error} Falling back to the previous checkpoint.", stacklevel=2)
            continue
        try:
            model.load_weights(path)
            _load_seed_states(model, path)
        except ValueError as error:
            first_line = str(error).strip().splitlines()[0]
            raise CheckpointError(
                f"{path} does not fit this model ({first_line}); train in a new run "
                "directory or resume with the run's own config.yaml.") from None
        return step
    if checkpoints(run_dir):
        raise CheckpointError(f"Every checkpoint in {run_dir}/checkpoints is unusable; "
                              "delete them to start the run over.")
    return 0


class PreemptionGuard(contextlib.AbstractContextManager):
    """Within it, SIGTERM and SIGINT only set ``signum``; training then checkpoints at the
    next step boundary and stops. A second signal acts as usual (e.g. Ctrl-C twice)."""

    SIGNALS = (signal.SIGTERM, signal.SIGINT)

    def __init__(self):
        self.signum = None
        self._previous = {}

    def _handle(self, signum, frame):
        self.signum = signum
        signal.signal(signum, self._previous[signum])

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():  # else Python refuses
            for signum in self.SIGNALS:
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc):
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        return False


class Preempted(SystemExit):
    """Training stopped on a signal after writing a checkpoint; exit status 128 + signal."""

    def __init__(self, signum, step):
        super().__init__(128 + signum)
        self.step = step


class StepCallback(keras.callbacks.Callback):
    """A callback that knows ``self.step``, the number of train steps taken, with epochs of
    ``params["steps"]`` steps as ``training.run_steps`` (and ``fit``) count them."""

    epoch = step = 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        self.step = self.epoch * self.params["steps"] + batch + 1


class Checkpoint(StepCallback):
    """Saves every ``every`` steps, on a preemption signal and at the end; keeps ``keep``.

    Only the chief writes ``run_dir``; other workers must take part in each save (reading
    distributed variables may need collectives), so they write to a temporary folder
    that is deleted at once. ``should_stop(flag)`` turns this process' signal flag into
    the decision of all workers (see ``runtime.stop_vote``).
    """

    def __init__(self, run_dir, every, keep, config_yaml, guard, should_stop=bool,
                 chief=True):
        super().__init__()
        self.run_dir, self.every, self.keep, self.config_yaml = run_dir, every, keep, config_yaml
        self.guard, self.should_stop, self.chief = guard, should_stop, chief
        self.saved_step, self.preempted = None, False

    def save(self):
        if self.saved_step == self.step:
            return
        if self.chief:
            save(self.model, os.path.join(self.run_dir, "checkpoints"), self.step,
                 self.config_yaml)
            prune(self.run_dir, self.keep)
        else:
            with tempfile.TemporaryDirectory() as scratch:
                save(self.model, scratch, self.step, self.config_yaml)
        self.saved_step = self.step

    def on_train_batch_end(self, batch, logs=None):
        super().on_train_batch_end(batch, logs)
        if self.step % self.every == 0:
            self.save()
        if self.should_stop(self.guard.signum is not None):
            self.save()
            self.preempted = True
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        self.save()
