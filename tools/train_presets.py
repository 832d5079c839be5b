"""Trains the shipped pretrained presets and writes them into ganzoo/pretrained/.

    python tools/train_presets.py                      # every shipped preset
    python tools/train_presets.py cgan_digits --steps 3000

For each name: train its zoo recipe (zoo_configs/<family>/<name>.yaml, or the one
``RECIPES`` names) in
runs/zoo/<name> (resumed if already there; the wall-clock training time is kept in
runs/zoo/<name>/train_seconds.json), measure it (FID and precision/recall with the
digits extractor for digits, plus per-class accuracy for conditional models; mode
coverage for the 2-D ring), then ``ganzoo.save_preset`` it with those numbers (generator, EMA generator and
discriminator: ``--init-from`` fine-tunes all three) and refresh ganzoo/pretrained/index.json.
"""

import argparse
import json
import os
import sys
import time

import keras
import numpy as np

import ganzoo  # noqa: F401  (registers families, networks, datasets)
from ganzoo import config as config_lib
from ganzoo import checkpointing, presets, runs, training
from ganzoo.data import load_dataset, toy2d
from ganzoo.metrics import DigitsExtractor, evaluate
from ganzoo.registry import zoo_config_path

SHIPPED = ("cgan_digits", "dcgan_digits", "gan_ring", "stylegan_digits", "wgan_gp_digits",
           "wgan_gp_ring")
RECIPES = {"stylegan_digits": "stylegan_digits_32"}  # preset name -> zoo recipe, where they differ
EVAL_IMAGES = 2000
RING_POINTS = 10000
TRAINING_DATA = {
    "digits": "scikit-learn's digits: UCI Optical Recognition of Handwritten Digits "
              "(CC BY 4.0), 1797 images upsampled to 32x32",
    "ring": "synthetic: 8 Gaussians on a circle of radius 2, std 0.02 (ganzoo.data.toy2d)",
}


def train_run(name, run_dir, steps=None):
    """Trains (or resumes) the recipe ``name``; returns the total training seconds."""
    config = config_lib.load_yaml(zoo_config_path(RECIPES.get(name, name)))
    if steps:
        config = config_lib.override(config, {"train.steps": steps})
    timing_path = os.path.join(run_dir, "train_seconds.json")
    seconds = 0.0
    if os.path.isfile(timing_path):
        with open(timing_path) as f:
            seconds = json.load(f)["seconds"]
    found = checkpointing.checkpoints(run_dir)
    if found and found[-1][0] >= config.train.steps:
        return seconds
    keras.utils.set_random_seed(config.train.seed)
    start = time.perf_counter()
    training.train(config, run_dir, verbose=2)
    seconds += time.perf_counter() - start
    with open(timing_path, "w") as f:
        json.dump({"seconds": seconds, "steps": config.train.steps}, f)
    return seconds


def class_accuracy(generator, extractor, per_class=200, seed=0):
    """Fraction of G(z, k) that the digits classifier labels k, over every class k."""
    labels = np.repeat(np.arange(generator.num_classes, dtype=np.int32), per_class)
    z = np.random.default_rng(seed).standard_normal((len(labels), generator.latent_dim))
    images = generator([z.astype(np.float32), labels])
    predicted = np.argmax(extractor.logits(images), axis=1)
    return float(np.mean(predicted == labels))


def measure(model, config, info):
    """The numbers recorded in metadata.json, each with how it was measured."""
    generator = model.sampling_generator()
    rng = np.random.default_rng(1)
    if len(info.shape) == 1:
        points = keras.ops.convert_to_numpy(generator(
            rng.standard_normal((RING_POINTS, generator.latent_dim)).astype(np.float32)))
        covered, quality = toy2d.mode_coverage(points, info.name)
        return {"modes_covered": covered, "modes_total": len(toy2d.MODES[info.name]),
                "high_quality_fraction": quality,
                "measured_with": f"ganzoo.data.toy2d.mode_coverage on {RING_POINTS} samples "
                                 "(3 std, a mode needs >= 1% of the samples)"}

    def sample_fn(batch_size):
        """Samples in [-1, 1]: clipped, as NVIDIA's metrics clamp StyleGAN2's unbounded
        output (a no-op for the tanh generators)."""
        z = rng.standard_normal((batch_size, generator.latent_dim)).astype(np.float32)
        inputs = z
        if generator.num_classes:
            inputs = [z, rng.integers(generator.num_classes, size=batch_size, dtype=np.int32)]
        return keras.ops.clip(generator(inputs), -1.0, 1.0)

    extractor = DigitsExtractor()
    real = load_dataset(config.data, info.num_examples, repeat=False)[0]  # one batch: all
    result = evaluate(sample_fn, real, extractor, metrics=("fid", "pr"), n=EVAL_IMAGES)
    metrics = {key: result.pop(key) for key in ("fid", "precision", "recall")}
    if generator.num_classes:
        metrics["class_accuracy"] = class_accuracy(generator, extractor)
    result["reference"] = f"{info.name} (all {result['n_real']} images, {info.shape[0]}px)"
    return {**metrics, "measured_with": result}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", default=list(SHIPPED))
    parser.add_argument("--steps", type=int, help="override the recipe's train.steps")
    parser.add_argument("--runs", default=os.path.join("runs", "zoo"))
    parser.add_argument("--out", default=presets.PRETRAINED_DIR)
    args = parser.parse_args(argv)
    seconds = {}
    for name in args.names:
        seconds[name] = train_run(name, os.path.join(args.runs, name), args.steps)
        print(f"{name}: trained in {seconds[name]:.0f} s", flush=True)
    for name in args.names:
        run_dir = os.path.join(args.runs, name)
        model = runs.load_run(run_dir)
        config, info = runs.read_run(run_dir)
        metrics = measure(model, config, info)
        print(f"{name}: {json.dumps(metrics)}", flush=True)
        presets.save_preset(model, os.path.join(args.out, name), config, info, metadata={
                                "steps": config.train.steps,  # not G updates: lazy ones too
                                "metrics": metrics, "train_seconds": round(seconds[name], 1),
                                "trained_on": f"{os.cpu_count()}-core CPU, shared with other "
                                              f"jobs (tools/train_presets.py)",
                                "training_data": TRAINING_DATA[info.name]})
    presets.write_index(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
