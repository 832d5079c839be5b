"""Family-specific behaviour (every family's common checks are in test_family_harness.py)."""

import numpy as np
import pytest

from conftest import tiny_config
from harness import fit_one_step
from ganzoo import config as config_lib
from ganzoo.factory import build_family, build_optimizer
from ganzoo.data import load_dataset


def test_wgan_clips_critic_weights_on_every_replica():
    config = tiny_config("wgan")
    model, _, _ = fit_one_step(config, "mirrored")
    for weight in model.discriminator.trainable_weights:
        for value in weight.value.values:
            assert np.abs(value.numpy()).max() <= 0.01 + 1e-7


def test_ema_generator_tracks_generator():
    config = tiny_config("dcgan", family_args={"ema_decay": 0.5})
    model, before, _ = fit_one_step(config)
    for ema, start, now in zip(model.ema_generator.trainable_weights, before,
                               model.generator.trainable_weights):
        np.testing.assert_allclose(ema.numpy(), 0.5 * start + 0.5 * now.numpy(), atol=1e-6)
    assert model.sampling_generator() is model.ema_generator


def test_conditional_family_without_labels_fails_clearly():
    config = tiny_config("cgan", dataset="ring", arch="mlp")
    _, info = load_dataset(config.data, 4)
    with pytest.raises(ValueError, match="conditional but dataset 'ring' has no labels"):
        build_family(config, info)


def test_unknown_g_objective_lists_choices():
    with pytest.raises(ValueError, match="nonsaturating, minimax"):
        _, info = load_dataset(tiny_config("gan").data, 4)
        build_family(tiny_config("gan", family_args={"g_objective": "max"}), info)


def test_learning_rate_decays_linearly_over_the_last_epochs():
    """lr_decay_epochs (CycleGAN/pix2pix): constant, then lr0 (1 - (e + 1 - n) / (N + 1))."""
    train = config_lib.TrainConfig(steps=40, steps_per_epoch=10, g_lr=1.0, lr_decay_epochs=2)
    optimizer = build_optimizer(train, 1.0)
    rates = []
    for step in (0, 9, 10, 19, 20, 29, 30, 39):
        optimizer.iterations.assign(step)
        rates.append(float(optimizer.learning_rate))
    np.testing.assert_allclose(rates, [1, 1, 1, 1, 2 / 3, 2 / 3, 1 / 3, 1 / 3], rtol=1e-6)
    critic = build_optimizer(train, 1.0, updates_per_step=5)
    critic.iterations.assign(5 * 30)
    np.testing.assert_allclose(float(critic.learning_rate), 1 / 3, rtol=1e-6)
