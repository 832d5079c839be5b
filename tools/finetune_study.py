"""Fine-tuning study: ``--init-from dcgan_digits`` against training from scratch.

    python tools/finetune_study.py --classes 0,1,2,3,4 --steps 100,250,500,1000 --seed 0

The new data is the digits of some classes only (32x32, in [-1, 1], passed from Python as
numpy images: ``ganzoo.train(data=...)``). Both runs use the recipe ``dcgan_digits``, the
same seed (same data order and noise) and the same steps; one starts from the shipped
preset's G and D (fresh optimizers), the other from random weights. After each step
count (the run is resumed from one to the next, which continues it exactly), FID with
the digits extractor: ``--n`` generated images against every image of the subset.
Prints a Markdown table and writes it, with the settings, to ``<out>/results.json``.
"""

import argparse
import json
import os
import shutil
import sys
import time

import numpy as np

import ganzoo
from ganzoo import config as config_lib
from ganzoo.data import load_dataset
from ganzoo.metrics import DigitsExtractor, evaluate

PRESET = "dcgan_digits"


def subset_images(classes, resolution=32):
    """The digits of ``classes`` as float32 [N, H, W, 1] in [-1, 1]."""
    data = config_lib.DataConfig(name="digits", resolution=resolution)
    images, labels = next(iter(load_dataset(data, 1797, repeat=False)[0]))
    keep = np.isin(labels.numpy(), classes)
    return images.numpy()[keep]


def fid(family, real, n, seed, extractor):
    """FID of ``n`` samples of the family's sampling generator against ``real`` images."""
    generator = family.sampling_generator()
    rng = np.random.default_rng(seed)

    def sample_fn(batch_size):
        return generator(rng.standard_normal((batch_size, generator.latent_dim)).astype(
            np.float32), training=False)

    batches = [real[i:i + 250] for i in range(0, len(real), 250)]
    return evaluate(sample_fn, batches, extractor, metrics=("fid",), n=n)["fid"]


def study(classes, steps, seed, n, out):
    real, extractor = subset_images(classes), DigitsExtractor()
    overrides = {"train.seed": seed, "train.checkpoint_every": max(steps)}
    results = {}
    for mode, init_from in (("scratch", None), ("init_from", PRESET)):
        run_dir = os.path.join(out, mode)
        shutil.rmtree(run_dir, ignore_errors=True)
        family = ganzoo.build(PRESET, overrides=overrides, data=real, init_from=init_from)
        scores = {0: fid(family, real, n, seed, extractor)}
        start = time.perf_counter()
        for count in steps:
            family = ganzoo.train(PRESET, data=real, run_dir=run_dir, steps=count,
                                  overrides=overrides, init_from=init_from, verbose=0)
            scores[count] = fid(family, real, n, seed, extractor)
            print(f"{mode} step {count}: FID {scores[count]:.2f}", flush=True)
        results[mode] = {"fid": scores, "train_seconds": round(time.perf_counter() - start, 1)}
    return real, results


def table(results, steps):
    rows = ["| start | " + " | ".join(f"step {s}" for s in [0, *steps]) + " |",
            "|---|" + "---|" * (len(steps) + 1)]
    for mode, label in (("scratch", "from scratch"), ("init_from", f"`--init-from {PRESET}`")):
        rows.append(f"| {label} | " + " | ".join(
            f"{results[mode]['fid'][s]:.1f}" for s in [0, *steps]) + " |")
    return "\n".join(rows)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--classes", default="0,1,2,3,4")
    parser.add_argument("--steps", default="100,250,500,1000")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n", type=int, default=2000, help="generated images per FID")
    parser.add_argument("--out", default=os.path.join("runs", "finetune_study"))
    args = parser.parse_args(argv)
    classes = [int(c) for c in args.classes.split(",")]
    steps = sorted(int(s) for s in args.steps.split(","))
    real, results = study(classes, steps, args.seed, args.n, args.out)
    print(table(results, steps))
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump({"classes": classes, "n_real": len(real), "n_generated": args.n,
                   "seed": args.seed, "recipe": PRESET, "extractor": "digits",
                   **results}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
