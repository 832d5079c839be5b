"""Stabilisation options: DiffAugment, instance noise, label smoothing, feature matching,
minibatch discrimination and unrolled GANs."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from conftest import tiny_config
from ganzoo import config as config_lib
from ganzoo import losses, runtime, stabilizers
from ganzoo.factory import build_family
from ganzoo.data import load_dataset
from ganzoo.data.toy2d import mode_coverage
from ganzoo.layers.minibatch import MinibatchDiscrimination
from ganzoo.registry import NETWORKS


def _images(n=16, value=None):
    if value is not None:
        return tf.fill((n, 8, 8, 1), value)
    return tf.random.stateless_uniform((n, 8, 8, 3), (1, 2), -1.0, 1.0)


@pytest.mark.parametrize("policy", ["color", "translation", "cutout",
                                    "translation,cutout,color"])
def test_diffaugment_changes_images_and_is_differentiable(policy):
    x = _images()
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = stabilizers.diff_augment(x, policy, keras.random.SeedGenerator(0))
        weights = tf.reshape(tf.range(8 * 8 * 3, dtype=tf.float32), (1, 8, 8, 3)) / 100
        total = tf.reduce_sum(y * weights)
    assert y.shape == x.shape and not np.allclose(y, x)
    grad = tape.gradient(total, x)
    assert grad is not None and np.all(np.isfinite(grad)) and np.abs(grad).sum() > 0


def test_translation_shifts_by_at_most_one_eighth_with_zero_fill():
    y = stabilizers.translation(_images(64, 1.0), keras.random.SeedGenerator(1)).numpy()
    assert set(np.unique(y)) <= {0.0, 1.0}
    ones = y.reshape(64, -1).sum(axis=1)
    assert ones.min() >= 7 * 7 and ones.min() < 64  # shifts of up to 1 pixel per axis


def test_cutout_zeroes_one_square_of_half_the_size():
    y = stabilizers.cutout(_images(64, 1.0), keras.random.SeedGenerator(2)).numpy()[..., 0]
    zeros = (y == 0).sum(axis=(1, 2))
    assert zeros.max() == 16 and zeros.min() >= 4  # 4x4, clipped at the border
    for image in y:
        rows, cols = np.nonzero(image == 0)
        assert len(rows) == (np.ptp(rows) + 1) * (np.ptp(cols) + 1)  # one rectangle


def test_diffaugment_rejects_unknown_policy_and_flat_data():
    with pytest.raises(ValueError, match="color, translation, cutout"):
        stabilizers.parse_policy("translation,flip")
    with pytest.raises(ValueError, match="image data"):
        stabilizers.diff_augment(tf.zeros((4, 2)), "color", keras.random.SeedGenerator(0))


def test_d_bce_label_smoothing_matches_numpy():
    real, fake = np.array([2.0, -1.0, 0.5]), np.array([0.3, -2.0, 1.0])
    sigmoid = 1 / (1 + np.exp(-real))
    expected = (-np.mean(0.9 * np.log(sigmoid) + 0.1 * np.log(1 - sigmoid))
                - np.mean(np.log(1 - 1 / (1 + np.exp(-fake)))))
    np.testing.assert_allclose(losses.d_bce(real, fake, real_target=0.9), expected, rtol=1e-5)
    np.testing.assert_allclose(losses.d_bce(real, fake),
                               losses.d_bce(real, fake, real_target=1.0), rtol=1e-7)


def test_feature_matching_loss_matches_numpy():
    real = np.array([[1.0, 2.0], [3.0, 4.0]])
    fake = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]])
    np.testing.assert_allclose(losses.feature_matching(real, fake), 1.0 ** 2 + 2.0 ** 2)


def _model(family="gan", dataset="ring", arch="mlp", d_args=None, **family_args):
    config = tiny_config(family, dataset=dataset, arch=arch,
                         family_args={**tiny_config(family).family_args, **family_args})
    if d_args:
        config = config_lib.override(config, {f"discriminator.args.{k}": v
                                              for k, v in d_args.items()})
    dataset, info = load_dataset(config.data, 4 * config.family_args["d_steps"])
    return build_family(config, info), dataset


def test_options_are_validated_family_args():
    with pytest.raises(ValueError, match="needs a BCE discriminator loss; WGANGP"):
        _model("wgan_gp", label_smoothing=0.1)
    with pytest.raises(ValueError, match=r"label_smoothing must be in \[0, 1\)"):
        _model(label_smoothing=1.0)
    with pytest.raises(ValueError, match=r"unrolled_steps must be in \[0, 100\]"):
        _model(unrolled_steps=-1)
    with pytest.raises(config_lib.ConfigError, match="feature_matching must be float"):
        tiny_config("gan", family_args={"feature_matching": "yes"})


def test_instance_noise_is_added_when_training_and_annealed():
    model, _ = _model(instance_noise=0.5, instance_noise_anneal_steps=10)
    x = tf.zeros((4000, 2))
    np.testing.assert_allclose(np.std(model.d_inputs(x)), 0.5, rtol=0.05)
    np.testing.assert_array_equal(model.d_inputs(x, training=False), x)
    model.g_optimizer.iterations.assign(5)
    np.testing.assert_allclose(np.std(model.d_inputs(x)), 0.25, rtol=0.05)
    model.g_optimizer.iterations.assign(20)
    np.testing.assert_array_equal(model.d_inputs(x), x)


def test_minibatch_discrimination_layer():
    layer = MinibatchDiscrimination(num_kernels=3, kernel_dim=2)
    same = layer(tf.ones((5, 4)))
    assert same.shape == (5, 7)
    np.testing.assert_allclose(same[:, 4:], 4.0, rtol=1e-6)  # exp(0) from each of 4 others
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    changed = x.copy()
    changed[3] += 1.0
    assert not np.allclose(layer(x)[0, 4:], layer(changed)[0, 4:])  # sample 0 sees sample 3
    np.testing.assert_array_equal(layer(x)[:, :4], x)


@pytest.mark.parametrize("arch,shape", [("dcgan", (8, 8, 1)), ("mlp", (2,))])
def test_discriminator_features_and_minibatch_option(arch, shape):
    cls = NETWORKS.get(f"{arch}_discriminator")
    net = cls(data_shape=shape, minibatch_discrimination=True,
              **{"dcgan": {"width": 4, "max_width": 8}, "mlp": {"units": 8, "depth": 1}}[arch])
    net.build_for_data()
    assert isinstance(net.minibatch, MinibatchDiscrimination)
    x = np.random.default_rng(0).standard_normal((3, *shape)).astype(np.float32)
    features = net.features(x)
    assert features.shape[0] == 3 and len(features.shape) == 2
    np.testing.assert_allclose(net(x), net.heads(features), rtol=1e-6)
    clone = cls.from_config(net.get_config())
    assert clone.get_config()["minibatch_discrimination"] is True


def test_every_option_trains_on_images():
    model, dataset = _model("gan", "digits", "dcgan", {"minibatch_discrimination": True},
                            diffaugment="translation,cutout,color", instance_noise=0.1,
                            label_smoothing=0.1, feature_matching=1.0)
    history = model.fit(dataset, steps_per_epoch=1, epochs=1, verbose=0).history
    assert all(np.isfinite(v[-1]) for v in history.values()), history


@pytest.mark.slow  # ~6 s; the harness steps every family on two replicas
def test_options_train_on_two_replicas():
    with runtime.make_strategy("mirrored").scope():
        model, dataset = _model("gan", "digits", "dcgan", {"minibatch_discrimination": True},
                                diffaugment="translation,cutout", instance_noise=0.1,
                                feature_matching=1.0, unrolled_steps=1)
    history = model.fit(dataset, steps_per_epoch=1, epochs=1, verbose=0).history
    assert all(np.isfinite(v[-1]) for v in history.values()), history
    assert int(model.d_optimizer.iterations.numpy()) == 1


def test_unrolled_conditional_family_trains():
    model, dataset = _model("cgan", "digits", "mlp", feature_matching=1.0, unrolled_steps=1,
                            label_smoothing=0.2)
    history = model.fit(dataset, steps_per_epoch=1, epochs=1, verbose=0).history
    assert all(np.isfinite(v[-1]) for v in history.values()), history
    assert int(model.d_optimizer.iterations.numpy()) == 1


def _generator_grads(model, real, seed_state, lookahead=None):
    model.seed_generator.state.assign(seed_state)
    with tf.GradientTape() as tape:
        if lookahead is None:
            loss = model.generator_loss(real, None)
        else:
            model._lookahead = lookahead
            loss = model.g_loss(real, None)
            model._lookahead = None
    return [g.numpy() for g in tape.gradient(loss, model.generator.trainable_variables)]


def test_unrolling_mechanics():
    model, _ = _model(unrolled_steps=2, unrolled_lr=0.5)
    real = tf.constant(np.random.default_rng(0).standard_normal((8, 2)), tf.float32)
    state = model.seed_generator.state.numpy()
    before = [w.numpy().copy() for w in model.discriminator.weights]
    x = real[:3]
    with model.lookahead(real, None):
        unrolled = list(model._lookahead)
        after = model.seed_generator.state.numpy()  # the look-ahead drew fresh fakes
        assert not np.allclose(model.discriminate(x, training=False),
                               model.discriminator(x, training=False))
    for weight, value in zip(model.discriminator.weights, before):
        np.testing.assert_array_equal(weight.numpy(), value)
    assert model._lookahead is None and int(model.d_optimizer.iterations.numpy()) == 0

    # The look-ahead is plain SGD on d_loss, differentiable (second-order) for G.
    model.seed_generator.state.assign(state)
    weights = [w.numpy() for w in model.discriminator.trainable_variables]
    for _ in range(2):
        model._lookahead = [tf.constant(w) for w in weights]
        with tf.GradientTape() as tape:
            tape.watch(model._lookahead)
            loss = model.d_loss(real, None)
        grads = tape.gradient(loss, model._lookahead)
        weights = [w - 0.5 * g.numpy() for w, g in zip(weights, grads)]
    model._lookahead = None
    for ours, expected in zip(unrolled, weights):
        np.testing.assert_allclose(ours, expected, rtol=1e-4, atol=1e-6)

    through = _generator_grads(model, real, state)
    model.unrolled_steps = 0
    plain = _generator_grads(model, real, after)
    frozen = _generator_grads(model, real, after, [tf.constant(w) for w in weights])
    assert not all(np.allclose(a, b) for a, b in zip(through, plain))
    assert not all(np.allclose(a, b) for a, b in zip(through, frozen))


def _ring_modes(unrolled_steps, seed=0):
    """Modes of the 8-Gaussian ring that a small GAN covers after 1600 steps."""
    keras.utils.set_random_seed(seed)
    mlp = {"arch": "mlp", "args": {"units": 128, "depth": 2}}
    config = config_lib.from_dict({
        "family": "gan", "latent_dim": 16, "data": {"name": "ring", "batch_size": 256},
        "generator": mlp, "discriminator": mlp,
        "family_args": {"unrolled_steps": unrolled_steps, "unrolled_lr": 0.01},
        "train": {"seed": seed, "g_lr": 5e-4, "d_lr": 5e-4}})
    dataset, info = load_dataset(config.data, 256, seed=seed)
    model = build_family(config, info)
    model.fit(dataset, steps_per_epoch=1600, epochs=1, verbose=0)
    # threshold 10 std = 0.2: "near the mode" at this short training length.
    return mode_coverage(model.sample(1024), "ring", threshold=10)[0]


@pytest.mark.slow
def test_unrolled_gan_covers_more_ring_modes():
    """Metz et al. 2017, Fig. 1: plain GAN collapses, 5 unrolled steps spread over the ring.
    Measured: plain 1 mode, unrolled 8 (15 s and 91 s on 2 cores)."""
    plain, unrolled = _ring_modes(0), _ring_modes(5)
    assert unrolled >= plain + 4, (plain, unrolled)


# option: (value, changes D's loss, changes G's loss) on the same weights, batch and draws
OPTION_EFFECTS = {
    "diffaugment": ("translation,cutout,color", True, True),
    "instance_noise": (0.5, True, True),
    "label_smoothing": (0.2, True, False),
    "feature_matching": (1.0, False, True),
    "unrolled_steps": (2, False, True),
}


def _losses(model, real, labels, seed_state):
    """(D loss, G loss incl. the stabilisers) from the same random draws."""
    model.seed_generator.state.assign(seed_state)
    d_loss = float(model.d_loss(real, labels))
    model.seed_generator.state.assign(seed_state)
    return d_loss, float(model.generator_loss(real, labels))


@pytest.mark.parametrize("option", sorted(OPTION_EFFECTS))
def test_each_option_changes_exactly_the_losses_it_acts_on(option):
    """An option that silently did nothing (or leaked into the other loss) fails here."""
    value, changes_d, changes_g = OPTION_EFFECTS[option]
    plain, dataset = _model("dcgan", "digits", "dcgan")
    treated, _ = _model("dcgan", "digits", "dcgan", **{option: value})
    for mine, theirs in zip(treated.weights, plain.weights):
        mine.assign(theirs)
    real, labels = next(iter(dataset))
    state = plain.seed_generator.state.numpy()
    before, after = _losses(plain, real, labels, state), _losses(treated, real, labels, state)
    assert (before[0] != pytest.approx(after[0], rel=1e-6)) == changes_d, (before, after)
    assert (before[1] != pytest.approx(after[1], rel=1e-6)) == changes_g, (before, after)


def test_label_smoothing_is_the_d_loss_of_every_bce_family():
    """With smoothing t, each BCE family's D loss has the real term against t (its
    classifier terms, if any, unchanged): the difference is exactly the real term's."""
    for family in ("gan", "dcgan", "cgan", "acgan"):
        plain, dataset = _model(family, "digits", "dcgan")
        smoothed, _ = _model(family, "digits", "dcgan", label_smoothing=0.2)
        for mine, theirs in zip(smoothed.weights, plain.weights):
            mine.assign(theirs)
        real, labels = next(iter(dataset))
        state = plain.seed_generator.state.numpy()
        logits = plain.discriminate(real, labels, training=True)
        logits = logits[0] if isinstance(logits, list) else logits
        expected = float(tf.reduce_mean(0.2 * tf.nn.softplus(tf.cast(logits, "float32"))
                                        - 0.2 * tf.nn.softplus(-tf.cast(logits, "float32"))))
        difference = (_losses(smoothed, real, labels, state)[0]
                      - _losses(plain, real, labels, state)[0])
        np.testing.assert_allclose(difference, expected, rtol=1e-4, atol=1e-6, err_msg=family)
