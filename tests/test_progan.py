"""ProGAN: fade-in continuity, growth through three resolutions, resume mid-fade, export."""

import keras
import numpy as np
import pytest

from conftest import tiny_config
from ganzoo import losses, runs, training
from ganzoo.factory import build_family
from ganzoo.data import load_dataset
from ganzoo.export import export
from ganzoo.registry import NETWORKS

NET = dict(data_shape=(16, 16, 1), width=4, max_width=8)


def test_a_new_level_starts_as_the_previous_one_upsampled():
    """alpha = 0 at level l reproduces level l - 1, so growing does not jolt either net."""
    g = NETWORKS.get("progan_generator")(latent_dim=4, **NET).build_for_data()
    d = NETWORKS.get("progan_discriminator")(**NET).build_for_data()
    z = np.random.default_rng(0).standard_normal((3, 4)).astype("float32")
    x = np.random.default_rng(1).standard_normal((3, 16, 16, 1)).astype("float32")
    for level in (1, 2):
        outputs = []
        for net_level, alpha in ((level - 1, 1.0), (level, 0.0)):
            g.set_growth(net_level, alpha)
            d.set_growth(net_level, alpha)
            outputs.append((g(z).numpy(), d(x).numpy()))
        np.testing.assert_allclose(outputs[0][0], outputs[1][0], atol=1e-5)
        np.testing.assert_allclose(outputs[0][1], outputs[1][1], atol=1e-5)
        factor = 2 ** (2 - level + 1)  # level l - 1 output: constant factor x factor blocks
        blocks = outputs[0][0][:, ::factor, ::factor]
        np.testing.assert_array_equal(
            outputs[0][0], np.repeat(np.repeat(blocks, factor, 1), factor, 2))
    g.set_growth(2, 0.5)
    assert np.abs(g(z).numpy() - outputs[1][0]).max() > 1e-4


class GrowthLog(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.seen = []

    def on_train_batch_end(self, batch, logs=None):
        nets = self.model.growing_networks()
        self.seen.append({(float(n.level.numpy()), round(float(n.alpha.numpy()), 4))
                          for n in nets})


def _config(resolution, steps=2, **family_args):
    return tiny_config("progan", **{"data.resolution": resolution, "train.steps": steps,
                                    "train.checkpoint_every": steps}, family_args=family_args)


@pytest.mark.slow  # ~20 s (suite budget); fade continuity stays in the default suite
def test_grows_through_three_resolutions():
    config = _config(16, phase_steps=2, fade_steps=2)
    dataset, info = load_dataset(config.data, 4)
    model = build_family(config, info)
    log = GrowthLog()
    model.fit(dataset, steps_per_epoch=6, epochs=1, verbose=0, callbacks=[log])
    assert log.seen == [{(0.0, 1.0)}, {(0.0, 1.0)}, {(1.0, 0.0)}, {(1.0, 0.5)},
                        {(2.0, 0.0)}, {(2.0, 0.5)}]


@pytest.mark.slow  # ~40 s: two trainings; resume itself is checked for every family by
def test_resumes_mid_fade(tmp_path, capsys):  # the harness and test_resume.py
    config = _config(8, steps=5, phase_steps=3, fade_steps=3)
    run = str(tmp_path / "run")
    training.train(config, run, verbose=0)
    resumed = runs.load_run(run)
    for net in resumed.growing_networks():  # G step 5 of 5 ran at level 1, 1/3 faded in
        assert (float(net.level.numpy()), round(float(net.alpha.numpy()), 4)) == (1.0, 0.3333)
    config.train.steps = 6
    model = training.train(config, run, verbose=0)
    assert "from step 5" in capsys.readouterr().out
    assert int(model.g_optimizer.iterations.numpy()) == 6
    for net in model.growing_networks():  # step 6 went on with the fade: 2/3
        assert (float(net.level.numpy()), round(float(net.alpha.numpy()), 4)) == (1.0, 0.6667)


def test_gradient_penalty_is_measured_at_the_current_resolution():
    """At level 1 of 16x16 (8x8 images upsampled 2x), GP equals WGAN-GP on the 8x8 images."""
    config = _config(16)
    _, info = load_dataset(config.data, 4)
    model = build_family(config, info)
    for net in model.growing_networks():
        net.set_growth(1, 1.0)
    rng = np.random.default_rng(0)
    real, fake = (rng.standard_normal((3, 8, 8, 1)).astype("float32") for _ in range(2))
    alpha = rng.uniform(size=(3, 1, 1, 1)).astype("float32")

    def up(x):
        return keras.ops.repeat(keras.ops.repeat(x, 2, axis=1), 2, axis=2)

    expected = losses.gradient_penalty(lambda x: model.discriminator(up(x)), real, fake, alpha)
    actual = model.gradient_penalty(up(real), up(fake), None, alpha)
    np.testing.assert_allclose(float(actual), float(expected), rtol=1e-4)


def test_rejects_bad_schedules_and_other_networks():
    _, info = load_dataset(tiny_config("progan").data, 4)
    with pytest.raises(ValueError, match="fade_steps <= phase_steps"):
        build_family(tiny_config("progan", family_args={"fade_steps": 10, "phase_steps": 5}),
                     info)
    with pytest.raises(ValueError, match="progan needs progan networks"):
        build_family(tiny_config("progan", arch="dcgan"), info)


@pytest.mark.slow  # 10 s; the harness exports progan (level 0) in the default suite
def test_export_at_the_current_level(tmp_path):
    g = NETWORKS.get("progan_generator")(latent_dim=4, name="tiny_progan", **NET).build_for_data()
    g.set_growth(1, 0.5)
    record = export(g, out=str(tmp_path), fresh_process=False)
    assert max(record["saved_model"]["max_abs_diff"].values()) < 1e-4
    assert record["tflite"]["files"]["float32"]["max_abs_diff"] < 1e-4
