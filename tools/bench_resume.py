"""Time to the first step of a fresh start and of a resume at a late step of an image-folder
run, with the input position restored from the checkpoint and with the skip that older
checkpoints (and multi-device runs) fall back to; and whether the resumed run ends with
the weights of an uninterrupted one.

    python tools/bench_resume.py --images 2000 --step 3000 --batch-size 32

Writes a folder of 64x64 JPEGs, trains a small dcgan on it for ``--step`` + 10 steps
(checkpoints every ``--step`` steps), then from copies of that run: resumes the
checkpoint of ``--step`` for one step (a) from the saved position, (b) by skipping
from memory (the checkpoint's input position deleted), (c) by skipping a streamed
pipeline (every skipped image decoded again, as for data over the memory limit);
and times a fresh 1-step run. Each time is the wall time of ``training.train`` up to
the end of its first step (a callback), building and data loading included.
"""

import argparse
import os
import shutil
import sys
import tempfile
import time

import h5py
import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from _bench import machine, print_table, write_json  # noqa: E402

from ganzoo import checkpointing, config as config_lib, data, training  # noqa: E402


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


def drop_input_position(run_dir):
    path = checkpointing.checkpoints(run_dir)[-1][1]
    with h5py.File(path, "a") as f:
        del f[checkpointing.INPUT_GROUP]
        f.attrs["ganzoo_sha256"] = checkpointing._digest(f)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--images", type=int, default=2000)
    p.add_argument("--step", type=int, default=3000)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--resolution", type=int, default=64)
    p.add_argument("--json", default="runs/bench_resume.json")
    args = p.parse_args(argv)
    started = machine()
    root = tempfile.mkdtemp(prefix="bench_resume_")
    folder = write_folder(os.path.join(root, "images"), args.images, args.resolution)
    step, extra = args.step, 10

    def config(steps):
        return run_config(folder, steps, step, args.batch_size, args.resolution)

    full = os.path.join(root, "uninterrupted")
    t = time.perf_counter()
    training.train(config(step + extra), full, verbose=0)
    print(f"uninterrupted {step + extra} steps: {time.perf_counter() - t:.1f} s", flush=True)
    rows = [{"start": "fresh (step 0)",
             "s to first step": time_to_first_step(config(1), os.path.join(root, "fresh"))}]
    restored = copy_at(full, os.path.join(root, "restored"), step)
    rows.append({"start": f"resume at {step}, position restored",
                 "s to first step": time_to_first_step(config(step + extra), restored)})
    expected, actual = (checkpointing.arrays(checkpointing.checkpoints(r)[-1][1])
                        for r in (full, restored))
    same = sorted(expected) == sorted(actual) and all(
        np.array_equal(expected[name], actual[name]) for name in expected)
    rows[-1]["bit-identical to uninterrupted"] = same
    skipped = copy_at(full, os.path.join(root, "skipped"), step)
    drop_input_position(skipped)
    rows.append({"start": f"resume at {step}, skip {step} batches in memory",
                 "s to first step": time_to_first_step(config(step + 1), skipped)})
    streamed = copy_at(full, os.path.join(root, "streamed"), step)
    drop_input_position(streamed)
    data.CACHE_LIMIT_BYTES = 0  # as for data over the memory limit: decode every skipped image
    rows.append({"start": f"resume at {step}, skip {step} batches streamed "
                          f"({step * args.batch_size} decodes)",
                 "s to first step": time_to_first_step(config(step + 1), streamed)})
    print_table(rows, ["start", "s to first step", "bit-identical to uninterrupted"])
    write_json(args.json, {"args": vars(args), "rows": rows}, started)
    shutil.rmtree(root)


if __name__ == "__main__":
    main()
