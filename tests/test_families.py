"""Family-specific behaviour (every family's common checks are in test_family_harness.py)."""

import numpy as np
import pytest

from conftest import tiny_config
from harness import fit_one_step
from ganzoo.build import build_family
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
