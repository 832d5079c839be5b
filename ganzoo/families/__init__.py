"""Training algorithms, one file each, registered by name."""

from ganzoo.families import acgan, cgan, dcgan, fgan, gan, lsgan, ragan, sngan, wgan, wgan_gp
from ganzoo.families import wgan_div
from ganzoo.families import sgan
from ganzoo.families import progan, stylegan
from ganzoo.families import cyclegan, pix2pix
from ganzoo.families import inpaint, srgan
from ganzoo.families import stackgan

__all__ = ["acgan", "cgan", "dcgan", "fgan", "gan", "lsgan", "ragan", "sngan", "wgan",
           "wgan_gp", "wgan_div", "sgan", "progan", "stylegan", "cyclegan", "pix2pix",
           "inpaint", "srgan", "stackgan"]
