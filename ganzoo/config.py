"""A zoo config: dataclasses with the defaults, strict YAML on top, flags on top of that.

A recipe (``zoo_configs/<family>/<preset>.yaml``) only overrides defaults. Unknown
keys and wrong types are errors that name the key and list what is valid.
Network and family arguments are checked against the constructor of the class
the registry names, so a new network or family needs no config code of its own.

This is the one validation layer for configs and the CLI's values: every number must be
finite, and the keys of ``RANGES`` must lie in their interval, so a bad value is refused
with one line before anything is built or written (a NaN learning rate, an EMA decay of 2
or a resolution of 100000 would otherwise train garbage or exhaust memory).
"""

import dataclasses
import inspect
import math
import os
import typing

import yaml

from ganzoo.registry import DATASETS, FAMILIES, NETWORKS, unknown_name


class ConfigError(ValueError):
    """A config that cannot be used; the message says which key and what is valid."""


@dataclasses.dataclass
class DataConfig:
    name: str = "digits"
    resolution: int = 32
    batch_size: int = 64
    data_dir: typing.Optional[str] = None
    split: str = "train"  # digits and folders also take slices: "train[:80%]" (data/subsets.py)
    shuffle_buffer: int = 2048
    labeled_per_class: int = 0  # semi-supervised: keep N labels per class, -1 the rest (0 = all)
    labeled_seed: int = 0  # seed of that draw
    # two-domain data: "resize_and_crop" loads at load_size (0: resolution * 286 / 256) and
    # takes a random resolution crop + flip, as CycleGAN and pix2pix train ("resize": none)
    preprocess: str = "resize"
    load_size: int = 0
    # a folder for the decoded, resized examples (written once, then read memory-mapped):
    # for data that does not fit in memory; null = decode in memory (up to 1 GiB) or stream
    cache: typing.Optional[str] = None


@dataclasses.dataclass
class NetworkConfig:
    arch: str = "dcgan"
    args: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class TrainConfig:
    steps: int = 2000
    steps_per_epoch: int = 250
    g_lr: float = 2e-4
    d_lr: float = 2e-4
    optimizer: str = "adam"
    beta_1: float = 0.5
    beta_2: float = 0.999
    seed: int = 0
    precision: str = "float32"
    strategy: str = "default"
    checkpoint_every: int = 250
    keep_checkpoints: int = 3
    sample_grid: int = 64
    fid_every: int = 0  # FID every N steps, logged to TensorBoard (0 = off)
    fid_samples: int = 500  # images per side for that FID
    # that FID's feature extractor: "" = the dataset's default (digits for digits, else the
    # FID Inception when its weights are found, else Keras' InceptionV3), or one named
    fid_extractor: str = ""
    lr_decay_epochs: int = 0  # the last N epochs decay both learning rates linearly to 0
    log_every: int = 50  # TensorBoard scalars, stats.jsonl and plain progress lines every N steps


@dataclasses.dataclass
class GanConfig:
    family: str = "dcgan"
    latent_dim: int = 64
    data: DataConfig = dataclasses.field(default_factory=DataConfig)
    generator: NetworkConfig = dataclasses.field(default_factory=NetworkConfig)
    discriminator: NetworkConfig = dataclasses.field(default_factory=NetworkConfig)
    family_args: dict = dataclasses.field(default_factory=dict)
    train: TrainConfig = dataclasses.field(default_factory=TrainConfig)

    def to_dict(self):
        return dataclasses.asdict(self)

    def to_yaml(self):
        return yaml.safe_dump(self.to_dict(), sort_keys=False)


OPTIMIZERS = ("adam", "rmsprop", "adamw", "sgd")
PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16")
FID_EXTRACTORS = ("digits", "fid_inception", "inception")  # ganzoo.metrics' extractors
STRATEGIES = ("default", "mirrored", "multi_worker")
PREPROCESS = ("resize", "resize_and_crop")


def _check_type(value, annotation, where):
    if annotation is typing.Any:
        return value
    origin = typing.get_origin(annotation)
    if origin is typing.Union:
        if value is None:
            return value
        annotation = [a for a in typing.get_args(annotation) if a is not type(None)][0]
    if annotation is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if annotation in (list, tuple) and isinstance(value, (list, tuple)):
        return annotation(value)
    if not isinstance(value, annotation) or (annotation is int and isinstance(value, bool)):
        raise ConfigError(
            f"{where} must be {annotation.__name__}, got {type(value).__name__} {value!r}."
        )
    return value


def _child(where, name):
    """The dotted key of ``name`` inside ``where`` as ``--set`` spells it (``train.steps``):
    the root label "config" is not part of a key."""
    return name if where == "config" else f"{where}.{name}"


