"""From a resolved config and the dataset's shape to networks, a family and optimizers."""

import keras

from ganzoo.registry import FAMILIES, NETWORKS


def network_kwargs(config, info):
    """The generator's and discriminator's constructor arguments, data-derived ones included."""
    family = FAMILIES.get(config.family)
    classes = info.num_classes if family.conditional else 0
    if (family.conditional or family.aux_classifier) and not info.num_classes:
        raise ValueError(
            f"Family '{config.family}' needs class labels but dataset '{info.name}' has none: "
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


def build_optimizer(train, learning_rate):
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
                   d_optimizer=build_optimizer(config.train, config.train.d_lr))
    return family
