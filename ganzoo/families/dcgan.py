"""DCGAN (Radford et al. 2016, "Unsupervised Representation Learning with Deep
Convolutional Generative Adversarial Networks").

The algorithm is the non-saturating GAN of ``gan.py``; what DCGAN adds is the
architecture (``ganzoo.networks.dcgan``: strided convs, BatchNorm, ReLU/LeakyReLU(0.2),
tanh) and the recipe Adam(2e-4, beta_1=0.5), which its zoo configs carry.
"""

from ganzoo.families.gan import VanillaGAN
from ganzoo.registry import register_family


@register_family("dcgan")
class DCGAN(VanillaGAN):
    default_preset = "dcgan_digits"
