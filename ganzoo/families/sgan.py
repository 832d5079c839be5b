"""Semi-supervised GAN (Salimans et al. 2016, "Improved Techniques for Training GANs",
Sec. 5; Odena 2016, "Semi-Supervised Learning with Generative Adversarial Networks").

D is a classifier over K+1 classes: the K real classes and "generated". In the paper's
parametrisation D outputs K logits l_1..l_K and the "generated" logit is fixed at 0, so

    p(y = k | x, real) = softmax(l)_k,      D(x) = p(real | x) = Z(x) / (Z(x) + 1),
    Z(x) = sum_k exp(l_k(x)),               i.e. the realness logit is logsumexp(l(x)).

D minimizes L_supervised + L_unsupervised:
    L_supervised   = -E_{x,y labeled} log softmax(l(x))_y
    L_unsupervised = -E_{x real} log D(x) - E_z log(1 - D(G(z)))
                   = E softplus(-lse(l(x))) + E softplus(lse(l(G(z)))).
Every real example counts as unlabeled real data; those whose label is -1 (``data.
labeled_per_class``, ``ganzoo/data/subsets.py``) add nothing to L_supervised. G is
trained with feature matching (the paper's choice for semi-supervised learning, Sec. 3.1):
||E f(x) - E f(G(z))||^2 on D's penultimate features f.

Networks: any discriminator with ``aux_classes`` (the builder gives it K); its class
logits are the K logits above. Its separate realness head plays no part (realness is
their logsumexp) and is left out of D's update. After training, ``ganzoo.classifier``
turns D into the K-class classifier (``ganzoo eval RUN --metrics accuracy``, export).
"""

import tensorflow as tf
from keras import ops

from ganzoo import losses
from ganzoo.families.base import GAN
from ganzoo.registry import register_family


@register_family("sgan")
class SemiSupervisedGAN(GAN):
    """K+1-class discriminator GAN with a feature-matching generator.

    Args:
        generator: an unconditional ``ganzoo.networks.base.Generator``.
        discriminator: a ``ganzoo.networks.base.Discriminator`` with ``aux_classes`` = K.
        class_weight: float, default 1.0; weight of L_supervised in D's loss (the paper
            adds the two losses with weight 1).
        **kwargs: the ``GAN`` base arguments (``d_steps``, ``ema_decay``, ``seed``, the
            stabilisers).
    """

    default_preset = "sgan_digits"
    aux_classifier = True
    semi_supervised = True
    label_smoothing_applies = True
    log_names = ("d_class_loss", "d_unsupervised_loss")

    def __init__(self, generator, discriminator, class_weight=1.0, **kwargs):
        super().__init__(generator, discriminator, **kwargs)
        if not discriminator.aux_classes:
            raise ValueError("sgan needs a discriminator with class logits (aux_classes = K).")
        self.class_weight = class_weight

    def class_logits(self, x, training=True):
        """l(x): D's K class logits (float32)."""
        return ops.cast(self.discriminate(x, training=training)[1], "float32")

    def d_loss(self, real, labels):
        if labels is None:
            raise ValueError("sgan needs a labeled dataset (labels -1 mark unlabeled rows).")
        real_logits = self.class_logits(real)
        fake_logits = self.class_logits(self.fake_like(real))
        labeled = ops.cast(labels >= 0, "float32")
        cross_entropy = tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=ops.maximum(ops.cast(labels, "int32"), 0), logits=real_logits)
        supervised = ops.sum(labeled * cross_entropy) / ops.maximum(ops.sum(labeled), 1.0)
        unsupervised = losses.d_bce(ops.logsumexp(real_logits, axis=1),
                                    ops.logsumexp(fake_logits, axis=1), self.real_target)
        self.log("d_class_loss", supervised)
        self.log("d_unsupervised_loss", unsupervised)
        return self.class_weight * supervised + unsupervised

    def g_loss(self, real, labels):
        return self.feature_matching_loss(real, labels)

    def variables_of(self, network):
        """D's update leaves out its realness head (realness is logsumexp of the logits)."""
        variables = network.trainable_variables
        if network is not self.discriminator:
            return variables
        unused = {id(v) for v in self.discriminator.realness.trainable_variables}
        return [v for v in variables if id(v) not in unused]
