"""What a person (and a machine) can follow of a training run: the start line, one progress
display for the whole run, and the logs.

``describe_run`` is the one line every run starts with. ``Progress`` counts global steps
(a resumed run continues its count) with images per second, the run's ETA and the losses:
one line rewritten in place on a terminal, plain lines every ``train.log_every`` steps
otherwise (a log file gets no escape codes). ``RunLog`` writes, every ``train.log_every``
steps at the global step, TensorBoard scalars (every loss term, the learning rates the
optimizers actually use, images per second) and one JSON object to ``stats.jsonl``; each
sample grid as an image summary; and the hyperparameters once per (re)start.
"""

import json
import os
import shutil
import sys
import time

import keras
import tensorflow as tf

from ganzoo.checkpointing import StepCallback


def count_params(network):
    """Number of weights (trainable or not) of a Keras network."""
    return sum(int(keras.ops.size(w)) for w in network.weights)


def _millions(count):
    return f"{count / 1e6:.2f}M" if count >= 1e5 else f"{count / 1e3:.1f}k"


def describe_devices(strategy):
    """``"1 x CPU"``, ``"2 x GPU (MirroredStrategy)"``: the devices a strategy trains on."""
    name = type(strategy).__name__
    if name.startswith("_Default"):  # one device: the first GPU when there is one
        return "1 x GPU" if tf.config.list_logical_devices("GPU") else "1 x CPU"
    devices = strategy.extended.worker_devices
    kinds = sorted({device.split("device:")[-1].split(":")[0] for device in devices})
    return f"{len(devices)} x {'+'.join(kinds)} ({name})"


def describe_run(recipe, config, model, strategy, run_dir):
    """The line a run starts with: recipe, dataset, resolution, sizes of G and D, batch,
    steps, devices and where it writes.

    Args:
        recipe: str, the recipe's name (a zoo preset, a YAML file's stem, a run directory).
        config: the resolved ``GanConfig``.
        model: the built family (its ``generator`` and ``discriminator`` are counted).
        strategy: the ``tf.distribute`` strategy it trains under.
        run_dir: str, the run directory.
    """
    shape = "x".join(map(str, model.generator.data_shape))
    return (f"ganzoo: {recipe} ({config.family}) on {config.data.name} {shape} | "
            f"G {_millions(count_params(model.generator))} params, "
            f"D {_millions(count_params(model.discriminator))} params | "
            f"batch {config.data.batch_size} | {config.train.steps} steps | "
            f"{describe_devices(strategy)} | {config.train.precision} -> {run_dir}")


def _clock(seconds):
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


class _Rate:
    """Steps per second since the end of the first step of this process (which includes
    tracing and compilation, so it would distort the rate)."""

    def __init__(self):
        self.first_step = self.first_time = None

    def update(self, step):
        if self.first_step is None:
            self.first_step, self.first_time = step, time.perf_counter()

    def per_second(self, step):
        elapsed = time.perf_counter() - (self.first_time or 0.0)
        if self.first_step is None or step <= self.first_step or elapsed <= 0:
            return None
        return (step - self.first_step) / elapsed


def _floats(logs):
    return {name: float(value) for name, value in (logs or {}).items()}


class Progress(StepCallback):
    """The run's progress: ``step 120/1500  8% | 310 img/s | ETA 1:23 | d_loss 1.21 ...``.

    Args:
        total: int, the global step it ends at (``train.steps``).
        images_per_step: int, real images one step consumes (the dataset's batch).
        every: int, steps between plain lines when not on a terminal.
        interactive: bool or None; True rewrites one line in place, False prints plain
            lines, None (default) decides by whether ``stream`` is a terminal.
        stream: where to write (default ``sys.stdout``).
    """

    REFRESH_SECONDS = 0.2

    def __init__(self, total, images_per_step, every, interactive=None, stream=None):
        super().__init__()
        self.total, self.images_per_step, self.every = total, images_per_step, every
        self.stream = stream or sys.stdout
        self.interactive = self.stream.isatty() if interactive is None else interactive
        self.rate, self.shown_step, self.shown_time, self.logs = _Rate(), None, 0.0, {}

    def line(self, step, logs):
        """The progress text at global ``step`` with the step's ``logs`` (floats)."""
        per_second = self.rate.per_second(step)
        parts = [f"step {step}/{self.total} {100 * step // max(self.total, 1):3d}%"]
        if per_second:
            parts.append(f"{per_second * self.images_per_step:.0f} img/s")
            parts.append(f"ETA {_clock((self.total - step) / per_second)}")
        parts.append(" ".join(f"{name} {value:.4g}" for name, value in logs.items()))
        return " | ".join(parts)

    def show(self, step, final=False):
        text = self.line(step, _floats(self.logs))
        if self.interactive:
            width = shutil.get_terminal_size((100, 20)).columns - 1
            self.stream.write("\r" + text[:width].ljust(width) + ("\n" if final else ""))
        else:
            self.stream.write(text + "\n")
        self.stream.flush()
        self.shown_step, self.shown_time = step, time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        super().on_train_batch_end(batch, logs)
        self.rate.update(self.step)
        self.logs = logs
        due = (time.perf_counter() - self.shown_time >= self.REFRESH_SECONDS if self.interactive
               else self.step % self.every == 0)
        if due:
            self.show(self.step)

    def on_train_end(self, logs=None):
        if self.step and (self.interactive or self.shown_step != self.step):
            self.show(self.step, final=True)


