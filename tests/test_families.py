"""Every family takes a real training step, on one device and on 2 replicas."""

import numpy as np
import pytest
import tensorflow as tf

from conftest import tiny_config
from ganzoo import runtime
from ganzoo.build import build_family
from ganzoo.data import load_dataset


def _fit_one_step(config, strategy):
    dataset, info = load_dataset(config.data, 4 * config.family_args["d_steps"])
    with strategy.scope():
        model = build_family(config, info)
    before = [w.numpy().copy() for w in model.generator.trainable_weights]
    history = model.fit(dataset, steps_per_epoch=1, epochs=1, verbose=0)
    return model, before, history.history


@pytest.mark.parametrize("strategy", ["default", "mirrored"])
def test_one_step(family_name, strategy):
    config = tiny_config(family_name)
    model, before, history = _fit_one_step(config, runtime.make_strategy(strategy))
    assert model.distribute_strategy.num_replicas_in_sync == (2 if strategy == "mirrored" else 1)
    assert all(np.isfinite(values[-1]) for values in history.values()), history
    after = [w.numpy() for w in model.generator.trainable_weights]
    assert any(not np.allclose(a, b) for a, b in zip(before, after)), "G did not move"
    assert int(model.g_optimizer.iterations.numpy()) == 1
    assert int(model.d_optimizer.iterations.numpy()) == config.family_args["d_steps"]


def test_wgan_clips_critic_weights_on_every_replica():
    config = tiny_config("wgan")
    model, _, _ = _fit_one_step(config, runtime.make_strategy("mirrored"))
    for weight in model.discriminator.trainable_weights:
        for value in weight.value.values:
            assert np.abs(value.numpy()).max() <= 0.01 + 1e-7


def test_ema_generator_tracks_generator():
    config = tiny_config("dcgan", family_args={"ema_decay": 0.5})
    model, before, _ = _fit_one_step(config, tf.distribute.get_strategy())
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
