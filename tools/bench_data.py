"""Images per second each data source delivers next to the images per second a training
step consumes, so a reader sees which side limits a run.

    python tools/bench_data.py --images 2000 --batch-size 64

Sources (every one through ``ganzoo.data.load_dataset``, batched, prefetched): digits;
an image folder of 64x64 JPEGs and one of 256x256 JPEGs (written by the tool), each
(a) decoded once into memory (the time of that first pass) then read by index, (b)
read by file (each image decoded when its batch is read, as a folder over the memory
limit is), (c) read from the on-disk cache (``data.cache``); tfds' mock mnist, streamed
and from ``data.cache``. All at the recipes' resolutions (32, 64). Steps: ganzoo dcgan and wgan_gp on the shared benchmark networks
(``_bench.bench_config``) timed with ``bench_train.fit_seconds``.
"""

import argparse
import dataclasses
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import _bench  # noqa: E402
from bench_resume import write_folder  # noqa: E402
from bench_train import fit_seconds  # noqa: E402

from ganzoo import data  # noqa: E402
from ganzoo.factory import build_family  # noqa: E402
from ganzoo.config import DataConfig  # noqa: E402


def delivered(config, batch_size, batches, limit=data.CACHE_LIMIT_BYTES):
    """(images/s of the first pass, images/s after it): the first is load_dataset's set-up
    (for data read by index: decoding every image once), the second reading ``batches``
    batches after one warm-up batch."""
    original, data.CACHE_LIMIT_BYTES = data.CACHE_LIMIT_BYTES, limit
    try:
        start = time.perf_counter()
        dataset, info = data.load_dataset(config, batch_size)
        setup = time.perf_counter() - start
        iterator = iter(dataset)
        next(iterator)
        start = time.perf_counter()
        for _ in range(batches):
            next(iterator)
        seconds = time.perf_counter() - start
        return (info.num_examples or 0) / setup, batches * batch_size / seconds
    finally:
        data.CACHE_LIMIT_BYTES = original


def consumed(family, resolution, batch_size, steps):
    """Images/s one training step of ``family`` consumes (set-up and step 1 excluded)."""
    config = _bench.bench_config(family, 64, resolution, 32, batch_size)
    images = batch_size * config.family_args["d_steps"]
    dataset, info = data.load_dataset(config.data, images)
    model = build_family(config, info)
    wall, _ = fit_seconds(model, dataset, steps)
    return steps * images / wall


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--images", type=int, default=2000, help="images per written folder")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--batches", type=int, default=30, help="timed batches per source")
    p.add_argument("--steps", type=int, default=10, help="timed training steps per family")
    p.add_argument("--parts", default="digits,folders,tfds,steps",
                   help="what to measure, comma-separated")
    p.add_argument("--json", default="runs/bench_data.json")
    args = p.parse_args(argv)
    started = _bench.machine()
    root = tempfile.mkdtemp(prefix="bench_data_")
    limit = data.CACHE_LIMIT_BYTES
    rows = []

    def source(name, config, ways=("in memory", "by file", "data.cache")):
        for way in ways:
            cfg = (dataclasses.replace(config, cache=os.path.join(root, "cache"))
                   if way == "data.cache" else config)
            first, after = delivered(cfg, args.batch_size, args.batches,
                                     0 if way == "by file" else limit)
            once = way in ("in memory", "data.cache") and first  # a first pass that decodes
            rows.append({"source": name, "px": config.resolution, "read": way,
                         "first pass img/s": round(first) if once else "",
                         "img/s": round(after)})
            print(rows[-1], flush=True)

    parts = args.parts.split(",")
    if "digits" in parts:
        source("digits", DataConfig(name="digits", resolution=32), ("in memory",))
    for size in (64, 256) if "folders" in parts else ():
        folder = write_folder(os.path.join(root, f"jpeg{size}"), args.images, size)
        source(f"folder of {size}x{size} JPEGs", DataConfig(name=f"folder:{folder}",
                                                            resolution=64))
    if "tfds" in parts:  # the mock's split sizes are unknown: streamed unless data.cache
        import tensorflow_datasets as tfds

        with tfds.testing.mock_data(policy=tfds.testing.MockPolicy.USE_CODE,
                                    num_examples=args.images):
            source("tfds mnist (mock)", DataConfig(name="mnist", resolution=32,
                                                   data_dir=os.path.join(root, "tfds")),
                   ("streamed", "data.cache"))
    steps = [{"step": f"ganzoo {family}", "px": px, "img/s": round(consumed(
        family, px, args.batch_size, args.steps))}
        for family in ("dcgan", "wgan_gp") for px in (32, 64) if "steps" in parts]
    _bench.print_table(rows, ["source", "px", "read", "first pass img/s", "img/s"])
    print()
    _bench.print_table(steps, ["step", "px", "img/s"])
    _bench.write_json(args.json, {"args": vars(args), "sources": rows, "steps": steps}, started)
    shutil.rmtree(root)


if __name__ == "__main__":
    main()
