"""Time to the first step of a fresh start and of a resume at a late step of an image-folder
run, and whether the resumed run ends with the weights of an uninterrupted one.

    python tools/bench_resume.py --images 2000 --step 3000 --batch-size 32

Writes a folder of 64x64 JPEGs, trains a small dcgan on it for ``--step`` + 10 steps
(checkpoints every ``--step`` steps) on one device and on two mirrored replicas, then
from copies of those runs resumes the checkpoint of ``--step``: (a) one device, the
folder decoded into memory, (b) one device, the folder read by file (as for folders
over the memory limit: each image decoded when its batch is read), (c) two replicas;
and times a fresh 1-step run. Each time is the wall time of ``training.train`` up to
the end of its first step (a callback), building and data loading included. For
comparison, the time to the first batch of the streamed pipeline skipping the consumed
batches (every skipped image decoded again: how such a resume read data before the
input was batched by step).
"""

import argparse
import os
import shutil
import sys
import tempfile
import time
import warnings

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from _bench import machine, print_table, use_logical_cpus, write_json  # noqa: E402

from ganzoo import checkpointing, config as config_lib, data, training  # noqa: E402
from ganzoo.data import batches  # noqa: E402


def write_folder(folder, count, size, quality=90):
    """``count`` random smooth RGB JPEGs of ``size`` x ``size`` (seeded)."""
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(0)
    low = rng.integers(0, 256, (count, 8, 8, 3), np.uint8)
    for i in range(count):
        image = Image.fromarray(low[i]).resize((size, size), Image.BILINEAR)
        image.save(os.path.join(folder, f"{i:05d}.jpg"), quality=quality)
    return folder


def run_config(folder, steps, every, batch_size, resolution):
    return config_lib.from_dict({
        "family": "dcgan", "latent_dim": 16,
        "data": {"name": f"folder:{folder}", "resolution": resolution, "batch_size": batch_size},
        "generator": {"arch": "dcgan", "args": {"width": 4, "max_width": 16}},
        "discriminator": {"arch": "dcgan", "args": {"width": 4, "max_width": 16}},
        "train": {"steps": steps, "steps_per_epoch": every, "checkpoint_every": every,
                  "keep_checkpoints": 3, "sample_grid": 4, "log_every": 1000000},
    })


class FirstStep(checkpointing.StepCallback):
    """Records the wall time at the end of the first step this process runs."""

    def __init__(self):
        super().__init__()
        self.at = None

    def on_train_batch_end(self, batch, logs=None):
        self.at = self.at or time.perf_counter()


def time_to_first_step(config, run_dir):
    """Seconds from calling ``training.train`` to the end of its first step."""
    marker = FirstStep()
    original = training.StopOnNonFinite.on_train_batch_end

    def hooked(self, batch, logs=None):
        marker.on_train_batch_end(batch, logs)
        original(self, batch, logs)

    training.StopOnNonFinite.on_train_batch_end = hooked
    try:
        start = time.perf_counter()
        training.train(config, run_dir, verbose=0)
    finally:
        training.StopOnNonFinite.on_train_batch_end = original
    return marker.at - start


def copy_at(source, target, step):
    """A copy of run ``source`` whose newest checkpoint is the one of ``step``."""
    shutil.copytree(source, target)
    for found, path in checkpointing.checkpoints(target):
        if found > step:
            os.remove(path)
    return target


def same_weights(run_a, run_b):
    expected, actual = (checkpointing.arrays(checkpointing.checkpoints(r)[-1][1])
                        for r in (run_a, run_b))
    return sorted(expected) == sorted(actual) and all(
        np.array_equal(expected[name], actual[name]) for name in expected)


def streamed_skip_seconds(config, step):
    """Seconds to the first batch after skipping ``step`` batches of the folder streamed."""
    start = time.perf_counter()
    examples, _ = data.folder.build(config.data, config.data.name[len(data.FOLDER_PREFIX):])
    batched = examples.shuffle(config.data.shuffle_buffer, seed=0).repeat().batch(
        config.data.batch_size, drop_remainder=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        next(iter(batches.StreamedBatches(batched, config.data.batch_size).dataset(step)))
    return time.perf_counter() - start


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--images", type=int, default=2000)
    p.add_argument("--step", type=int, default=3000)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--resolution", type=int, default=64)
    p.add_argument("--json", default="runs/bench_resume.json")
    args = p.parse_args(argv)
    use_logical_cpus(2)  # the mirrored runs' two replicas, on a machine without GPUs
    started = machine()
    root = tempfile.mkdtemp(prefix="bench_resume_")
    folder = write_folder(os.path.join(root, "images"), args.images, args.resolution)
    step, extra = args.step, 10

    def config(steps, strategy="default"):
        return config_lib.override(run_config(folder, steps, step, args.batch_size,
                                              args.resolution),
                                   {"train.strategy": strategy})

    full = {}
    for strategy in ("default", "mirrored"):
        full[strategy] = os.path.join(root, f"uninterrupted_{strategy}")
        t = time.perf_counter()
        training.train(config(step + extra, strategy), full[strategy], verbose=0)
        print(f"uninterrupted {step + extra} steps, {strategy}: {time.perf_counter() - t:.1f} s",
              flush=True)
    rows = [{"start": "fresh (step 0)",
             "s to first step": time_to_first_step(config(1), os.path.join(root, "fresh"))}]
    for label, strategy, limit in (("in memory", "default", data.CACHE_LIMIT_BYTES),
                                   ("read by file", "default", 0),
                                   ("2 replicas, in memory", "mirrored", data.CACHE_LIMIT_BYTES)):
        data.CACHE_LIMIT_BYTES = limit
        slug = label.replace(",", "").replace(" ", "_")
        resumed = copy_at(full[strategy], os.path.join(root, slug), step)
        rows.append({"start": f"resume at {step}, {label}",
                     "s to first step": time_to_first_step(config(step + extra, strategy),
                                                           resumed),
                     "bit-identical to uninterrupted": same_weights(full[strategy], resumed)})
    rows.append({"start": f"for comparison: skip {step} batches streamed "
                          f"({step * args.batch_size} decodes), first batch only",
                 "s to first step": streamed_skip_seconds(config(1), step)})
    print_table(rows, ["start", "s to first step", "bit-identical to uninterrupted"])
    write_json(args.json, {"args": vars(args), "rows": rows}, started)
    shutil.rmtree(root)


if __name__ == "__main__":
    main()
