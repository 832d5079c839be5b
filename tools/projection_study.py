"""Projection of real digits versus the best of 1000 random latents (the baseline).

The shipped digits presets trained on all 1797 digits, so no digit is unseen by them. The
study therefore measures two things:

- ``seen``: each shipped digits preset (``stylegan_digits`` as w and as w+,
  ``dcgan_digits`` as z, ``cgan_digits`` as z with each digit's true
  label) on ``--images`` digits of ``train[80%:]``, digits these presets trained on;
- ``held out``: the ``dcgan_digits`` recipe trained here on ``train[:80%]`` only (run
  directory ``--heldout-run``, resumed or reused if already there), on the same
  ``train[80%:]`` digits it never saw, and on as many of ``train[:80%]`` that it saw.

For each: mean pixel MSE (images in [-1, 1]) and digits-feature distance (mean squared
difference of the digits classifier's 128 features) of the reconstructions, for the
projection (``ganzoo.project`` with its defaults: digits features + 10 x pixel MSE, Adam
with NVIDIA's schedule) and for the best of 1000 random latents under the same distance;
"wins" counts the images whose projection is closer than the baseline on both measures.

    python tools/projection_study.py --images 20 --steps 300 --out runs/projection_study.json
"""

import argparse
import json
import os
import time

import numpy as np

from ganzoo import config as config_lib
from ganzoo import latent, perceptual, project, training
from ganzoo.data import digits as digits_data
from ganzoo.data import subsets
from ganzoo.hashing import sha256_of
from ganzoo.presets import load_generator
from ganzoo.registry import zoo_configs
from ganzoo.runs import open_preset

SHIPPED = (("stylegan_digits", False), ("stylegan_digits", True), ("dcgan_digits", False),
           ("cgan_digits", False))


def digits_slice(split, count):
    """The first ``count`` (images [N, 32, 32, 1], labels [N]) of a digits slice."""
    dataset, _ = subsets.take_slice(digits_data.build(config_lib.DataConfig(resolution=32)),
                                    split)
    pairs = list(dataset.take(count).as_numpy_iterator())
    return np.stack([x for x, _ in pairs]), np.array([y for _, y in pairs])


def measure(generator, targets, labels, steps, w_plus, distance):
    """Projection vs baseline scores (per image), label by label for a conditional G."""
    groups = np.unique(labels) if generator.num_classes else [None]
    rows = {"projection": [], "baseline": []}
    for label in groups:
        index = np.flatnonzero(labels == label) if label is not None else np.arange(
            len(targets))
        chosen = targets[index]
        latents = project.project(generator, chosen, distance, steps, w_plus=w_plus,
                                  label=None if label is None else int(label))
        rows["projection"].append(distance.measure(
            latent.generate(generator, latents, label), chosen))
        rows["baseline"].append(project.random_baseline(generator, chosen, distance,
                                                        label=label)[1])
    return {kind: {key: np.concatenate([r[key] for r in parts]).tolist()
                   for key in ("pixel_mse", "feature_distance")}
            for kind, parts in rows.items()}


def summary(name, images, scores):
    projection, baseline = scores["projection"], scores["baseline"]
    wins = int(np.sum((np.array(projection["pixel_mse"]) < baseline["pixel_mse"])
                      & (np.array(projection["feature_distance"])
                         < baseline["feature_distance"])))
    line = {"model": name, "images": images, "wins": wins,
            **{f"{kind}_{key}": float(np.mean(scores[kind][key]))
               for kind in scores for key in ("pixel_mse", "feature_distance")}}
    print(f"| {name} | {images} | {line['projection_pixel_mse']:.4f} | "
          f"{line['baseline_pixel_mse']:.4f} | {line['projection_feature_distance']:.4f} | "
          f"{line['baseline_feature_distance']:.4f} | {wins}/{len(scores['baseline']['pixel_mse'])} |",
          flush=True)
    return line


def weights_sha256(preset):
    """sha256 of the generator weights that ``load_generator`` reads (EMA ones if any)."""
    folder, _, metadata = open_preset(preset)
    role = "ema_generator" if metadata.get("ema") else "generator"
    return sha256_of(os.path.join(folder, f"{role}.weights.h5"))


def heldout_generator(run_dir):
    """dcgan_digits' recipe trained on train[:80%] in ``run_dir`` (resumed if there)."""
    config = config_lib.override(config_lib.load_yaml(zoo_configs()["dcgan_digits"]),
                                 {"data.split": "train[:80%]"})
    started = time.time()
    training.train(config, run_dir, verbose=0)
    print(f"held-out model: {run_dir} ({time.time() - started:.0f} s)", flush=True)
    return load_generator(run_dir)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=int, default=20)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--heldout-run", default="runs/projection_heldout_dcgan")
    parser.add_argument("--out", default="runs/projection_study.json")
    args = parser.parse_args()

    distance = perceptual.build_distance("digits")
    unseen, unseen_labels = digits_slice("train[80%:]", args.images)
    seen, seen_labels = digits_slice("train[:80%]", args.images)
    print("| model (latent) | images | projection pixel MSE | baseline pixel MSE | "
          "projection feature dist. | baseline feature dist. | wins |", flush=True)
    results = []
    started = time.time()
    for name, w_plus in SHIPPED:
        generator = load_generator(name)
        kind = ("w+" if w_plus else "w") if latent.is_style_based(generator) else "z"
        scores = measure(generator, unseen, unseen_labels, args.steps, w_plus, distance)
        results.append({**summary(f"{name} ({kind}), seen in training", args.images, scores),
                        "weights_sha256": weights_sha256(name), "scores": scores})
    generator = heldout_generator(args.heldout_run)
    for split, targets, labels in (("train[80%:], held out", unseen, unseen_labels),
                                   ("train[:80%], seen", seen, seen_labels)):
        scores = measure(generator, targets, labels, args.steps, False, distance)
        results.append({**summary(f"dcgan on train[:80%] (z): {split}", args.images, scores),
                        "scores": scores})
    record = {"steps": args.steps, "images": args.images, "extractor": "digits",
              "pixel_weight": distance.pixel_weight, "baseline": "best of 1000 random z",
              "seconds": round(time.time() - started, 1), "results": results}
    with open(args.out, "w") as f:
        json.dump(record, f, indent=1)
    print(f"Wrote {args.out} ({record['seconds']} s)")


if __name__ == "__main__":
    main()