def _fill_dataclass(cls, values, where):
    if not isinstance(values, dict):
        raise ConfigError(f"{where} must be a mapping, got {type(values).__name__}.")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise ConfigError(unknown_name("key", unknown[0], fields, "keys",
                                       _child(where, "")))
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for name, value in values.items():
        if dataclasses.is_dataclass(hints[name]):
            kwargs[name] = _fill_dataclass(hints[name], value, _child(where, name))
        else:
            kwargs[name] = _check_type(value, hints[name], _child(where, name))
    return cls(**kwargs)


def constructor_defaults(cls, skip=()):
    """{argument: default} of ``cls.__init__``'s keyword arguments, walking up the MRO."""
    defaults = {}
    for klass in reversed(cls.__mro__):
        if "__init__" not in vars(klass) or klass.__module__.startswith(("keras", "builtins")):
            continue
        for name, param in inspect.signature(klass.__init__).parameters.items():
            if param.default is not inspect.Parameter.empty and name not in (*skip, "name", "dtype"):
                defaults[name] = param.default
    return defaults


def check_kwargs(cls, values, where, skip=(), defaults_first=None):
    """Validates ``values`` against the keyword arguments ``cls`` accepts and returns
    them resolved: constructor defaults < ``defaults_first`` < ``values``."""
    if not isinstance(values, dict):
        raise ConfigError(f"{where} must be a mapping, got {type(values).__name__}.")
    defaults = constructor_defaults(cls, skip)
    checked = {}
    for name, value in values.items():
        if name not in defaults:
            raise ConfigError(f"{cls.__name__}: " + unknown_name(
                "key", name, sorted(defaults), "keys", f"{where}."))
        default = defaults[name]
        if isinstance(default, tuple) and isinstance(value, list):
            value = tuple(value)
        if default is None or value is None:
            checked[name] = value
        else:
            kind = type(default)
            checked[name] = _check_type(value, kind, f"{where}.{name}")
    return {**defaults, **(defaults_first or {}), **checked}


# {dotted key: interval}; "[" / "]" include the bound, "(" / ")" exclude it. The upper
# bounds of sizes keep a bad recipe or a preset's config.json from exhausting memory.
MAX_SIZE = 65536  # any integer argument of a network (widths, channels, classes)
RANGES = {
    "latent_dim": "[1, 16384]",
    "data.resolution": "[4, 4096]",
    "data.batch_size": "[1, 65536]",
    "data.shuffle_buffer": "[0, 10000000]",
    "data.load_size": "[0, 4096]",
    "data.labeled_per_class": "[0, 1000000]",
    "train.steps": "[1, 1000000000]",
    "train.steps_per_epoch": "[1, 1000000000]",
    "train.checkpoint_every": "[1, 1000000000]",
    "train.keep_checkpoints": "[1, 1000]",
    "train.sample_grid": "[1, 1024]",
    "train.fid_every": "[0, 1000000000]",
    "train.fid_samples": "[2, 1000000]",
    "train.g_lr": "(0, 10]",
    "train.d_lr": "(0, 10]",
    "train.beta_1": "[0, 1)",
    "train.beta_2": "[0, 1)",
    "train.seed": "[0, 2147483647]",
    "train.log_every": "[1, 1000000000]",
    "train.lr_decay_epochs": "[0, 1000000]",
    "family_args.d_steps": "[1, 100]",
    "family_args.ema_decay": "[0, 1)",
    "family_args.label_smoothing": "[0, 1)",
    "family_args.instance_noise": "[0, 100]",
    "family_args.instance_noise_anneal_steps": "[0, 1000000000]",
    "family_args.feature_matching": "[0, 1000000]",
    "family_args.unrolled_steps": "[0, 100]",
    "family_args.unrolled_lr": "[0, 10]",
}


def check_range(value, interval, where):
    """Refuses ``value`` outside ``interval`` (e.g. "[0, 1)"), naming ``where``."""
    low, high = (float(bound) for bound in interval[1:-1].split(","))
    inside = ((value > low if interval[0] == "(" else value >= low)
              and (value < high if interval[-1] == ")" else value <= high))
    if not inside:
        raise ConfigError(f"{where} must be in {interval}, got {value!r}: change that value.")
    return value


def check_finite(values, where):
    """Refuses NaN and infinite numbers anywhere in nested dicts and lists."""
    if isinstance(values, float) and not math.isfinite(values):
        raise ConfigError(f"{where} must be a finite number, got {values!r}.")
    items = (values.items() if isinstance(values, dict)
             else enumerate(values) if isinstance(values, (list, tuple)) else ())
    for key, value in items:
        check_finite(value, f"{where}.{key}" if isinstance(values, dict) else f"{where}[{key}]")


