"""Semi-supervised GAN vs the same network trained on the labeled images alone.

Salimans et al. 2016 (Sec. 5) report that a GAN's unlabeled and generated data help a
classifier when labels are few. For each seed s this trains

- ``sgan``: the ``sgan_digits`` recipe (``labeled_per_class`` labels per class from the
  first 80% of digits, the rest of that 80% unlabeled), ``data.labeled_seed = train.seed = s``;
- ``supervised``: the same discriminator (architecture, optimizer, batch size and number of
  updates) trained with cross-entropy on its K class logits on the same
  labeled images only;

and scores both on the held-out 20% (``train[80%:]``, all 360 labels). Prints the mean and
standard deviation over seeds and writes every number to ``--out``.

    python tools/sgan_study.py --seeds 0,1,2 --labeled-per-class 10
"""

import argparse
import dataclasses
import json
import os

import keras
import numpy as np
import tensorflow as tf

from ganzoo import classifier, training
from ganzoo import config as config_lib
from ganzoo.factory import build_networks
from ganzoo.data import load_dataset
from ganzoo.registry import zoo_configs


def study_config(seed, labeled_per_class, steps):
    config = config_lib.load_yaml(zoo_configs()["sgan_digits"])
    return config_lib.override(config, {"data.labeled_per_class": labeled_per_class,
                                         "data.labeled_seed": seed, "train.seed": seed,
                                         "train.steps": steps})


def labeled_examples(data):
    """The labeled (label >= 0) images and labels of ``data``, in dataset order."""
    dataset, _ = load_dataset(data, 1, repeat=False)
    pairs = [(x[0], y[0]) for x, y in dataset.as_numpy_iterator() if y[0] >= 0]
    return np.stack([x for x, _ in pairs]), np.array([y for _, y in pairs])


def supervised_accuracy(config, seed):
    """Held-out accuracy of the sgan's discriminator trained on the labeled images alone."""
    keras.utils.set_random_seed(seed)
    images, labels = labeled_examples(config.data)
    _, info = load_dataset(config.data, config.data.batch_size)
    _, discriminator = build_networks(config, info)
    discriminator.realness.trainable = False  # unused: only the class logits are trained
    inputs = keras.Input(info.shape)
    model = keras.Model(inputs, discriminator(inputs)[1])
    model.compile(keras.optimizers.Adam(config.train.d_lr, config.train.beta_1),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    data = tf.data.Dataset.from_tensor_slices((images, labels)).repeat().shuffle(
        len(labels), seed=seed).batch(config.data.batch_size)
    model.fit(data, steps_per_epoch=config.train.steps, epochs=1, verbose=0)
    heldout = dataclasses.replace(config.data, split="train[80%:]")
    truth, logits = classifier.predict(model, heldout)
    return float(np.mean(logits.argmax(1) == truth)), len(labels)


def sgan_accuracy(config, run_dir):
    training.train(config, run_dir, verbose=0)
    return classifier.accuracy_record(run_dir)["metrics"]["accuracy"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--labeled-per-class", type=int, default=10)
    parser.add_argument("--steps", type=int, default=2000, help="updates of each D")
    parser.add_argument("--runs", default="runs/sgan_study", help="sgan run directories")
    parser.add_argument("--out", default="runs/sgan_study/results.json")
    args = parser.parse_args()
    results = {"supervised": [], "sgan": [], "settings": vars(args)}
    for seed in map(int, args.seeds.split(",")):
        config = study_config(seed, args.labeled_per_class, args.steps)
        accuracy, count = supervised_accuracy(config, seed)
        results["supervised"].append(accuracy)
        results["sgan"].append(sgan_accuracy(config, os.path.join(args.runs, f"seed{seed}")))
        print(f"seed {seed}: {count} labels, supervised {accuracy:.4f}, "
              f"sgan {results['sgan'][-1]:.4f}", flush=True)
        os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
        with open(args.out, "w") as f:
            json.dump(results, f, indent=2)
    print("| method | held-out accuracy (mean ± std) | per seed |\n|---|---|---|")
    for method in ("supervised", "sgan"):
        values = np.array(results[method])
        spread = values.std(ddof=1) if len(values) > 1 else 0.0
        print(f"| {method} | {values.mean():.4f} ± {spread:.4f} | "
              f"{', '.join(f'{v:.4f}' for v in values)} |")


if __name__ == "__main__":
    main()
