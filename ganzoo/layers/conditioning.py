"""Label conditioning for conditional GANs (Mirza & Osindero 2014, "Conditional GANs")."""

import keras
from keras import ops


@keras.saving.register_keras_serializable("ganzoo")
class LabelEmbedding(keras.layers.Layer):
    """Embeds integer labels [B] or [B, 1] into [B, *shape] float features."""

    def __init__(self, num_classes, shape, **kwargs):
        super().__init__(**kwargs)
        self.num_classes = num_classes
        self.shape = tuple(shape)
        size = 1
        for dim in self.shape:
            size *= dim
        self.embedding = keras.layers.Embedding(num_classes, size)

    def call(self, labels):
        labels = ops.reshape(ops.cast(labels, "int32"), (-1,))
        return ops.reshape(self.embedding(labels), (-1, *self.shape))

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes, "shape": self.shape}
