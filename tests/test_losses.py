"""Each loss against an independent numpy formula on small fixed arrays."""

import numpy as np
import pytest
import tensorflow as tf

from ganzoo import losses

REAL = np.array([[1.5], [-0.3], [0.8], [2.0]], dtype=np.float32)
FAKE = np.array([[-1.2], [0.4], [-0.1], [0.9]], dtype=np.float32)
r = REAL.astype(np.float64).ravel()
f = FAKE.astype(np.float64).ravel()


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def close(tensor, expected):
    assert tensor.dtype == tf.float32 and tensor.shape == ()
    np.testing.assert_allclose(tensor.numpy(), expected, rtol=1e-5, atol=1e-6)


PAIRS = {
    "d_bce": (
        lambda: losses.d_bce(REAL, FAKE),
        -np.mean(np.log(sigmoid(r))) - np.mean(np.log(1 - sigmoid(f))),
    ),
    "g_minimax": (lambda: losses.g_minimax(FAKE), np.mean(np.log(1 - sigmoid(f)))),
    "g_nonsaturating": (lambda: losses.g_nonsaturating(FAKE), -np.mean(np.log(sigmoid(f)))),
    "d_wasserstein": (lambda: losses.d_wasserstein(REAL, FAKE), f.mean() - r.mean()),
    "g_wasserstein": (lambda: losses.g_wasserstein(FAKE), -f.mean()),
    "d_hinge": (
        lambda: losses.d_hinge(REAL, FAKE),
        np.mean(np.maximum(0, 1 - r)) + np.mean(np.maximum(0, 1 + f)),
    ),
    "g_hinge": (lambda: losses.g_hinge(FAKE), -f.mean()),
    "d_lsgan": (
        lambda: losses.d_lsgan(REAL, FAKE),
        0.5 * np.mean((r - 1) ** 2) + 0.5 * np.mean(f**2),
    ),
    "g_lsgan": (lambda: losses.g_lsgan(FAKE), 0.5 * np.mean((f - 1) ** 2)),
    "d_relativistic": (
        lambda: losses.d_relativistic(REAL, FAKE),
        -np.mean(np.log(sigmoid(r - f.mean()))) - np.mean(np.log(1 - sigmoid(f - r.mean()))),
    ),
    "g_relativistic": (
        lambda: losses.g_relativistic(REAL, FAKE),
        -np.mean(np.log(sigmoid(f - r.mean()))) - np.mean(np.log(1 - sigmoid(r - f.mean()))),
    ),
}


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_against_numpy(name):
    fn, expected = PAIRS[name]
    close(fn(), expected)


def test_flat_and_column_shapes_agree():
    close(losses.d_hinge(REAL.ravel(), FAKE.ravel()), PAIRS["d_hinge"][1])


# Nowozin et al. 2016, Table 2, written directly: (g_f(v), f*(t)).
NP_FGAN = {
    "kl": (lambda v: v, lambda t: np.exp(t - 1)),
    "reverse_kl": (lambda v: -np.exp(-v), lambda t: -1 - np.log(-t)),
    "js": (lambda v: np.log(2) - np.log(1 + np.exp(-v)), lambda t: -np.log(2 - np.exp(t))),
    "pearson": (lambda v: v, lambda t: t**2 / 4 + t),
    "squared_hellinger": (lambda v: 1 - np.exp(-v), lambda t: t / (1 - t)),
}


def test_divergence_names():
    assert set(losses.F_DIVERGENCES) == set(NP_FGAN)


