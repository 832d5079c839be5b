"""Minibatch discrimination (Salimans et al. 2016, "Improved Techniques for Training
GANs", Sec. 3.2): lets D compare each sample with the rest of its batch, so a
generator that collapses to a few outputs is easy to spot."""

import keras
from keras import ops


@keras.saving.register_keras_serializable("ganzoo")
class MinibatchDiscrimination(keras.layers.Layer):
    """Appends, to features f(x_i) [B, A], the B-kernel closeness to the other samples.

    M_i = f(x_i) T reshaped to [num_kernels, kernel_dim] (T in R^{A x num_kernels x
    kernel_dim}); o(x_i)_b = sum_{j != i} exp(-||M_{i,b} - M_{j,b}||_1). Output:
    [f(x_i), o(x_i)], [B, A + num_kernels]. Under a distribution strategy the batch is the
    per-replica batch. Defaults are the paper's CIFAR-10 ones (100 kernels of 5).
    """

    def __init__(self, num_kernels=100, kernel_dim=5, **kwargs):
        super().__init__(**kwargs)
        self.num_kernels, self.kernel_dim = num_kernels, kernel_dim

    def build(self, input_shape):
        self.kernel = self.add_weight(
            shape=(input_shape[-1], self.num_kernels * self.kernel_dim),
            initializer=keras.initializers.RandomNormal(stddev=0.05), name="kernel")

    def call(self, features):
        m = ops.reshape(ops.matmul(features, self.kernel), (-1, self.num_kernels, self.kernel_dim))
        distances = ops.sum(ops.abs(m[:, None] - m[None]), axis=-1)  # [B, B, kernels]
        closeness = ops.sum(ops.exp(-distances), axis=1) - 1.0  # minus exp(0) of j == i
        return ops.concatenate([features, closeness], axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], input_shape[-1] + self.num_kernels)

    def get_config(self):
        return {**super().get_config(), "num_kernels": self.num_kernels,
                "kernel_dim": self.kernel_dim}
