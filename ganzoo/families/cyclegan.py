"""CycleGAN (Zhu et al. 2017, "Unpaired Image-to-Image Translation using Cycle-Consistent
Adversarial Networks").

Two generators G: A -> B (``generator``) and F: B -> A (``generator_ba``), and two
discriminators D_B (``discriminator``) and D_A (``discriminator_a``), with the
least-squares GAN loss. Unpaired data is tied together by the cycle-consistency loss
||F(G(a)) - a||_1 + ||G(F(b)) - b||_1 (weight ``cycle_weight``, the paper's lambda = 10)
and the identity loss ||G(b) - b||_1 + ||F(a) - a||_1 (weight ``identity_weight`` x
``cycle_weight``, Sec. 5.2). The discriminators see a history of generated images, an
``ImagePool`` of ``pool_size`` (Sec. 4, after Shrivastava et al. 2017). One Adam trains
both generators, another both discriminators. The second generator and discriminator
are built here from the first ones' configs.
"""

import keras
import tensorflow as tf
from ganzoo import losses
from ganzoo.registry import register_family
from ganzoo.families.image_to_image import ImageToImageGAN, l1


def twin(network, name):
    """A second, freshly initialized network with ``network``'s config."""
    return type(network).from_config({**network.get_config(), "name": name}).build_for_data()


class ImagePool:
    """The last generated images, returned in place of new ones half of the time.

    While the [size, H, W, C] buffer is filling, each new image is stored and returned;
    then each is, with probability 1/2, returned as is, or else swapped with a random
    stored image, which is returned instead. Its variables are sync-on-read: under a
    distribution strategy every replica keeps its own history. It is not part of the
    checkpoint: a resumed run starts a new history.
    """

    def __init__(self, size, shape, seed_generator):
        self.size, self.seed_generator = size, seed_generator
        local = dict(trainable=False, synchronization=tf.VariableSynchronization.ON_READ,
                     aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA)
        self.images = tf.Variable(tf.zeros((max(size, 1), *shape)), **local)
        self.count = tf.Variable(0, **local)

    def query(self, fakes):
        if not self.size:
            return fakes
        fakes = tf.stop_gradient(tf.cast(fakes, tf.float32))
        n = tf.shape(fakes)[0]
        position = self.count + tf.range(n)
        filling = position < self.size
        swap = ~filling & (keras.random.uniform((n,), seed=self.seed_generator) < 0.5)
        slot = tf.where(filling, position, keras.random.randint(
            (n,), 0, self.size, seed=self.seed_generator, dtype="int32"))
        out = tf.where(swap[:, None, None, None], tf.gather(self.images, slot), fakes)
        stored = filling | swap
        self.images.assign(tf.tensor_scatter_nd_update(
            self.images, tf.boolean_mask(slot, stored)[:, None], tf.boolean_mask(fakes, stored)))
        self.count.assign(tf.minimum(self.count + n, self.size))
        return out


@register_family("cyclegan")
class CycleGAN(ImageToImageGAN):
    default_preset = "cyclegan_digits_inverted"
    log_names = ("cycle", "identity")

    def __init__(self, generator, discriminator, cycle_weight=10.0, identity_weight=0.5,
                 pool_size=50, **kwargs):
        super().__init__(generator, discriminator, **kwargs)
        if self.unrolled_steps:
            raise ValueError("cyclegan does not support unrolled_steps.")
        self.cycle_weight, self.identity_weight = cycle_weight, identity_weight
        self.generator_ba = twin(generator, "generator_ba")
        self.discriminator_a = twin(discriminator, "discriminator_a")
        self.pool_a = ImagePool(pool_size, generator.data_shape, self.seed_generator)
        self.pool_b = ImagePool(pool_size, generator.data_shape, self.seed_generator)

    def variables_of(self, network):
        second = self.generator_ba if network is self.generator else self.discriminator_a
        return network.trainable_variables + second.trainable_variables

    def translators(self):
        return {"a2b": self.sampling_generator(), "b2a": self.generator_ba}

    def saved_networks(self):
        return {**super().saved_networks(), "generator_ba": self.generator_ba,
                "discriminator_a": self.discriminator_a}

    def d_loss(self, real_a, real_b):
        fake_b = self.pool_b.query(self.generator(real_a, training=True))
        fake_a = self.pool_a.query(self.generator_ba(real_b, training=True))
        d_b, d_a = self.discriminator, self.discriminator_a
        return (losses.d_lsgan(d_b(self.d_inputs(real_b)), d_b(self.d_inputs(fake_b)))
                + losses.d_lsgan(d_a(self.d_inputs(real_a)), d_a(self.d_inputs(fake_a))))

    def g_loss(self, real_a, real_b):
        g_ab, g_ba = self.generator, self.generator_ba
        fake_b, fake_a = g_ab(real_a, training=True), g_ba(real_b, training=True)
        # losses.g_lsgan is 0.5 E[(D - 1)^2]; the paper's G loss is E[(D - 1)^2].
        adversarial = 2.0 * (losses.g_lsgan(self.discriminator(self.d_inputs(fake_b)))
                             + losses.g_lsgan(self.discriminator_a(self.d_inputs(fake_a))))
        cycle = (l1(g_ba(fake_b, training=True), real_a)
                 + l1(g_ab(fake_a, training=True), real_b))
        identity = 0.0
        if self.identity_weight:
            identity = l1(g_ab(real_b, training=True), real_b) + l1(
                g_ba(real_a, training=True), real_a)
        self.log("cycle", cycle)
        self.log("identity", identity)
        return adversarial + self.cycle_weight * (cycle + self.identity_weight * identity)
