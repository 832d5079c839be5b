"""Generator and discriminator architectures, registered as "<arch>_generator" /
"<arch>_discriminator"."""

from ganzoo.networks import dcgan, mlp

__all__ = ["dcgan", "mlp"]
