"""Training algorithms, one file each, registered by name."""

from ganzoo.families import acgan, cgan, dcgan, fgan, gan, lsgan, ragan, sngan, wgan, wgan_gp

__all__ = ["acgan", "cgan", "dcgan", "fgan", "gan", "lsgan", "ragan", "sngan", "wgan",
           "wgan_gp"]
