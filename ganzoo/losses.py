"""GAN objectives as pure functions of raw discriminator outputs.

Convention: the discriminator's logit / critic value is large for REAL data. Every loss casts
its inputs to float32 (mixed precision) and returns a float32 scalar: the mean over the local
(per-replica) batch. The caller scales for the number of replicas.

References:
- Goodfellow et al. 2014, "Generative Adversarial Nets" (minimax and non-saturating GAN).
- Arjovsky et al. 2017, "Wasserstein GAN"; Gulrajani et al. 2017, "Improved Training of
  Wasserstein GANs" (gradient penalty).
- Lim & Ye 2017, "Geometric GAN"; Miyato et al. 2018, "Spectral Normalization" (hinge loss).
- Mao et al. 2017, "Least Squares Generative Adversarial Networks" (a-b-c = 0-1-1).
- Jolicoeur-Martineau 2018, "The relativistic discriminator" (RaGAN).
- Nowozin et al. 2016, "f-GAN", Table 2 (output activations and Fenchel conjugates).
- Wu et al. 2018, "Wasserstein Divergence for GANs" (WGAN-div).
- Mescheder et al. 2018, "Which Training Methods for GANs do actually Converge?" (R1).
- Odena et al. 2017, "Conditional Image Synthesis with Auxiliary Classifier GANs".
"""

import math

import tensorflow as tf

from ganzoo.registry import check_choice

_LOG2 = math.log(2.0)


def _f32(x):
    return tf.cast(x, tf.float32)


def _mean(x):
    return tf.reduce_mean(_f32(x))


def d_bce(real, fake, real_target=1.0):
    """-E[log sigmoid(real)] - E[log(1 - sigmoid(fake))] = E[softplus(-real)] + E[softplus(fake)].

    ``real_target`` < 1 is one-sided label smoothing (Salimans et al. 2016): the real term
    becomes the BCE against t, E[t softplus(-real) + (1 - t) softplus(real)].
    """
    real = _f32(real)
    real_term = real_target * tf.nn.softplus(-real) + (1.0 - real_target) * tf.nn.softplus(real)
    return _mean(real_term) + _mean(tf.nn.softplus(_f32(fake)))


def g_minimax(fake):
    """E[log(1 - sigmoid(fake))] = -E[softplus(fake)] (saturating; G minimizes it)."""
    return -_mean(tf.nn.softplus(_f32(fake)))


def g_nonsaturating(fake):
    """-E[log sigmoid(fake)] = E[softplus(-fake)]."""
    return _mean(tf.nn.softplus(-_f32(fake)))


def d_wasserstein(real, fake):
    """E[fake] - E[real]."""
    return _mean(fake) - _mean(real)


def g_wasserstein(fake):
    """-E[fake]."""
    return -_mean(fake)


def d_hinge(real, fake):
    """E[relu(1 - real)] + E[relu(1 + fake)]."""
    return _mean(tf.nn.relu(1.0 - _f32(real))) + _mean(tf.nn.relu(1.0 + _f32(fake)))


def g_hinge(fake):
    """-E[fake]."""
    return -_mean(fake)


def d_lsgan(real, fake):
    """0.5 E[(real - 1)^2] + 0.5 E[fake^2]."""
    return 0.5 * _mean(tf.square(_f32(real) - 1.0)) + 0.5 * _mean(tf.square(_f32(fake)))


def g_lsgan(fake):
    """0.5 E[(fake - 1)^2]."""
    return 0.5 * _mean(tf.square(_f32(fake) - 1.0))


def d_relativistic(real, fake):
    """-E[log sigmoid(real - E[fake])] - E[log(1 - sigmoid(fake - E[real]))]."""
    real, fake = _f32(real), _f32(fake)
    return d_bce(real - tf.reduce_mean(fake), fake - tf.reduce_mean(real))


def g_relativistic(real, fake):
    """-E[log sigmoid(fake - E[real])] - E[log(1 - sigmoid(real - E[fake]))]."""
    return d_relativistic(fake, real)


# name -> (output activation g_f(v), Fenchel conjugate f*(t)), Nowozin et al. 2016, Table 2.
F_DIVERGENCES = {
    "kl": (lambda v: v, lambda t: tf.exp(t - 1.0)),
    "reverse_kl": (lambda v: -tf.exp(-v), lambda t: -1.0 - tf.math.log(-t)),
    "js": (
        lambda v: _LOG2 - tf.nn.softplus(-v),
        # -log(2 - exp(t)) = -log(2) - log(1 - exp(t - log 2))
        lambda t: -_LOG2 - tf.math.log(-tf.math.expm1(t - _LOG2)),
    ),
    "pearson": (lambda v: v, lambda t: 0.25 * tf.square(t) + t),
    "squared_hellinger": (lambda v: -tf.math.expm1(-v), lambda t: t / (1.0 - t)),
}


def _divergence(name):
    return F_DIVERGENCES[check_choice("f-divergence", name, sorted(F_DIVERGENCES))]


def d_fgan(real, fake, divergence):
    """-(E[g_f(real)] - E[f*(g_f(fake))])."""
    activation, conjugate = _divergence(divergence)
    return -(_mean(activation(_f32(real))) - _mean(conjugate(activation(_f32(fake)))))


def g_fgan(fake, divergence):
    """-E[g_f(fake)] (non-saturating generator objective)."""
    activation, _ = _divergence(divergence)
    return -_mean(activation(_f32(fake)))


def _input_grad(critic, x):
    with tf.GradientTape() as tape:
        tape.watch(x)
        total = tf.reduce_sum(_f32(critic(x)))
    grad = _f32(tape.gradient(total, x))
    return tf.reshape(grad, [tf.shape(grad)[0], -1])


def gradient_penalty(critic, real, fake, alpha):
    """E[(||grad_x critic(x_hat)||_2 - 1)^2], x_hat = real + alpha * (fake - real)."""
    real = _f32(real)
    x_hat = real + _f32(alpha) * (_f32(fake) - real)
    grad = _input_grad(critic, x_hat)
    norm = tf.sqrt(tf.reduce_sum(tf.square(grad), axis=1) + 1e-12)
    return tf.reduce_mean(tf.square(norm - 1.0))


def gradient_norm_power(critic, real, fake, alpha, power):
    """E[||grad_x critic(x_hat)||_2^p], x_hat = real + alpha * (fake - real) (the
    Wasserstein-divergence term of Wu et al. 2018, without its weight k)."""
    real = _f32(real)
    x_hat = real + _f32(alpha) * (_f32(fake) - real)
    squared = tf.reduce_sum(tf.square(_input_grad(critic, x_hat)), axis=1)
    return tf.reduce_mean(tf.pow(squared + 1e-12, 0.5 * power))


def r1_penalty(critic, real):
    """E[||grad_x critic(real)||_2^2] (the caller multiplies by gamma / 2)."""
    grad = _input_grad(critic, _f32(real))
    return tf.reduce_mean(tf.reduce_sum(tf.square(grad), axis=1))


def feature_matching(real_features, fake_features):
    """||E f(x) - E f(G(z))||_2^2 over the batch (Salimans et al. 2016, Sec. 3.1)."""
    difference = tf.reduce_mean(_f32(real_features), 0) - tf.reduce_mean(_f32(fake_features), 0)
    return tf.reduce_sum(tf.square(difference))


def classification(labels, logits):
    """E[-log softmax(logits)[label]] (sparse softmax cross-entropy)."""
    labels = tf.reshape(tf.cast(labels, tf.int32), [-1])
    return _mean(
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=_f32(logits))
    )
