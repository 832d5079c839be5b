"""Transfer learning (ganzoo/transfer.py, ``ganzoo train --init-from``): a run starts from a
preset's or a run's G, EMA G and D with fresh optimizers at step 0; networks that differ
are refused in one line naming the difference; shipped presets hold their discriminator."""

import keras
import numpy as np
import pytest

from conftest import tiny_config
from ganzoo import checkpointing, cli, presets, runs, transfer
from ganzoo import config as config_lib
from ganzoo.factory import build_family
from ganzoo.data import DatasetInfo
from ganzoo.registry import zoo_config_path

ROLES = ("generator", "ema_generator", "discriminator")


def tiny(family="dcgan", **overrides):
    """(config, info) of a tiny model with an EMA generator."""
    config = tiny_config(family, **{"family_args.ema_decay": 0.9, **overrides})
    resolution = config.data.resolution
    return config, DatasetInfo("digits", (resolution, resolution, 1), 10, 1797)


def same(a, b):
    return all(np.array_equal(x, y) for x, y in zip(a.get_weights(), b.get_weights()))


@pytest.fixture(scope="module")
def from_source(source):
    """The ``initialize`` hook of the source preset, loaded once."""
    return transfer.initializer(source[0])


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """(preset folder, model) of a tiny dcgan built with another seed than the targets."""
    config, info = tiny()
    keras.utils.set_random_seed(7)
    model = build_family(config, info)
    folder = str(tmp_path_factory.mktemp("source") / "preset")
    presets.save_preset(model, folder, config, info)
    return folder, model


def test_init_from_copies_g_ema_d_and_keeps_fresh_optimizers(source):
    folder, model = source
    target = build_family(*tiny())
    assert not same(target.generator, model.generator)
    message = transfer.initializer(folder)(target)
    assert message == f"Initialized G, EMA G, D from {folder}; fresh optimizers, step 0."
    for role in ROLES:
        assert same(getattr(target, role), getattr(model, role)), role
    assert int(target.g_optimizer.iterations.numpy()) == 0


@pytest.mark.slow
def test_cli_train_init_from_starts_at_step_0_from_the_weights(source, tmp_path, capsys):
    folder, model = source
    recipe, run_dir = tmp_path / "tiny.yaml", str(tmp_path / "tuned")
    recipe.write_text(tiny()[0].to_yaml())
    assert cli.main(["train", "--config", str(recipe), "--init-from", folder, "--out", run_dir,
                     "--steps", "1"]) == 0
    assert f"Initialized G, EMA G, D from {folder}" in capsys.readouterr().out
    assert [step for step, _ in checkpointing.checkpoints(run_dir)] == [1]
    tuned = runs.load_run(run_dir)
    assert int(tuned.g_optimizer.iterations.numpy()) == 1
    for role in ROLES:  # copied, then one Adam step (lr 2e-4) away
        before = getattr(model, role).trainable_weights
        after = getattr(tuned, role).trainable_weights
        assert 0 < max(float(np.abs(a - b).max()) for a, b in zip(before, after)) < 1e-2, role


def test_init_from_a_shipped_preset_copies_its_discriminator():
    config = config_lib.load_yaml(zoo_config_path("dcgan_digits"))
    model = build_family(config, DatasetInfo("digits", (32, 32, 1), 10, 1797))
    initialize = transfer.initializer("dcgan_digits")
    assert initialize(model) == "Initialized G, D from dcgan_digits; fresh optimizers, step 0."
    preset = initialize.source
    assert preset.untrained_networks == []  # every network came from the preset's files
    assert same(model.generator, preset.generator)
    assert same(model.discriminator, preset.discriminator)


def test_shipped_presets_hold_their_discriminator():
    missing = [name for name, meta in presets.shipped_presets().items()
               if "discriminator.weights.h5" not in meta["files"]]
    assert not missing


@pytest.mark.parametrize("overrides, family, names", [
    ({}, "lsgan", "family is dcgan in"),
    ({"generator.args.width": 8}, "dcgan", "generator width is 4 in"),
    ({"data.resolution": 16}, "dcgan", "generator data_shape is [8, 8, 1] in"),
])
def test_other_networks_are_refused_in_one_line(source, from_source, overrides, family, names):
    target = build_family(*tiny(family, **overrides))
    with pytest.raises(ValueError) as error:
        from_source(target)
    line = str(error.value)
    assert names in line and "\n" not in line and line.startswith(f"Cannot start from {source[0]}")


def test_preset_without_discriminator_says_d_starts_fresh(source, tmp_path):
    folder = str(tmp_path / "no_d")
    config, info = tiny()
    presets.save_preset(source[1], folder, config, info, include_discriminator=False)
    target = build_family(config, info)
    fresh_d = target.discriminator.get_weights()
    assert "no D (the source has none: D starts fresh)" in transfer.initializer(folder)(target)
    assert all(np.array_equal(a, b) for a, b in zip(fresh_d, target.discriminator.get_weights()))
    assert same(target.generator, source[1].generator)


@pytest.mark.slow
def test_init_from_a_run_directory_in_python(source, tmp_path):
    """``ganzoo.train(init_from=RUN_DIR)``: the newest checkpoint's networks."""
    import ganzoo

    config, _ = tiny(**{"train.steps": 2})
    first = ganzoo.train(config, run_dir=str(tmp_path / "first"), verbose=0)
    target = ganzoo.build(config, init_from=str(tmp_path / "first"))
    for role in ROLES:
        assert same(getattr(target, role), getattr(first, role)), role
    assert int(target.g_optimizer.iterations.numpy()) == 0
