"""Generator and discriminator architectures, registered as "<arch>_generator" /
"<arch>_discriminator"."""

from ganzoo.networks import dcgan, mlp
from ganzoo.networks import patchgan, resnet, unet
from ganzoo.networks import progan, stylegan
from ganzoo.networks import inpaint, srgan
from ganzoo.networks import stackgan

__all__ = ["dcgan", "mlp", "patchgan", "resnet", "unet", "progan", "stylegan", "inpaint",
           "srgan", "stackgan"]
