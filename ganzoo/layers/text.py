"""Text conditioning layers for text-to-image networks (StackGAN, Zhang et al. 2017,
"StackGAN: Text to Photo-realistic Image Synthesis with Stacked Generative Adversarial
Networks").

``TextEncoder`` stands in for the paper's pre-trained char-CNN-RNN text embedding: a word
embedding averaged over the caption's non-pad tokens (a masked mean, which exports to
TFLite builtins: gather, multiply, sum, divide), followed by a dense layer; it is trained
with the GAN. ``ConditioningAugmentation`` is the paper's Sec. 3.1.
"""

import keras
from keras import ops


@keras.saving.register_keras_serializable("ganzoo")
class TextEncoder(keras.layers.Layer):
    """Token ids [B, L] (0 = pad) -> text embedding [B, units].

    Args:
        vocabulary_size (int): number of token ids (the vocabulary's length).
        embed_dim (int): width of the word embedding.
        units (int): width of the text embedding (dense layer + LeakyReLU(0.2) after the
            masked mean).
    """

    def __init__(self, vocabulary_size, embed_dim, units, **kwargs):
        super().__init__(**kwargs)
        self.vocabulary_size, self.embed_dim, self.units = vocabulary_size, embed_dim, units
        self.embedding = keras.layers.Embedding(vocabulary_size, embed_dim)
        self.dense = keras.layers.Dense(units)

    def call(self, tokens):
        tokens = ops.cast(tokens, "int32")
        mask = ops.cast(ops.greater(tokens, 0), self.compute_dtype)[..., None]
        words = self.embedding(tokens) * mask
        mean = ops.sum(words, axis=1) / ops.maximum(ops.sum(mask, axis=1), 1.0)
        return ops.leaky_relu(self.dense(mean), 0.2)

    def get_config(self):
        return {**super().get_config(), "vocabulary_size": self.vocabulary_size,
                "embed_dim": self.embed_dim, "units": self.units}


@keras.saving.register_keras_serializable("ganzoo")
class ConditioningAugmentation(keras.layers.Layer):
    """Conditioning augmentation (Zhang et al. 2017, Sec. 3.1): a dense layer +
    LeakyReLU(0.2) (as the authors' TensorFlow code's ``generate_condition``; their PyTorch
    port uses a ReLU, whose units can die at mu = log sigma^2 = 0) maps the text
    embedding to the mean mu and log-variance of a Gaussian N(mu, diag(sigma^2));
    the condition is c = mu + sigma * eps with eps ~ N(0, I) given by the caller (so no
    random op lives in the layer: eps is part of the generator's noise input). The paper
    regularizes the Gaussian with KL(N(mu, sigma^2) || N(0, I)): ``kl_divergence``.

    Args:
        condition_dim (int): width of c (N_g in the paper).
    """

    def __init__(self, condition_dim, **kwargs):
        super().__init__(**kwargs)
        self.condition_dim = condition_dim
        self.dense = keras.layers.Dense(2 * condition_dim)

    def call(self, embedding, eps):
        """(c, mu, log_variance), each [B, condition_dim]."""
        stats = ops.leaky_relu(self.dense(embedding), 0.2)
        mu, log_variance = stats[:, :self.condition_dim], stats[:, self.condition_dim:]
        c = mu + ops.exp(0.5 * log_variance) * ops.cast(eps, mu.dtype)
        return c, mu, log_variance

    def get_config(self):
        return {**super().get_config(), "condition_dim": self.condition_dim}


def kl_divergence(mu, log_variance):
    """KL(N(mu, sigma^2) || N(0, I)) averaged over the batch and the dimensions, as the
    official StackGAN code's ``KL_loss``: mean(mu^2 + sigma^2 - 1 - log sigma^2) / 2."""
    mu, log_variance = ops.cast(mu, "float32"), ops.cast(log_variance, "float32")
    return 0.5 * ops.mean(ops.square(mu) + ops.exp(log_variance) - 1.0 - log_variance)
