"""From a resolved config and the dataset's shape to networks, a family and optimizers."""

import math

import keras

from ganzoo.registry import FAMILIES, NETWORKS


def network_kwargs(config, info):
    """The generator's and discriminator's constructor arguments, data-derived ones included."""
    family = FAMILIES.get(config.family)
    classes = info.num_classes if family.conditional else 0
    if (family.conditional or family.aux_classifier) and not info.num_classes:
        raise ValueError(
            f"Family '{config.family}' is {'conditional' if family.conditional else 'a classifier'}"
            f" but dataset '{info.name}' has no labels: "
            "use a labeled dataset (digits, folder:PATH with class subfolders, a tfds dataset "
            "with labels)."
        )
    generator = {**config.generator.args, "latent_dim": config.latent_dim,
                 "data_shape": tuple(info.shape), "num_classes": classes}
    discriminator = {**config.discriminator.args, "data_shape": tuple(info.shape),
                     "num_classes": 0 if family.aux_classifier else classes,
                     "aux_classes": info.num_classes if family.aux_classifier else 0}
    return generator, discriminator


def build_networks(config, info):
    """Builds (and creates the variables of) the generator and discriminator."""
    g_kwargs, d_kwargs = network_kwargs(config, info)
    generator = NETWORKS.get(f"{config.generator.arch}_generator")(**g_kwargs, name="generator")
    discriminator = NETWORKS.get(f"{config.discriminator.arch}_discriminator")(
        **d_kwargs, name="discriminator")
    return generator.build_for_data(), discriminator.build_for_data()


@keras.saving.register_keras_serializable("ganzoo")
class LinearDecayTail(keras.optimizers.schedules.LearningRateSchedule):
    """The CycleGAN/pix2pix schedule (Zhu et al. 2017, Sec. 7; the reference's "linear"
    lr_policy): constant for the first epochs, then linear to 0 over the last
    ``decay_epochs``, changed once per epoch: lr(e) = lr0 (1 - max(0, e + 1 - constant) /
    (decay + 1)) for 0-based epoch e = updates // updates_per_epoch.

    Args:
        learning_rate (float): lr0.
        updates_per_epoch (int): optimizer updates per epoch (steps_per_epoch x the
            optimizer's updates per step).
        total_epochs (int): epochs of the whole run.
        decay_epochs (int): the last epochs, decayed.
    """

    def __init__(self, learning_rate, updates_per_epoch, total_epochs, decay_epochs):
        self.learning_rate, self.updates_per_epoch = learning_rate, updates_per_epoch
        self.total_epochs, self.decay_epochs = total_epochs, decay_epochs

    def __call__(self, step):
        epoch = keras.ops.cast(step // self.updates_per_epoch, "float32")
        constant = float(self.total_epochs - self.decay_epochs)
        done = keras.ops.maximum(0.0, epoch + 1.0 - constant) / (self.decay_epochs + 1.0)
        return self.learning_rate * keras.ops.maximum(0.0, 1.0 - done)

    def get_config(self):
        return {"learning_rate": self.learning_rate, "updates_per_epoch": self.updates_per_epoch,
                "total_epochs": self.total_epochs, "decay_epochs": self.decay_epochs}


def learning_rate_of(train, learning_rate, updates_per_step=1):
    """``learning_rate`` as it is, or under ``train.lr_decay_epochs``' linear decay."""
    if not train.lr_decay_epochs:
        return learning_rate
    return LinearDecayTail(learning_rate, train.steps_per_epoch * updates_per_step,
                           math.ceil(train.steps / train.steps_per_epoch), train.lr_decay_epochs)


def build_optimizer(train, learning_rate, updates_per_step=1):
    """The optimizer ``train.optimizer`` at ``learning_rate`` (decayed as the recipe says;
    ``updates_per_step``: its updates per training step, e.g. the critic's d_steps)."""
    learning_rate = learning_rate_of(train, learning_rate, updates_per_step)
    kinds = {
        "adam": lambda: keras.optimizers.Adam(learning_rate, train.beta_1, train.beta_2),
        "adamw": lambda: keras.optimizers.AdamW(learning_rate, beta_1=train.beta_1,
                                                beta_2=train.beta_2),
        "rmsprop": lambda: keras.optimizers.RMSprop(learning_rate),
        "sgd": lambda: keras.optimizers.SGD(learning_rate),
    }
    return kinds[train.optimizer]()


def build_family(config, info):
    """A compiled family ready for ``fit``; call inside the strategy scope."""
    generator, discriminator = build_networks(config, info)
    family = FAMILIES.get(config.family)(generator, discriminator, seed=config.train.seed,
                                         **config.family_args)
    family.compile(g_optimizer=build_optimizer(config.train, config.train.g_lr),
                   d_optimizer=build_optimizer(config.train, config.train.d_lr,
                                               config.family_args["d_steps"]))
    return family
