"""Does GAN data augmentation help a classifier that has little real data?

For each seed s, one small CNN (below) is trained, with the same optimizer and number of
updates, on
  (a) ``small``:     a class-stratified ``--fraction`` of the digits training pool (the first
                     80% of a fixed permutation, ``train[:80%]``), drawn with seed s;
  (b) ``augmented``: that subset plus ``--synthetic`` x as many generated images, balanced over
                     the classes, written by ``ganzoo.augment`` (PNG, as a user gets them) from
                     ``--generator`` (default: the shipped ``cgan_digits`` preset) with seed s;
  (c) ``all_real``:  the whole training pool;
and scored on the held-out 20% (``train[80%:]``). Prints mean and standard deviation of the
held-out accuracy over seeds and writes every number to ``--out``.

Caveat printed with the table: the shipped ``cgan_digits`` was trained on all 1797 digits
with their labels, held-out ones included; pass a run trained on ``train[:80%]`` as
``--generator`` for a generator that has not seen the test images.

    python tools/augmentation_study.py --fraction 0.05 --synthetic 10 --seeds 0,1,2
"""

import argparse
import json
import os
import tempfile

import keras
import numpy as np
from PIL import Image

from ganzoo import augment
from ganzoo.config import DataConfig
from ganzoo.data import load_dataset, subsets


def examples(split):
    """(images [N, 32, 32, 1] in [-1, 1], labels) of a digits split, in dataset order."""
    dataset, _ = load_dataset(DataConfig(split=split, shuffle_buffer=1), 1, repeat=False)
    pairs = [(x[0], y[0]) for x, y in dataset.as_numpy_iterator()]
    return np.stack([x for x, _ in pairs]), np.array([y for _, y in pairs])


def synthetic(generator, per_class, seed):
    """(images, labels) that ``ganzoo augment`` writes, read back from its PNG folder."""
    with tempfile.TemporaryDirectory() as folder:
        augment.augment(generator, per_class, folder, seed=seed)
        pairs = [(np.asarray(Image.open(os.path.join(folder, str(k), name))), k)
                 for k in range(10) for name in sorted(os.listdir(os.path.join(folder, str(k))))]
    images = np.stack([p for p, _ in pairs]).astype(np.float32)[..., None] / 127.5 - 1.0
    return images, np.array([k for _, k in pairs])


def small_cnn():
    """Conv(16, 3, stride 2) - Conv(32, 3, stride 2) - Dense(64) - Dense(10), ReLU, dropout 0.25."""
    layers = keras.layers
    return keras.Sequential([
        keras.Input((32, 32, 1)),
        layers.Conv2D(16, 3, 2, "same", activation="relu"),
        layers.Conv2D(32, 3, 2, "same", activation="relu"),
        layers.Flatten(), layers.Dropout(0.25),
        layers.Dense(64, activation="relu"), layers.Dense(10)])


def accuracy(train, test, seed, steps, batch_size=64):
    """Held-out accuracy of ``small_cnn`` after ``steps`` Adam(1e-3) updates on ``train``."""
    keras.utils.set_random_seed(seed)
    model = small_cnn()
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    images, labels = train
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        rows = rng.integers(0, len(labels), batch_size)
        model.train_on_batch(images[rows], labels[rows])
    logits = model.predict(test[0], verbose=0)
    return float(np.mean(logits.argmax(1) == test[1]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fraction", type=float, default=0.05, help="real subset (a)")
    parser.add_argument("--synthetic", type=float, default=10.0, help="generated x subset (b)")
    parser.add_argument("--generator", default="cgan_digits", help="preset or run directory")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--steps", type=int, default=1500, help="classifier updates")
    parser.add_argument("--out", default="runs/augmentation_study.json")
    args = parser.parse_args()
    pool, test = examples("train[:80%]"), examples("train[80%:]")
    per_class = max(1, round(args.fraction * len(pool[1]) / 10))
    results = {"small": [], "augmented": [], "all_real": [], "settings": vars(args),
               "real_per_class": per_class, "synthetic_per_class": round(args.synthetic *
                                                                          per_class)}
    for seed in map(int, args.seeds.split(",")):
        rows = subsets.labeled_indices(pool[1], per_class, 10, seed)
        small = pool[0][rows], pool[1][rows]
        fake = synthetic(args.generator, results["synthetic_per_class"], seed)
        both = np.concatenate([small[0], fake[0]]), np.concatenate([small[1], fake[1]])
        for name, train in (("small", small), ("augmented", both), ("all_real", pool)):
            results[name].append(accuracy(train, test, seed, args.steps))
        print(f"seed {seed}: " + ", ".join(f"{k} {results[k][-1]:.4f}" for k in
                                           ("small", "augmented", "all_real")), flush=True)
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(results, f, indent=2)
    print(f"{per_class} real + {results['synthetic_per_class']} generated images per class; "
          f"held-out: {len(test[1])} images (train[80%:])")
    print("| training data | held-out accuracy (mean ± std) | per seed |\n|---|---|---|")
    for name in ("small", "augmented", "all_real"):
        values = np.array(results[name])
        spread = values.std(ddof=1) if len(values) > 1 else 0.0
        print(f"| {name} | {values.mean():.4f} ± {spread:.4f} | "
              f"{', '.join(f'{v:.4f}' for v in values)} |")


if __name__ == "__main__":
    main()