def flat_hparams(values, prefix=""):
    """{"train.g_lr": 0.0002, ...}: a nested config dict flattened to TensorBoard's
    hyperparameter types (bool, int, float, str)."""
    flat = {}
    for key, value in values.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flat_hparams(value, name + "."))
        else:
            flat[name] = value if isinstance(value, (bool, int, float, str)) else str(value)
    return flat


class RunLog(StepCallback):
    """TensorBoard logs and ``stats.jsonl`` of a run, at the global step.

    Every ``every`` steps and at the end: scalars of every loss term the family logs,
    ``lr/g`` and ``lr/d`` (the optimizers' current learning rates), ``images_per_second``,
    and the same as one JSON object per line of ``stats.jsonl``. After each epoch the
    preview ``samples/step_NNNNNN.png`` becomes the image summary ``samples``. At the
    start the resolved config as hyperparameters and as text.

    Args:
        run_dir: str, the run directory (logs go to ``run_dir/logs``).
        config: the resolved ``GanConfig``.
        images_per_step: int, real images one step consumes.
        start: int, the global step the run starts (or resumes) at.
    """

    def __init__(self, run_dir, config, images_per_step, start):
        super().__init__()
        self.run_dir, self.config, self.images_per_step = run_dir, config, images_per_step
        self.start = start
        self.every = config.train.log_every
        self.rate, self.logged_step, self.logs = _Rate(), None, {}

    def on_train_begin(self, logs=None):
        from tensorboard.plugins.hparams import api as hparams

        self.writer = tf.summary.create_file_writer(os.path.join(self.run_dir, "logs"))
        with self.writer.as_default():
            hparams.hparams(flat_hparams(self.config.to_dict()), trial_id=self.run_dir)
            tf.summary.text("config", f"```\n{self.config.to_yaml()}```", step=self.start)

    def learning_rates(self):
        """{"g": lr, "d": lr} as the two optimizers apply them now."""
        return {role: float(keras.ops.convert_to_numpy(optimizer.learning_rate))
                for role, optimizer in (("g", self.model.g_optimizer),
                                        ("d", self.model.d_optimizer))}

    def record(self):
        """Writes the scalars and the stats.jsonl line of the current step."""
        values = _floats(self.logs)
        per_second = self.rate.per_second(self.step)
        rates = self.learning_rates()
        with self.writer.as_default():
            for name, value in values.items():
                tf.summary.scalar(f"loss/{name}", value, step=self.step)
            for role, rate in rates.items():
                tf.summary.scalar(f"lr/{role}", rate, step=self.step)
            if per_second:
                tf.summary.scalar("images_per_second", per_second * self.images_per_step,
                                  step=self.step)
        self.writer.flush()
        record = {"step": self.step, "time": time.time(), **values,
                  **{f"{role}_lr": rate for role, rate in rates.items()},
                  "images_per_second": per_second and per_second * self.images_per_step}
        with open(os.path.join(self.run_dir, "stats.jsonl"), "a") as f:
            f.write(json.dumps(record) + "\n")
        self.logged_step = self.step

    def on_train_batch_end(self, batch, logs=None):
        super().on_train_batch_end(batch, logs)
        self.rate.update(self.step)
        self.logs = logs
        if self.step % self.every == 0:
            self.record()

    def on_epoch_end(self, epoch, logs=None):
        path = os.path.join(self.run_dir, "samples", f"step_{self.step:06d}.png")
        if os.path.isfile(path):
            image = tf.io.decode_png(tf.io.read_file(path))
            with self.writer.as_default():
                tf.summary.image("samples", image[None], step=self.step)

    def on_train_end(self, logs=None):
        if self.step and self.logged_step != self.step:
            self.record()
        self.writer.close()
