"""SRGAN (Ledig et al. 2017, "Photo-Realistic Single Image Super-Resolution Using a
Generative Adversarial Network").

Training pairs come from any image dataset: the low-resolution input is the clean image
downsampled by the generator's ``scale`` (bicubic, antialiased). G (SRResNet,
``networks/srgan.py``) minimizes the perceptual loss of Eq. 3,

    l_SR = pixel_weight * MSE(G(x_LR), x_HR)
           + content_weight * MSE(phi(G(x_LR)), phi(x_HR))
           + adversarial_weight * -log D(G(x_LR))            (10^-3 in the paper)

where phi is a fixed feature network (``content_features``): the paper's VGG19
(``vgg19:PATH``: the block5_conv4 activations, "VGG54", of keras.applications' VGG19 with
the weights file the user gives, scaled by 1 / 12.75 as in the paper; never downloaded),
the shipped digits classifier's 128-d features (``digits``), or none (the pixel MSE
alone: the paper's SRResNet-MSE plus the adversarial term). D judges high-resolution
images, real against super-resolved.
"""

import os

import keras
import tensorflow as tf
from keras import ops

from ganzoo.families.restoration import RestorationGAN, downsample
from ganzoo.networks.srgan import SRGANGenerator
from ganzoo.registry import register_family

VGG19_NOTOP_FILE = "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5"
VGG_SCALE = 1.0 / 12.75  # Ledig et al.: VGG losses rescaled by this factor


class ContentFeatures:
    """phi(images in [-1, 1]) for the content loss, a frozen network built once.

    A plain object, not a Keras layer, so that the feature network's weights are not
    part of the family's checkpoints and presets.

    Args:
        spec (str): "digits", "vgg19:PATH" (a keras.applications VGG19 no-top weights
            file) or "none".
        data_shape (tuple): the high-resolution image shape (H, W, C).
    """

    def __init__(self, spec, data_shape):
        self.spec = spec
        self.network = None
        if spec == "digits":
            from ganzoo.metrics.extractors import DigitsExtractor

            classifier = DigitsExtractor()._model
            self.network = keras.Model(classifier.input, classifier.outputs[0])
            self.size, self.channels, self.scale = classifier.input_shape[1], 1, 1.0
        elif spec.startswith("vgg19:"):
            path = os.path.expanduser(spec[len("vgg19:"):])
            if not os.path.isfile(path):
                raise FileNotFoundError(
                    f"content_features {spec}: no file at {path}. ganzoo never downloads "
                    f"VGG19: give the path of Keras' {VGG19_NOTOP_FILE} (ImageNet weights, "
                    "no top), or use content_features: digits or none.")
            base = keras.applications.VGG19(weights=path, include_top=False,
                                            input_shape=(*data_shape[:2], 3))
            self.network = keras.Model(base.input, base.get_layer("block5_conv4").output)
            self.size, self.channels, self.scale = data_shape[0], 3, VGG_SCALE
        elif spec != "none":
            raise ValueError(f"content_features must be digits, vgg19:PATH or none; got "
                             f"'{spec}'.")
        if self.network is not None:
            self.network.trainable = False

    def __call__(self, images):
        x = tf.cast(images, "float32")
        if x.shape[-1] != self.channels:
            x = (tf.reduce_mean(x, -1, keepdims=True) if self.channels == 1
                 else tf.tile(x, [1, 1, 1, 3]))
        if x.shape[1] != self.size or x.shape[2] != self.size:
            x = tf.image.resize(x, (self.size, self.size), method="bilinear", antialias=True)
        if self.channels == 3:
            x = keras.applications.vgg19.preprocess_input((x + 1.0) * 127.5)
        return tf.cast(self.network(x, training=False), "float32") * self.scale


@register_family("srgan")
class SRGAN(RestorationGAN):
    default_preset = "srgan_digits"
    generator_kind = SRGANGenerator
    command = "upscale"
    log_names = ("mse", "content")

    def __init__(self, generator, discriminator, pixel_weight=1.0, content_weight=1.0,
                 content_features="none", adversarial_weight=1e-3, **kwargs):
        super().__init__(generator, discriminator, adversarial_weight=adversarial_weight,
                         **kwargs)
        self.pixel_weight, self.content_weight = pixel_weight, content_weight
        self.content_features = ContentFeatures(content_features, generator.data_shape)

    def degrade(self, clean, seed=None):
        return downsample(clean, self.generator.scale)

    def restoration_loss(self, restored, clean, degraded):
        restored, clean = ops.cast(restored, "float32"), ops.cast(clean, "float32")
        mse = ops.mean(ops.square(restored - clean))
        content = 0.0
        if self.content_features.network is not None:
            content = ops.mean(ops.square(self.content_features(restored)
                                          - self.content_features(clean)))
        self.log("mse", mse)
        self.log("content", content)
        return self.pixel_weight * mse + self.content_weight * content

    def show_degraded(self, degraded):
        scale = self.generator.scale
        return keras.ops.convert_to_numpy(degraded).repeat(scale, 1).repeat(scale, 2)
