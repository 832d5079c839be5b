"""StyleGAN2: truncation, style mixing, lazy R1 against a hand-computed case, w_avg and
path-length bookkeeping on 2 replicas, config round trip, export with truncation_psi."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from conftest import tiny_config
from ganzoo import config as config_lib
from ganzoo import runtime
from ganzoo.build import build_family
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


def test_lazy_r1_matches_the_hand_computed_value():
    critic = LinearCritic().build_for_data()
    a = np.random.default_rng(0).standard_normal((64, 1)).astype("float32")
    critic.realness.set_weights([a, np.zeros(1, "float32")])
    family = StyleGAN2(tiny_generator(), critic, r1_gamma=3.0, r1_interval=4, ema_decay=0.0)
    family.compile(keras.optimizers.Adam(), keras.optimizers.Adam())
    real = np.random.default_rng(1).standard_normal((5, 8, 8, 1)).astype("float32")
    expected = 3.0 / 2 * float(np.sum(a ** 2)) * 4  # gamma/2 * ||a||^2 * interval
    np.testing.assert_allclose(float(family.r1(real, None)), expected, rtol=1e-5)
    family.d_optimizer.iterations.assign(5)
    assert float(family.r1(real, None)) == 0.0
    family.d_optimizer.iterations.assign(8)
    np.testing.assert_allclose(float(family.r1(real, None)), expected, rtol=1e-5)


def test_w_avg_path_length_and_ema_on_two_replicas():
    config = tiny_config("stylegan", family_args={"pl_weight": 1.0, "pl_interval": 1,
                                                  "r1_interval": 1, "ema_decay": 0.5})
    dataset, info = load_dataset(config.data, 4)
    with runtime.make_strategy("mirrored").scope():
        model = build_family(config, info)
    history = model.fit(dataset, steps_per_epoch=2, epochs=1, verbose=0).history
    assert all(np.isfinite(values[-1]) for values in history.values()), history
    copies = [copy.numpy() for copy in model.generator.w_avg.value.values]
    assert np.abs(copies[0]).max() > 0, "w_avg did not move"
    np.testing.assert_array_equal(copies[0], copies[1])
    np.testing.assert_array_equal(model.ema_generator.w_avg.numpy(), copies[0])
    assert float(model.pl_mean.numpy()) > 0, "path-length mean did not move"


def test_one_step_in_mixed_float16_keeps_float32_images():
    keras.mixed_precision.set_global_policy("mixed_float16")  # conftest resets it
    config = tiny_config("stylegan")
    dataset, info = load_dataset(config.data, 4)
    model = build_family(config, info)
    history = model.fit(dataset, steps_per_epoch=1, epochs=1, verbose=0).history
    assert all(np.isfinite(values[-1]) for values in history.values()), history
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
