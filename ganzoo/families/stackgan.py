"""StackGAN (Zhang et al. 2017, "StackGAN: Text to Photo-realistic Image Synthesis with
Stacked Generative Adversarial Networks"): text to image in two stages.

G encodes the caption, samples a condition c ~ N(mu(t), sigma(t)^2) (conditioning
augmentation), draws a coarse stage-I image from (z, c) and refines it into the stage-II
image (``ganzoo.networks.stackgan``). Each stage has a discriminator that sees the text,
and is matching-aware (the paper's Sec. 3.3, after Reed et al. 2016): real images with
their captions are real; generated images and real images with mismatched captions (the
batch's captions rolled by one) are fake. Per stage, as the official code's
``compute_discriminator_loss``:

    L_D = BCE(D(x, t), 1) + (BCE(D(G(z, t), t), 0) + BCE(D(x, t'), 0)) / 2
    L_G = BCE(D(G(z, t), t), 1) + kl_weight * KL(N(mu, sigma^2) || N(0, I))

D's stage-I input for real data is the real image average-pooled to half size. The paper
trains stage I, then stage II with stage I fixed; here both stages train together in one
step (simpler), and stage II sees the stage-I image through a stop-gradient, so each stage
still learns only from its own discriminator (and the KL). ``kl_weight``: lambda = 1 in the
paper (Sec. 3.1); the authors' configs (``stageI/cfg/birds.yml``: COEFF.KL) use 2.0.
"""

from keras import ops

from ganzoo import images, losses
from ganzoo.families.base import GAN
from ganzoo.layers.text import kl_divergence
from ganzoo.registry import register_family

UNSUPPORTED = ("diffaugment", "instance_noise", "feature_matching", "unrolled_steps")


@register_family("stackgan")
class StackGAN(GAN):
    """Args:
        generator: a ``StackGANGenerator``; discriminator: a ``StackGANDiscriminator``.
        kl_weight (float, 1.0): weight of the conditioning augmentation's KL term in G's loss.
        Other arguments: ``GAN``'s.
    """

    default_preset = "stackgan_digits"
    label_smoothing_applies = True
    log_names = ("kl",)

    def __init__(self, generator, discriminator, kl_weight=1.0, **kwargs):
        super().__init__(generator, discriminator, **kwargs)
        if not hasattr(generator, "condition_inputs") or not hasattr(discriminator, "critics"):
            raise ValueError("stackgan needs the stackgan networks: generator.arch and "
                             "discriminator.arch stackgan.")
        if list(generator.vocabulary) != list(discriminator.vocabulary):
            raise ValueError("The stackgan generator and discriminator need the same "
                             "vocabulary (give both the same vocabulary argument).")
        for name in UNSUPPORTED:
            if getattr(self, name, None):
                raise ValueError(f"stackgan does not support {name}: remove it from "
                                 "family_args.")
        if kl_weight < 0:
            raise ValueError(f"kl_weight must be >= 0, got {kl_weight}.")
        self.kl_weight = kl_weight

    def unpack(self, data):
        if not isinstance(data, (tuple, list)) or len(data[1].shape) != 2:
            raise ValueError("stackgan trains on captioned images (image, token ids): use "
                             "digits_captions or captions:DIR.")
        return data

    def generated(self, real, tokens):
        """The generator's stages for fresh noise and ``tokens``."""
        return self.generator.stages([self.latents(ops.shape(real)[0]), tokens], training=True)

    def scores(self, low, image, tokens):
        return self.discriminator([low, image, tokens], training=True)

    def d_loss(self, real, tokens):
        """Matched, generated and mismatched pairs go through D as one batch of 3B rows
        (one D call to trace instead of three; D has no batch statistics to mix)."""
        fake = self.generated(real, tokens)
        real_low = ops.average_pool(real, 2, 2)
        stage_scores = self.scores(
            ops.concatenate([real_low, ops.cast(fake["low"], real.dtype), real_low]),
            ops.concatenate([real, ops.cast(fake["image"], real.dtype), real]),
            ops.concatenate([tokens, tokens, ops.roll(tokens, 1, axis=0)]))
        loss = 0.0
        for scores in stage_scores:
            matched, generated, mismatched = ops.split(scores, 3)
            loss += (losses.d_bce(matched, generated, self.real_target) / 2
                     + losses.d_bce(matched, mismatched, self.real_target) / 2)
        return loss

    def g_loss(self, real, tokens):
        fake = self.generated(real, tokens)
        kl = kl_divergence(fake["mu"], fake["log_variance"])
        self.log("kl", kl)
        return (sum(losses.g_nonsaturating(logits)
                    for logits in self.scores(fake["low"], fake["image"], tokens))
                + self.kl_weight * kl)

    def preview(self, inputs, path):
        """A grid with a column per preview caption."""
        return images.save_samples(self.sample(inputs["n"], inputs["seed"]), path,
                                   len(self.generator.preview_captions))