@pytest.mark.parametrize("name", sorted(NP_FGAN))
def test_fgan(name):
    g_np, conj_np = NP_FGAN[name]
    g_tf, conj_tf = losses.F_DIVERGENCES[name]
    v = np.linspace(-3, 3, 7)
    t = g_tf(tf.constant(v, tf.float32))
    np.testing.assert_allclose(t.numpy(), g_np(v), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(conj_tf(t).numpy(), conj_np(g_np(v)), rtol=1e-4, atol=1e-5)
    close(losses.d_fgan(REAL, FAKE, name), -(np.mean(g_np(r)) - np.mean(conj_np(g_np(f)))))
    close(losses.g_fgan(FAKE, name), -np.mean(g_np(f)))


def test_unknown_divergence_lists_valid_names():
    with pytest.raises(ValueError) as info:
        losses.d_fgan(REAL, FAKE, "wasserstein")
    for name in NP_FGAN:
        assert name in str(info.value)
    with pytest.raises(ValueError):
        losses.g_fgan(FAKE, "nope")


W = tf.constant(np.arange(1, 13, dtype=np.float32).reshape(1, 2, 3, 2) / 10.0)
W_NORM = np.linalg.norm(W.numpy())


def linear_critic(x):
    return tf.reduce_sum(W * x, axis=[1, 2, 3])


def test_gradient_penalty_linear_critic():
    real = tf.random.stateless_normal([3, 2, 3, 2], seed=[1, 2])
    fake = tf.random.stateless_normal([3, 2, 3, 2], seed=[3, 4])
    alpha = tf.constant([0.1, 0.5, 0.9], shape=[3, 1, 1, 1])
    close(losses.gradient_penalty(linear_critic, real, fake, alpha), (W_NORM - 1) ** 2)


def test_gradient_penalty_zero_gradient_is_finite():
    x = tf.zeros([2, 4])
    gp = losses.gradient_penalty(lambda x: tf.zeros([2]) * tf.reduce_sum(x), x, x, tf.ones([2, 1]))
    close(gp, 1.0)
    with tf.GradientTape() as tape:
        w = tf.Variable(0.0)
        tape.watch(w)
        gp = losses.gradient_penalty(lambda x: w * tf.reduce_sum(x, axis=1), x, x, tf.ones([2, 1]))
    assert np.isfinite(tape.gradient(gp, w).numpy())


def test_wasserstein_divergence_term_linear_critic():
    """k E[||grad f(x_hat)||^p] (WGAN-div) is k ||w||^p for a linear critic f = <w, x>."""
    real = tf.random.stateless_normal([3, 2, 3, 2], seed=[1, 2])
    fake = tf.random.stateless_normal([3, 2, 3, 2], seed=[3, 4])
    alpha = tf.constant([0.1, 0.5, 0.9], shape=[3, 1, 1, 1])
    close(losses.gradient_norm_power(linear_critic, real, fake, alpha, 6.0), W_NORM**6)


def test_r1_linear_critic():
    real = tf.random.stateless_normal([3, 2, 3, 2], seed=[5, 6])
    close(losses.r1_penalty(linear_critic, real), W_NORM**2)


def test_classification():
    logits = np.array([[2.0, 0.5, -1.0], [0.1, 0.2, 0.3]], dtype=np.float32)
    labels = np.array([0, 2])
    log_softmax = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    close(losses.classification(labels, logits), -np.mean(log_softmax[[0, 1], labels]))


def test_float16_inputs_give_float32():
    real16, fake16 = REAL.astype(np.float16), FAKE.astype(np.float16)
    for fn in (losses.d_bce, losses.d_wasserstein, losses.d_hinge, losses.d_lsgan,
               losses.d_relativistic, losses.g_relativistic):
        assert fn(real16, fake16).dtype == tf.float32
    for fn in (losses.g_minimax, losses.g_nonsaturating, losses.g_wasserstein,
               losses.g_hinge, losses.g_lsgan):
        assert fn(fake16).dtype == tf.float32
    assert losses.d_fgan(real16, fake16, "js").dtype == tf.float32
    assert losses.g_fgan(fake16, "kl").dtype == tf.float32
    assert losses.classification([0, 1], np.zeros([2, 3], np.float16)).dtype == tf.float32
    x16 = tf.ones([2, 2, 3, 2], tf.float16)
    critic16 = lambda x: tf.reduce_sum(tf.cast(W, tf.float16) * tf.cast(x, tf.float16), [1, 2, 3])
    gp = losses.gradient_penalty(critic16, x16, x16 * 2, tf.fill([2, 1, 1, 1], 0.5))
    assert gp.dtype == tf.float32
    assert losses.r1_penalty(critic16, x16).dtype == tf.float32


def test_extreme_logits_are_finite():
    big = np.array([100.0, -100.0], dtype=np.float32)
    for value in (losses.d_bce(big, big), losses.d_bce(big, -big), losses.g_minimax(big),
                  losses.g_nonsaturating(-big), losses.d_relativistic(big, -big)):
        assert np.isfinite(value.numpy())
    close(losses.d_bce(np.float32([100.0]), np.float32([-100.0])), 0.0)
    close(losses.d_bce(np.float32([-100.0]), np.float32([100.0])), 200.0)
