"""What tools/srgan_study.py and tools/inpaint_study.py share: the command line, training
a recipe on the first 80% of digits, and the held-out 20%."""

import argparse
import dataclasses
import json
import os
import time

import numpy as np
import yaml

from ganzoo import config as config_lib
from ganzoo import training
from ganzoo.data import load_dataset
from ganzoo.registry import zoo_configs


def arguments(description, recipe):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--recipe", default=recipe)
    parser.add_argument("--steps", type=int, default=None, help="default: the recipe's")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="a recipe override (YAML value), e.g. train.g_lr=0.0002")
    parser.add_argument("--run", default=f"runs/{recipe}_study")
    parser.add_argument("--out", default=f"runs/{recipe}_study/results.json")
    return parser


def train(args):
    """(trained model, resolved config, training minutes) of the study's recipe."""
    overrides = {"train.seed": args.seed}
    for item in args.set:
        key, value = item.split("=", 1)
        overrides[key] = yaml.safe_load(value)
    if args.steps:
        overrides["train.steps"] = args.steps
    config = config_lib.override(config_lib.load_yaml(zoo_configs()[args.recipe]), overrides)
    start = time.time()
    model = training.train(config, args.run, verbose=0)
    return model, config, (time.time() - start) / 60


def held_out(data, split="train[80%:]"):
    """(images, labels) of ``split`` of the recipe's dataset, in dataset order."""
    dataset, _ = load_dataset(dataclasses.replace(data, split=split), 1, repeat=False)
    pairs = list(dataset.as_numpy_iterator())
    return np.concatenate([x for x, _ in pairs]), np.concatenate([y for _, y in pairs])


def write(results, path):
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w") as f:
        json.dump(results, f, indent=2)
