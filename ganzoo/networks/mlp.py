"""Multilayer-perceptron networks, as in the original GAN (Goodfellow et al. 2014,
"Generative Adversarial Nets"): for 2-D toy mixtures and flat vectors, or small images
flattened. The output keeps the data's shape.
"""

import math

import keras
from keras import layers

from ganzoo.layers import LabelEmbedding, maybe_spectral_norm, normalization
from ganzoo.networks.base import Discriminator, Generator
from ganzoo.registry import register_network


@register_network("mlp_generator")
@keras.saving.register_keras_serializable("ganzoo")
class MLPGenerator(Generator):
    def __init__(self, latent_dim=64, data_shape=(2,), num_classes=0, units=256, depth=3,
                 norm="none", output_activation="auto", embed_dim=16, **kwargs):
        data_shape = tuple(data_shape)
        super().__init__(latent_dim=latent_dim, data_shape=data_shape, num_classes=num_classes,
                         units=units, depth=depth, norm=norm,
                         output_activation=output_activation, embed_dim=embed_dim, **kwargs)
        self.latent_dim, self.data_shape, self.num_classes = latent_dim, data_shape, num_classes
        if output_activation == "auto":
            output_activation = "tanh" if len(data_shape) == 3 else "linear"
        self.embedding = LabelEmbedding(num_classes, (embed_dim,)) if num_classes else None
        hidden = []
        for _ in range(depth):
            hidden += filter(None, [layers.Dense(units), normalization(norm), layers.ReLU()])
        self.body = keras.Sequential(hidden)
        self.to_data = layers.Dense(math.prod(data_shape))
        self.activation = layers.Activation(output_activation, dtype="float32")
        self.reshape = layers.Reshape(data_shape, dtype="float32")

    def call(self, inputs, training=False):
        z, labels = self.split_inputs(inputs)
        x = self.body(self.concat_labels(z, labels, self.embedding), training=training)
        return self.reshape(self.activation(self.to_data(x)))


@register_network("mlp_discriminator")
@keras.saving.register_keras_serializable("ganzoo")
class MLPDiscriminator(Discriminator):
    def __init__(self, data_shape=(2,), num_classes=0, aux_classes=0, units=256, depth=3,
                 norm="none", spectral_norm=False, embed_dim=16, minibatch_discrimination=False,
                 **kwargs):
        data_shape = tuple(data_shape)
        super().__init__(data_shape=data_shape, num_classes=num_classes, aux_classes=aux_classes,
                         units=units, depth=depth, norm=norm, spectral_norm=spectral_norm,
                         embed_dim=embed_dim, minibatch_discrimination=minibatch_discrimination,
                         **kwargs)
        self.data_shape, self.num_classes, self.aux_classes = data_shape, num_classes, aux_classes
        self.embedding = LabelEmbedding(num_classes, (embed_dim,)) if num_classes else None
        self.flatten = layers.Flatten()
        hidden = []
        for _ in range(depth):
            dense = maybe_spectral_norm(layers.Dense(units), spectral_norm)
            hidden += filter(None, [dense, normalization(norm), layers.LeakyReLU(0.2)])
        self.body = keras.Sequential(hidden)
        self.build_heads(spectral_norm, minibatch_discrimination)

    def features(self, inputs, training=False):
        x, labels = self.split_inputs(inputs)
        return self.body(self.concat_labels(self.flatten(x), labels, self.embedding),
                         training=training)
