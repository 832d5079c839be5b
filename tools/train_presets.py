"""Trains the shipped pretrained presets and writes them into ganzoo/pretrained/.

    python tools/train_presets.py                      # every shipped preset
    python tools/train_presets.py cgan_digits --steps 3000

For each name: train its zoo recipe (zoo_configs/<family>/<name>.yaml, or the one
``RECIPES`` names, with ``OVERRIDES``) in
runs/zoo/<name> (resumed if already there; the wall-clock training time is kept in
runs/zoo/<name>/train_seconds.json), measure it (FID and precision/recall with the
digits extractor for digits, plus per-class accuracy for conditional models; mode
coverage for the 2-D ring; the study tool's held-out numbers for srgan, inpaint and
stackgan, whose presets are the studies' models: trained on train[:80%] of digits),
then ``ganzoo.save_preset`` it with those numbers (generator, EMA generator and
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
import inpaint_study
import srgan_study
import stackgan_study
from ganzoo import config as config_lib
from ganzoo import checkpointing, presets, runs, training
from ganzoo.data import load_dataset, subsets, toy2d
from ganzoo.metrics import DigitsExtractor, evaluate
from ganzoo.registry import zoo_config_path

SHIPPED = ("cgan_digits", "dcgan_digits", "gan_ring", "inpaint_digits", "srgan_digits",
           "stackgan_digits", "stylegan_digits", "wgan_gp_digits", "wgan_gp_ring")
RECIPES = {"stylegan_digits": "stylegan_digits_32"}  # preset name -> zoo recipe, where they differ
STACKGAN_STEPS = 1500  # tools/stackgan_study.py's default
OVERRIDES = {"stackgan_digits": {"train.steps": STACKGAN_STEPS,  # as the study trains it
                                 "train.checkpoint_every": STACKGAN_STEPS,
                                 "data.split": "train[:80%]"}}
PROMPT_IMAGES = 200  # stackgan: images per prompt set, as tools/stackgan_study.py
EVAL_IMAGES = 2000
RING_POINTS = 10000
TRAINING_DATA = {
    "digits": "scikit-learn's digits: UCI Optical Recognition of Handwritten Digits "
              "(CC BY 4.0), 1797 images upsampled to 32x32",
    "digits_captions": "scikit-learn's digits (CC BY 4.0), 1797 images upsampled to 32x32, "
                       "captioned from their labels and measured attributes "
                       "(ganzoo.data.captions)",
    "ring": "synthetic: 8 Gaussians on a circle of radius 2, std 0.02 (ganzoo.data.toy2d)",
}


def train_run(name, run_dir, steps=None):
    """Trains (or resumes) the recipe ``name``; returns the total training seconds."""
    config = config_lib.load_yaml(zoo_config_path(RECIPES.get(name, name)))
    config = config_lib.override(config, {**OVERRIDES.get(name, {}),
                                          **({"train.steps": steps} if steps else {})})
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


def held_out_note(split):
    heldout = subsets.heldout_split(split)
    return f"trained on {split}, measured on the held-out {heldout}"


def measure_srgan(model, config):
    """tools/srgan_study.py's numbers: PSNR, SSIM and classifier accuracy of the upscaled
    held-out digits, against bicubic upsampling."""
    result = srgan_study.measure(model.sampling_generator(), config.data)
    return {**{key: result["srgan"][key] for key in ("psnr", "ssim", "accuracy")},
            **{f"bicubic_{key}": value for key, value in result["bicubic"].items()},
            "measured_with": {**result, "tool": "tools/srgan_study.py (8x8 bicubic "
                              "antialiased downsampling of each held-out 32x32 digit)"}}


def measure_inpaint(model, config):
    """tools/inpaint_study.py's numbers: L1 in a 12x12 hole and classifier accuracy of the
    filled held-out digits, against diffusion fill and mean fill."""
    result = inpaint_study.measure(model, config.data, config.train.seed)
    return {"hole_l1": result["inpaint"]["hole_l1"], "accuracy": result["inpaint"]["accuracy"],
            **{f"{method.split()[0]}_fill_{key}": value
               for method in ("diffusion fill", "mean fill")
               for key, value in result[method].items()},
            "measured_with": {**result, "tool": "tools/inpaint_study.py (one 12x12 box per "
                              f"held-out digit, positions of numpy seed {config.train.seed})"}}


def measure_stackgan(model, config):
    """tools/stackgan_study.py's numbers: digit rate per prompt set and how far each
    attribute word moves its measure, the real reference from the held-out digits."""
    reference_split = subsets.heldout_split(config.data.split)
    result = stackgan_study.measure(model.sampling_generator(), PROMPT_IMAGES,
                                    config.train.seed + 1, reference_split)
    rates = result["digit_rate"]
    return {"digit_rate": rates["plain"],
            "digit_rate_all_sets": float(np.mean(list(rates.values()))),
            **{f"{name}_moved_share": row["moved_share"]
               for name, row in result["attributes"].items()},
            "measured_with": {**result, "tool": f"tools/stackgan_study.py ({PROMPT_IMAGES} "
                              "images per prompt set; digit rate: the digits classifier reads "
                              "the requested digit, chance 0.1)",
                              "real_reference": f"digits_captions {reference_split}"}}


STUDIES = {"srgan": measure_srgan, "inpaint": measure_inpaint, "stackgan": measure_stackgan}


def measure(model, config, info):
    """The numbers recorded in metadata.json, each with how it was measured."""
    study = STUDIES.get(type(model).registered_name)
    if study:
        return study(model, config)
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
        split = ({"split": held_out_note(config.data.split)}
                 if subsets.parse_slice(config.data.split) else {})
        presets.save_preset(model, os.path.join(args.out, name), config, info, metadata={
                                "steps": config.train.steps,  # not G updates: lazy ones too
                                "metrics": metrics, "train_seconds": round(seconds[name], 1),
                                "trained_on": f"{os.cpu_count()}-core CPU, shared with other "
                                              f"jobs (tools/train_presets.py)",
                                "training_data": TRAINING_DATA[info.name], **split})
    presets.write_index(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
