"""Inpainting on held-out digits against mean fill and diffusion fill.

Trains the ``inpaint_digits`` recipe (the first 80% of digits, box and free-form holes)
and scores the held-out 20% (``train[80%:]``, 360 images), each with one 12x12 hole at a
uniform position (numpy seed ``--seed``): the L1 distance to the original inside the hole
and the shipped digits classifier's accuracy on the filled images (and on the images with
the hole left gray, and on the originals). Prints a Markdown table and writes every number
to ``--out``.

    python tools/inpaint_study.py --seed 0
"""

import numpy as np

import _restoration_study as study
from ganzoo.families.inpaint import box_at, with_mask
from ganzoo.metrics import restoration
from ganzoo.translate import in_batches

HOLE = 12


def held_out_masks(count, resolution, seed):
    """One HOLE x HOLE box per image at a uniform position."""
    corners = np.random.default_rng(seed).integers(0, resolution - HOLE + 1, (count, 2, 1, 1, 1))
    return np.asarray(box_at(corners[:, 0], corners[:, 1], HOLE, HOLE, resolution, resolution))


def measure(model, data, seed):
    """{method: {hole_l1, accuracy}} of the hole left gray, mean fill, diffusion fill and
    ``model``'s fill on the held-out 20% of ``data``, one HOLE x HOLE box per image at
    positions drawn from ``seed``; also the originals' accuracy and the count."""
    originals, labels = study.held_out(data)
    masks = held_out_masks(len(labels), originals.shape[1], seed)
    degraded = np.asarray(with_mask(originals, masks))
    filled = {"hole left gray": model.show_degraded(degraded),
              "mean fill": restoration.mean_fill(originals, masks),
              "diffusion fill": restoration.diffusion_fill(originals, masks),
              "inpaint": in_batches(model.sampling_generator(), degraded, 64)}
    results = {"original": {"accuracy": restoration.digit_accuracy(originals, labels)},
               "held_out": len(labels)}
    for method, images in filled.items():
        results[method] = {"hole_l1": float(restoration.hole_l1(images, originals, masks).mean()),
                           "accuracy": restoration.digit_accuracy(images, labels)}
    return results


def main():
    args = study.arguments(__doc__.splitlines()[0], "inpaint_digits").parse_args()
    model, config, minutes = study.train(args)
    results = measure(model, config.data, args.seed)
    results["settings"] = {**vars(args), "steps": config.train.steps, "hole": HOLE,
                           "train_minutes": minutes, "held_out": results["held_out"]}
    study.write(results, args.out)
    print(f"{config.train.steps} steps in {minutes:.1f} min; {results['held_out']} held-out images")
    print(f"| {HOLE}x{HOLE} hole | L1 in the hole | classifier accuracy |\n|---|---|---|")
    for method in ("hole left gray", "mean fill", "diffusion fill", "inpaint"):
        r = results[method]
        print(f"| {method} | {r['hole_l1']:.4f} | {r['accuracy']:.4f} |")
    print(f"| original | - | {results['original']['accuracy']:.4f} |")


if __name__ == "__main__":
    main()
