"""StyleGAN2: truncation, style mixing as the official code draws it, R1 against a
hand-computed case, the Adam correction for lazy regularization, regularization updates
only on their steps (2 replicas), G EMA half-life with ramp-up, path length on the
shrunken batch, mixed precision, config round trip, export with truncation_psi."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from conftest import tiny_config
from ganzoo import config as config_lib
from ganzoo import runtime
from ganzoo.factory import build_family
from ganzoo.data import load_dataset
from ganzoo.export import export
from ganzoo.families.stylegan import StyleGAN2, mix_styles
from ganzoo.networks.base import Discriminator
from ganzoo.registry import NETWORKS, zoo_configs


def tiny_generator(**kwargs):
    return NETWORKS.get("stylegan_generator")(
        latent_dim=4, data_shape=(8, 8, 1), channel_base=32, channel_max=8, mapping_layers=2,
        **kwargs).build_for_data()


def latents(n, seed=0):
    return np.random.default_rng(seed).standard_normal((n, 4)).astype("float32")


def test_truncation_psi_zero_gives_the_mean_image_for_every_z():
    g = tiny_generator()
    g.w_avg.assign(np.random.default_rng(1).standard_normal(4).astype("float32"))
    z = latents(3)
    mean_image = g.synthesis(tf.constant(np.tile(g.w_avg.numpy(), (3, g.num_ws, 1)))).numpy()
    np.testing.assert_allclose(g(z, truncation_psi=0.0).numpy(), mean_image, atol=1e-6)
    free = g(z).numpy()
    assert np.abs(free[0] - free[1]).max() > 1e-3, "psi=1 should keep samples apart"
    ws = g.mapping(z).numpy()
    halfway = g.synthesis(tf.constant(g.w_avg.numpy() + 0.5 * (ws - g.w_avg.numpy()))).numpy()
    np.testing.assert_allclose(g(z, truncation_psi=0.5).numpy(), halfway, atol=1e-6)
    cut = g.mapping(z, truncation_psi=0.5, truncation_cutoff=2).numpy()
    np.testing.assert_allclose(cut[:, :2], g.mapping(z, truncation_psi=0.5)[:, :2], atol=1e-6)
    np.testing.assert_array_equal(cut[:, 2:], ws[:, 2:])


def test_style_mixing_takes_coarse_styles_from_w1_and_fine_from_w2():
    g = tiny_generator()
    w1, w2 = g.mapping(latents(2, seed=1))[:, 0], g.mapping(latents(2, seed=2))[:, 0]
    styles = mix_styles(w1, w2, np.array([1, g.num_ws - 1]), g.num_ws).numpy()
    np.testing.assert_array_equal(styles[0, 0], w1[0])
    np.testing.assert_array_equal(styles[0, 1:], np.repeat(w2[:1].numpy(), g.num_ws - 1, 0))
    np.testing.assert_array_equal(styles[1, :-1], np.repeat(w1[1:].numpy(), g.num_ws - 1, 0))

    def image(crossover):
        return g.synthesis(mix_styles(w1, w2, np.array([crossover] * 2), g.num_ws)).numpy()

    pure_w1, pure_w2, mixed = image(g.num_ws), image(0), image(2)
    np.testing.assert_allclose(pure_w1, g.synthesis(np.repeat(w1[:, None], g.num_ws, 1)))
    assert np.abs(mixed - pure_w1).max() > 1e-4 and np.abs(mixed - pure_w2).max() > 1e-4


def test_update_w_avg_moves_toward_the_batch_mean_by_one_minus_beta():
    g = tiny_generator(w_avg_beta=0.9)
    g.w_avg.assign(np.ones(4, "float32"))
    w = np.random.default_rng(0).standard_normal((3, 4)).astype("float32")
    g.update_w_avg(w)
    np.testing.assert_allclose(g.w_avg.numpy(), w.mean(0) + 0.9 * (1.0 - w.mean(0)), rtol=1e-6)


class LinearCritic(Discriminator):
    """D(x) = <a, x> + b: grad_x D = a everywhere, so R1 = ||a||^2 exactly."""

    def __init__(self, data_shape=(8, 8, 1), num_classes=0, aux_classes=0, **kwargs):
        super().__init__(data_shape=data_shape, num_classes=num_classes,
                         aux_classes=aux_classes, **kwargs)
        self.data_shape, self.num_classes, self.aux_classes = data_shape, num_classes, 0
        self.flatten = keras.layers.Flatten()
        self.build_heads(spectral_norm=False)

    def features(self, inputs, training=False):
        return self.flatten(inputs)


def tiny_family(**family_args):
    return StyleGAN2(tiny_generator(), LinearCritic().build_for_data(), **family_args)


def test_r1_loss_matches_the_hand_computed_value():
    family = tiny_family(r1_gamma=3.0, ema_kimg=0)
    a = np.random.default_rng(0).standard_normal((64, 1)).astype("float32")
    family.discriminator.realness.set_weights([a, np.zeros(1, "float32")])
    real = np.random.default_rng(1).standard_normal((5, 8, 8, 1)).astype("float32")
    np.testing.assert_allclose(float(family.r1_loss(real, None)),
                               3.0 / 2 * float(np.sum(a ** 2)), rtol=1e-5)  # gamma/2 ||a||^2


def test_adam_takes_the_lazy_regularization_correction():
    config = tiny_config("stylegan", family_args={"r1_interval": 16, "pl_interval": 4},
                         **{"train.g_lr": 0.002, "train.d_lr": 0.004, "train.beta_1": 0.5,
                            "train.beta_2": 0.99})
    _, info = load_dataset(config.data, 4)
    for pl_weight, g_c in ((2.0, 4 / 5), (0.0, 1.0)):
        config = config_lib.override(config, {"family_args.pl_weight": pl_weight})
        model = build_family(config, info)
        for optimizer, lr, c in ((model.g_optimizer, 0.002, g_c),
                                 (model.d_optimizer, 0.004, 16 / 17)):
            np.testing.assert_allclose(float(optimizer.learning_rate.numpy()), lr * c, rtol=1e-6)
            np.testing.assert_allclose([optimizer.beta_1, optimizer.beta_2],
                                       [0.5 ** c, 0.99 ** c], rtol=1e-12)


@pytest.mark.slow  # 25 s; the harness runs stylegan on 2 replicas in the default suite
def test_regularization_updates_only_on_their_steps_on_two_replicas():
    """R1 every 2 steps and path length every step are separate optimizer updates, on the
    last step of each interval; w_avg, pl_mean, the EMA and images seen agree on both
    replicas."""
    config = tiny_config("stylegan", family_args={"r1_interval": 2, "pl_interval": 1,
                                                  "pl_weight": 1.0, "ema_kimg": 0.01})
    dataset, info = load_dataset(config.data, 4)
    with runtime.make_strategy("mirrored").scope():
        model = build_family(config, info)
    updates = []
    record = keras.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: updates.append(
        (int(model.g_optimizer.iterations.numpy()), int(model.d_optimizer.iterations.numpy()))))
    history = model.fit(dataset, steps_per_epoch=2, epochs=1, verbose=0,
                        callbacks=[record]).history
    assert updates == [(2, 1), (4, 3)]
    assert all(np.isfinite(values[-1]) for values in history.values()), history
    assert history["r1"][-1] > 0 and history["pl"][-1] > 0
    assert int(model.batches.numpy()) == 2 and int(model.images_seen.numpy()) == 2 * 4
    copies = [copy.numpy() for copy in model.generator.w_avg.value.values]
    assert np.abs(copies[0]).max() > 0, "w_avg did not move"
    np.testing.assert_array_equal(copies[0], copies[1])
    np.testing.assert_array_equal(model.ema_generator.w_avg.numpy(), copies[0])
    assert float(model.pl_mean.numpy()) > 0, "path-length mean did not move"


def test_ema_beta_is_the_half_life_with_ramp_up():
    family = tiny_family(ema_kimg=10.0, ema_rampup=0.05)
    for seen, expected in ((0, 0.0), (1000, 0.5 ** (32 / 50)), (10 ** 6, 0.5 ** (32 / 1e4))):
        family.images_seen.assign(seen)
        np.testing.assert_allclose(float(family.ema_beta(32)), expected, rtol=1e-6)
    assert float(tiny_family(ema_kimg=10.0, ema_rampup=None).ema_beta(32)) == pytest.approx(
        0.5 ** (32 / 1e4))
    family.images_seen.assign(640)  # n = 640 x 0.05 = 32 images: beta = 1/2
    g, ema = family.generator, family.ema_generator
    for weight in ema.weights:
        weight.assign(np.zeros(weight.shape, weight.dtype))
    g.w_avg.assign(np.full(4, 0.3, "float32"))
    family._update_ema(32)
    for ema_weight, weight in zip(ema.trainable_weights, g.trainable_weights):
        np.testing.assert_allclose(ema_weight.numpy(), 0.5 * weight.numpy(), rtol=1e-6)
    np.testing.assert_array_equal(ema.w_avg.numpy(), g.w_avg.numpy())
    assert tiny_family(ema_kimg=0).ema_generator is None


def test_path_length_runs_on_the_shrunken_batch():
    family = tiny_family(pl_weight=2.0, pl_batch_shrink=3, pl_decay=0.01)
    synthesis, batches = family.generator.synthesis, []

    def recorded(ws, noise_mode="const"):
        batches.append(int(ws.shape[0]))
        return synthesis(ws, noise_mode)

    family.generator.synthesis = recorded
    loss = float(family.pl_loss(np.zeros((7, 8, 8, 1), "float32"), None))
    assert batches == [7 // 3]
    assert float(family.pl_mean.numpy()) > 0 and np.isfinite(loss) and loss >= 0


def test_style_mixing_draws_one_crossover_for_the_batch():
    family = tiny_family(style_mixing=1.0)
    for _ in range(3):
        ws = family.styles(6).numpy()
        changes = {int(np.argmax(np.abs(np.diff(row, axis=0)).max(1) > 0)) + 1 for row in ws}
        assert len(changes) == 1 and 1 <= changes.pop() < family.generator.num_ws
    ws = tiny_family(style_mixing=0.0).styles(6).numpy()
    np.testing.assert_array_equal(ws, np.repeat(ws[:, :1], ws.shape[1], axis=1))


@pytest.mark.slow  # 10 s; the harness runs a stylegan mixed_float16 step in the default suite
def test_one_step_in_mixed_float16_keeps_float32_images():
    keras.mixed_precision.set_global_policy("mixed_float16")  # conftest resets it
    config = tiny_config("stylegan", family_args={"r1_interval": 1, "pl_interval": 1})
    dataset, info = load_dataset(config.data, 4)
    model = build_family(config, info)
    assert model.d_optimizer.inner_optimizer.beta_2 == pytest.approx(config.train.beta_2 ** 0.5)
    history = model.fit(dataset, steps_per_epoch=1, epochs=1, verbose=0).history
    assert all(np.isfinite(values[-1]) for values in history.values()), history
    assert int(model.d_optimizer.iterations.numpy()) == 2
    assert model.sampling_generator()(latents(2)).dtype == "float32"


def test_zoo_config_round_trips_and_rejects_other_networks(tmp_path):
    config = config_lib.load_yaml(zoo_configs()["stylegan_celeb_a_64"])
    path = tmp_path / "resolved.yaml"
    path.write_text(config.to_yaml())
    assert config_lib.load_yaml(str(path)) == config
    _, info = load_dataset(tiny_config("dcgan").data, 4)
    with pytest.raises(ValueError, match="stylegan needs generator.arch 'stylegan'"):
        build_family(tiny_config("stylegan", arch="dcgan"), info)


def test_export_has_a_truncation_psi_input(tmp_path):
    g = tiny_generator(name="tiny_stylegan")
    g.w_avg.assign(np.full(4, 0.3, "float32"))
    record = export(g, formats="saved_model", out=str(tmp_path), fresh_process=False)
    assert max(record["saved_model"]["max_abs_diff"].values()) < 1e-4
    serving = tf.saved_model.load(record["saved_model"]["path"]).signatures["serving_default"]
    z = tf.constant(latents(3))
    mean = serving(noise=z, truncation_psi=tf.constant(0.0))["images"].numpy()
    np.testing.assert_allclose(mean, np.repeat(mean[:1], 3, axis=0), atol=1e-6)
    free = serving(noise=z, truncation_psi=tf.constant(1.0))["images"].numpy()
    assert np.abs(free - mean).max() > 1e-3
