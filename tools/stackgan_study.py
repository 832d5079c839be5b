"""StackGAN study: does the generated digit follow the caption?

    python tools/stackgan_study.py --steps 1500 --out runs/stackgan_study
    python tools/stackgan_study.py --steps 1500 --split "train[:80%]"   # the shipped preset's

Trains the recipe ``stackgan_digits`` (digits_captions, 32x32) for ``--steps`` on the CPU,
then draws ``--n`` (200) images per prompt set with the sampling generator. A prompt set
is one template over the ten digits, ``n / 10`` images per digit: "a {digit}", "a thin
{digit}", "a bold {digit}", "an upright {digit}", "a slanted {digit}", "a small {digit}",
"a large {digit}". Every set uses the same noise rows, so two sets differ only in the
word.

Reported:
- digit rate: the share of images that the shipped digits classifier
  (``ganzoo.metrics.extractors.DigitsExtractor``, 98.9% on real test digits) reads as
  the requested digit, per prompt set (chance: 10%);
- per attribute (``ganzoo.data.digit_attributes``): mean(measure | second word) -
  mean(measure | first word) over the same noise and digits (bold - thin, slanted -
  upright, large - small), with the share of the n pairs where it moved the requested
  way, next to the real data's own difference between the captions' top and bottom
  thirds and its within-digit standard deviation (scale), on the held-out complement
  of ``--split`` (``train[80%:]`` for ``train[:80%]``), else on the whole set.
Prints a Markdown table and writes it, with the settings, to ``<out>/results.json``.
"""

import argparse
import json
import os
import time

import numpy as np

from ganzoo import config as config_lib
from ganzoo import text, training
from ganzoo.data import load_dataset, subsets
from ganzoo.data import digit_attributes
from ganzoo.metrics.extractors import DigitsExtractor
from ganzoo.registry import zoo_configs

TEMPLATES = {"plain": "a {}", **{word: f"{'an' if word[0] in 'aeiou' else 'a'} {word} {{}}"
                                 for pair in text.ATTRIBUTE_WORDS.values() for word in pair}}


def real_reference(split="train"):
    """{attribute: (top-third mean - bottom-third mean, mean within-digit std)} of the
    captioned images of ``split`` (the captions' words mark the thirds)."""
    data = config_lib.DataConfig(name="digits_captions", resolution=32, split=split)
    batches = load_dataset(data, 1, repeat=False)[0].as_numpy_iterator()  # the split read once
    images, tokens = (np.concatenate(part) for part in zip(*batches))
    captions = [text.detokenize(row) for row in tokens]
    digits = np.array([text.DIGIT_WORDS.index(c.split()[-1]) for c in captions])
    reference = {}
    for name, values in digit_attributes.measure(images).items():
        low, high = text.ATTRIBUTE_WORDS[name]
        has = {word: np.array([word in c.split() for c in captions]) for word in (low, high)}
        spread = np.mean([values[digits == d].std() for d in range(10)])
        reference[name] = (float(values[has[high]].mean() - values[has[low]].mean()),
                           float(spread))
    return reference


def generate_sets(generator, n, seed):
    """{set name: images [n, 32, 32, 1]} and the requested digits [n]; same noise in all."""
    digits = np.arange(n) % 10
    noise = generator.sample_inputs(n, seed)[0]
    sets = {}
    for name, template in TEMPLATES.items():
        tokens = generator.tokenize([template.format(text.DIGIT_WORDS[d]) for d in digits])
        sets[name] = np.asarray(generator([noise, tokens], training=False))
    return sets, digits


def measure(generator, n, seed, reference_split="train"):
    """{digit_rate: {set: rate}, attributes: {name: differences}} of ``generator``'s ``n``
    images per prompt set (noise of ``seed``); the real data's reference from
    ``reference_split`` of digits_captions."""
    sets, digits = generate_sets(generator, n, seed)
    extractor = DigitsExtractor()
    rates = {name: float(np.mean(extractor.logits(x).argmax(1) == digits))
             for name, x in sets.items()}
    reference = real_reference(reference_split)
    attributes = {}
    for name, (low, high) in text.ATTRIBUTE_WORDS.items():
        measure_of = digit_attributes.MEASURES[name]
        delta = measure_of(sets[high]) - measure_of(sets[low])
        attributes[name] = {"words": [low, high], "generated_diff": float(delta.mean()),
                            "moved_share": float(np.mean(delta > 0)),
                            "real_diff": reference[name][0], "real_std": reference[name][1]}
    return {"digit_rate": rates, "attributes": attributes}


def study(steps, n, seed, out, split="train"):
    config = config_lib.load_yaml(zoo_configs()["stackgan_digits"])
    config = config_lib.override(config, {"train.steps": steps, "train.seed": seed,
                                          "train.checkpoint_every": steps,
                                          "data.split": split})
    start = time.time()
    model = training.train(config, os.path.join(out, "run"), verbose=2)
    train_seconds = time.time() - start
    reference_split = subsets.heldout_split(split) if subsets.parse_slice(split) else split
    return {"steps": steps, "n_per_set": n, "seed": seed, "split": split,
            "reference_split": reference_split, "train_seconds": round(train_seconds),
            **measure(model.sampling_generator(), n, seed + 1, reference_split)}


def table(record):
    lines = ["| prompt set | digit rate |", "|---|---|"]
    lines += [f"| {TEMPLATES[name].format('<digit>')} | {rate:.3f} |"
              for name, rate in record["digit_rate"].items()]
    lines += ["", "| attribute (unit: image side) | generated: second - first word "
              "(share of pairs moved that way) | real data: top - bottom third | "
              "real within-digit std |", "|---|---|---|---|"]
    for name, row in record["attributes"].items():
        lines.append(f"| {name}: {row['words'][1]} - {row['words'][0]} | "
                     f"{row['generated_diff']:+.4f} ({row['moved_share']:.2f}) | "
                     f"{row['real_diff']:+.4f} | {row['real_std']:.4f} |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--n", type=int, default=200, help="images per prompt set")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--split", default="train",
                        help='training split, e.g. "train[:80%%]" (the real reference is '
                             "then its held-out complement)")
    parser.add_argument("--out", default="runs/stackgan_study")
    args = parser.parse_args()
    record = study(args.steps, args.n, args.seed, args.out, args.split)
    os.makedirs(args.out, exist_ok=True)
    record["table"] = table(record)
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(record, f, indent=1)
    print(record["table"])
    print(f"trained {record['steps']} steps in {record['train_seconds']} s")


if __name__ == "__main__":
    main()
