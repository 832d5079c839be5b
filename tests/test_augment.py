"""ganzoo augment: a class-balanced labeled folder, fill-up of what a folder lacks, manifest."""

import json
import os

import numpy as np
from conftest import tiny_config
from PIL import Image

from ganzoo import augment, cli
from ganzoo.factory import build_networks
from ganzoo.data import load_dataset


def test_augment_fills_up_what_a_folder_lacks(tmp_path):
    real = tmp_path / "real"
    for name, count in (("3", 2), ("7", 5)):
        os.makedirs(real / name)
        for i in range(count):
            Image.fromarray(np.zeros((32, 32), np.uint8)).save(real / name / f"{i}.png")
    out = tmp_path / "synthetic"
    cli.main(["augment", "cgan_digits", "--per-class", "3", "--out", str(out),
              "--fill-up", str(real), "--seed", "4"])
    manifest = json.loads((out / "manifest.json").read_text())
    expected = {str(k): 3 for k in range(10)} | {"3": 1, "7": 0}
    assert manifest["counts"] == expected and manifest["existing"]["7"] == 5
    assert {k: len(os.listdir(out / k)) for k in expected} == expected
    assert manifest["generator"]["family"] == "cgan" and manifest["seed"] == 4
    assert len(manifest["generator"]["sha256"]["generator.weights.h5"]) == 64
    assert Image.open(next((out / "0").iterdir())).size == (32, 32)


def test_unconditional_samples_are_labeled_by_the_classifier():
    config = tiny_config("sgan")
    generator, _ = build_networks(config, load_dataset(config.data, 4)[1])

    def classifier(x, training=False):
        return np.eye(10)[np.arange(len(x)) % 10]

    made = augment.classified_samples(generator, classifier, {0: 2, 9: 3},
                                      np.random.default_rng(0), batch_size=10)
    assert made[0].shape == (2, 8, 8, 1) and made[9].shape == (3, 8, 8, 1)


def test_conditional_stylegan_samples_are_truncated():
    from ganzoo.registry import NETWORKS

    generator = NETWORKS.get("stylegan_generator")(
        latent_dim=4, data_shape=(8, 8, 1), num_classes=10, channel_base=32,
        channel_max=8).build_for_data()
    at_mean = [augment.conditional_samples(generator, 3, 2, np.random.default_rng(seed), 0.0)
               for seed in (0, 1)]
    np.testing.assert_allclose(at_mean[0], at_mean[1], atol=1e-6)  # psi = 0: the mean image
    assert augment.conditional_samples(generator, 3, 2, np.random.default_rng(0)).shape == (
        2, 8, 8, 1)