def check_network_sizes(args, where):
    """Refuses integer network arguments (widths, latent size, data shape) beyond
    ``MAX_SIZE``, and a latent size or data shape outside ``RANGES``."""
    check_finite(args, where)
    for name, value in args.items():
        sizes = value if isinstance(value, (list, tuple)) else [value]
        for size in sizes:
            if isinstance(size, int) and not isinstance(size, bool) and size > MAX_SIZE:
                raise ConfigError(f"{where}.{name} must be at most {MAX_SIZE}, got {size}.")
    if isinstance(args.get("latent_dim"), int):
        check_range(args["latent_dim"], RANGES["latent_dim"], f"{where}.latent_dim")
    shape = args.get("data_shape")
    if isinstance(shape, (list, tuple)) and len(shape) == 3:
        for size in shape[:2]:
            check_range(size, RANGES["data.resolution"], f"{where}.data_shape")


def _check_values(config):
    values = config.to_dict()
    check_finite(values, "config")
    for key, interval in RANGES.items():
        section, _, name = key.rpartition(".")
        value = values[section].get(name) if section else values[name]
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            check_range(value, interval, key)
    for role in ("generator", "discriminator"):
        check_network_sizes(values[role]["args"], f"{role}.args")


def _check_split(data):
    """Embedded and folder datasets have one split: "train", or a slice of it."""
    single = data.name in DATASETS.names() or data.name.startswith(("folder:", "folders:",
                                                                     "pairs:"))
    if single and data.split.split("[")[0] != "train":
        raise ConfigError(f"data.split is {data.split!r} but dataset '{data.name}' has one "
                          "split: use train, or a slice of it such as train[:80%].")


def _check_cache(data):
    """data.cache is a folder path (created on first use), not a file or an empty string."""
    if data.cache is None:
        return
    if not isinstance(data.cache, str) or not data.cache.strip():
        raise ConfigError(f"data.cache must be a folder path or null, got {data.cache!r}.")
    if os.path.exists(data.cache) and not os.path.isdir(data.cache):
        raise ConfigError(f"data.cache {data.cache} is a file; give a folder path for the "
                          "decoded examples.")


def _choice(value, choices, where):
    if value not in choices:
        raise ConfigError(unknown_name(where, value, choices))


def validate(config):
    """Checks names against the registry and arguments against constructors."""
    family_cls = FAMILIES.get(config.family)
    for role in ("generator", "discriminator"):
        net = getattr(config, role)
        network_cls = NETWORKS.get(f"{net.arch}_{role}")
        net.args = check_kwargs(network_cls, net.args, f"{role}.args", network_cls.data_args,
                                getattr(family_cls, f"{role}_defaults"))
    config.family_args = check_kwargs(
        family_cls, config.family_args, "family_args", family_cls.base_args
    )
    _check_values(config)
    _choice(config.train.optimizer, OPTIMIZERS, "train.optimizer")
    _choice(config.train.precision, PRECISIONS, "train.precision")
    if config.train.fid_extractor:
        _choice(config.train.fid_extractor, FID_EXTRACTORS, "train.fid_extractor")
    _choice(config.train.strategy, STRATEGIES, "train.strategy")
    _check_split(config.data)
    _check_cache(config.data)
    _choice(config.data.preprocess, PREPROCESS, "data.preprocess")
    if (config.data.labeled_per_class and (family_cls.conditional or family_cls.aux_classifier)
            and not family_cls.semi_supervised):
        raise ConfigError(f"data.labeled_per_class > 0 (unlabeled examples) is only for a "
                          f"semi-supervised family (sgan), not {config.family}.")
    return config


def from_dict(values, where="config"):
    return validate(_fill_dataclass(GanConfig, values or {}, where))


def load_yaml(path):
    """Strictly loads one recipe; a YAML syntax error names the file."""
    try:
        with open(path) as f:
            values = yaml.safe_load(f)
    except yaml.YAMLError as e:
        raise ConfigError(f"{path} is not valid YAML: {e}") from None
    except FileNotFoundError:
        raise ConfigError(f"Config file {path} does not exist.") from None
    return from_dict(values, where=path)


def override(config, dotted):
    """Applies {"train.steps": 10, "data.name": "ring"}; validated like the YAML."""
    values = config.to_dict()
    for role in ("generator", "discriminator"):
        if dotted.get(f"{role}.arch", values[role]["arch"]) != values[role]["arch"]:
            values[role]["args"] = {}  # the old architecture's resolved arguments do not apply
    for key, value in dotted.items():
        node = values
        *parents, leaf = key.split(".")
        for depth, parent in enumerate(parents):
            node = node.setdefault(parent, {})
            if not isinstance(node, dict):
                raise ConfigError(f"{'.'.join(parents[:depth + 1])} is a value, not a section: "
                                  f"set {'.'.join(parents[:depth + 1])}=VALUE instead of {key}.")
        node[leaf] = value
    return from_dict(values)
