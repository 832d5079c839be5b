"""CycleGAN and pix2pix parameters (junyanz/pytorch-CycleGAN-and-pix2pix,
``models/networks.py``; Zhu et al. 2017, "Unpaired Image-to-Image Translation using
Cycle-Consistent Adversarial Networks"; Isola et al. 2017, "Image-to-Image Translation with
Conditional Adversarial Networks") in ganzoo's ``resnet``, ``unet`` and ``patchgan`` networks.

A state dict {torch key: numpy array} (what ``latest_net_G.pth`` / ``latest_net_D.pth``
hold) gives the architecture:
- ``ResnetGenerator`` (``model.<i>.conv_block.<j>.*``): ngf and input channels from the 7x7
  stem ``model.1.weight`` [ngf, C_in, 7, 7], n_downsampling from the index of the first
  block, n_blocks from the blocks, output channels from the last conv, dropout when the
  block's second conv sits at index 6 instead of 5;
- ``UnetGenerator`` (``model.model.*``): depth = the nesting of the skip blocks (7 =
  unet_128, 8 = unet_256), ngf and input channels from ``model.model.0.weight``, output
  channels from the last transposed conv [in, out, 4, 4];
- ``NLayerDiscriminator`` (``model.<i>.*``, 4x4 convs): n_layers = convs - 2, ndf and input
  channels from ``model.0.weight``;
- the norm: batch norm has ``weight``, ``bias``, ``running_mean``, ``running_var``;
  ``InstanceNorm2d(affine=False)`` has none. Checkpoints written by torch < 0.4 (the released
  ones) carry instance-norm ``running_mean`` / ``running_var`` keys that the reference's
  loader deletes (``__patch_instance_norm_state_dict``): they are dropped here too.

Each network keeps one Keras layer per torch module at the same index, so a key names its
layer; conv kernels [out, in, kh, kw] and transposed-conv kernels [in, out, kh, kw] both
become Keras' [kh, kw, in, out] / [kh, kw, out, in] by the transpose (2, 3, 1, 0).

``ganzoo convert cyclegan|pix2pix G.pth --out DIR [--discriminator D.pth]`` writes a
preset that ``ganzoo.load_generator``, ``ganzoo translate`` and ``ganzoo export`` accept.
"""

import os
import re

import keras
import numpy as np

from ganzoo.hashing import sha256_of
from ganzoo.io.converter import Converter
from ganzoo.io.tensors import detect_format, read_state_dict
from ganzoo.networks.patchgan import PatchGANDiscriminator
from ganzoo.networks.resnet import ResnetGenerator
from ganzoo.networks.unet import UNetGenerator
from ganzoo.presets import save_preset
from ganzoo.registry import FAMILIES, register_converter

BATCH_NORM = {"weight": "gamma", "bias": "beta", "running_mean": "moving_mean",
              "running_var": "moving_variance"}
LICENSE = "BSD-2-Clause (junyanz/pytorch-CycleGAN-and-pix2pix; check the weights' terms)"


def clean_state_dict(state):
    """The state dict without DataParallel's ``module.`` prefix, ``num_batches_tracked``,
    and the running statistics of affine-free instance norms (modules with no weight)."""
    if state and all(key.startswith("module.") for key in state):
        state = {key[len("module."):]: value for key, value in state.items()}
    modules_with_weight = {key.rsplit(".", 1)[0] for key in state if key.endswith(".weight")}
    return {key: value for key, value in state.items()
            if not key.endswith(".num_batches_tracked")
            and not (key.endswith((".running_mean", ".running_var"))
                     and key.rsplit(".", 1)[0] not in modules_with_weight)}


def _norm_of(state, module):
    return "batch" if f"{module}.weight" in state else "instance"


def resnet_args(state):
    """ResnetGenerator arguments of a state dict (``data_shape`` left to the caller)."""
    blocks = sorted({int(m) for m in re.findall(r"^model\.(\d+)\.conv_block\.",
                                                "\n".join(state), re.M)})
    if "model.1.weight" not in state or not blocks:
        raise ValueError("not a ResnetGenerator state dict (no model.1.weight and "
                         "model.<i>.conv_block.* keys)")
    first = blocks[0]
    if (first - 4) % 3 or blocks != list(range(first, first + len(blocks))):
        raise ValueError(f"unexpected ResnetGenerator layout: blocks at {blocks}")
    ngf, in_channels = state["model.1.weight"].shape[:2]
    last = max(int(m) for m in re.findall(r"^model\.(\d+)\.weight", "\n".join(state), re.M))
    return {"ngf": int(ngf), "n_blocks": len(blocks), "n_downsampling": (first - 4) // 3,
            "norm": _norm_of(state, "model.2"), "input_channels": int(in_channels),
            "dropout": 0.5 if f"model.{first}.conv_block.6.weight" in state else 0.0,
            "output_channels": int(state[f"model.{last}.weight"].shape[0])}


def unet_args(state):
    """UNetGenerator arguments of a state dict (``data_shape`` left to the caller)."""
    if "model.model.0.weight" not in state:
        raise ValueError("not a UnetGenerator state dict (no model.model.0.weight)")
    depth, prefix = 2, "model.model.1.model."
    while any(key.startswith(prefix + "3.model.") for key in state):
        depth, prefix = depth + 1, prefix + "3.model."
    ngf, in_channels = state["model.model.0.weight"].shape[:2]
    return {"ngf": int(ngf), "depth": depth, "norm": _norm_of(state, "model.model.1.model.2"),
            "input_channels": int(in_channels),
            "output_channels": int(state["model.model.3.weight"].shape[1])}


def patchgan_args(state):
    """PatchGANDiscriminator arguments of a state dict: ndf, n_layers, norm, channels."""
    convs = sorted(int(m) for m in re.findall(r"^model\.(\d+)\.weight", "\n".join(state), re.M)
                   if state[f"model.{m}.weight"].ndim == 4)
    if not convs or state[f"model.{convs[-1]}.weight"].shape[0] != 1:
        raise ValueError("not an NLayerDiscriminator state dict (no model.<i>.weight convs "
                         "ending in one channel)")
    ndf, in_channels = state["model.0.weight"].shape[:2]
    return {"ndf": int(ndf), "n_layers": len(convs) - 2, "norm": _norm_of(state, "model.3"),
            "input_channels": int(in_channels)}


def generator_args(state):
    """("resnet" or "unet", its arguments) of a generator state dict."""
    if any(key.startswith("model.model.") for key in state):
        return "unet", unet_args(state)
    return "resnet", resnet_args(state)


def _layer(network, key):
    """The Keras layer that the torch key ``a.1.b.2.weight`` names, and ``weight``."""
    *path, name = key.split(".")
    node = network
    for part in path:
        if part.isdigit():
            node = node.layers[int(part)] if isinstance(node, keras.Sequential) else node[
                int(part)]
        else:
            node = getattr(node, part)
    return node, name


def load_state(network, state):
    """Assigns a cleaned torch state dict to a port whose layers mirror its modules; every
    variable of ``network`` must be set, and every tensor used, with matching shapes."""
    assigned = set()
    for key, value in state.items():
        try:
            layer, name = _layer(network, key)
        except (AttributeError, IndexError, TypeError):
            raise ValueError(f"tensor {key} has no place in {type(network).__name__}") from None
        if isinstance(layer, keras.layers.BatchNormalization):
            variable = getattr(layer, BATCH_NORM.get(name, name), None)
        else:
            variable = {"weight": getattr(layer, "kernel", None),
                        "bias": getattr(layer, "bias", None)}.get(name)
            value = value.transpose(2, 3, 1, 0) if name == "weight" else value
        if variable is None or tuple(variable.shape) != value.shape:
            found = None if variable is None else tuple(variable.shape)
            raise ValueError(f"tensor {key} {value.shape} does not fit {type(network).__name__}"
                             f" (expects {found})")
        variable.assign(value.astype(np.float32))
        assigned.add(id(variable))
    missing = [v.path for v in network.weights if id(v) not in assigned]
    if missing:
        raise ValueError(f"the state dict leaves {len(missing)} variables of "
                         f"{type(network).__name__} unset: {missing[:4]}")
    return network


def build_generator(state, resolution=256, **options):
    """The ganzoo generator of a generator state dict, weights loaded, at ``resolution``."""
    state = clean_state_dict(state)
    arch, args = generator_args(state)
    out = args.pop("output_channels")
    cls = UNetGenerator if arch == "unet" else ResnetGenerator
    generator = cls(data_shape=(resolution, resolution, out), name="generator", **args,
                    **options)
    return load_state(generator.build_for_data(), state)


def build_discriminator(state, image_channels, paired, resolution=256):
    """The PatchGAN of a discriminator state dict, weights loaded; ``paired`` for pix2pix
    (its input is [condition, image]: input channels = the generator's in + out)."""
    state = clean_state_dict(state)
    args = patchgan_args(state)
    in_channels = args.pop("input_channels")
    expected = image_channels * (2 if paired else 1)
    if in_channels != expected:
        raise ValueError(f"the discriminator takes {in_channels} channels; a "
                         f"{'pix2pix' if paired else 'CycleGAN'} discriminator of this "
                         f"generator takes {expected}")
    discriminator = PatchGANDiscriminator(data_shape=(resolution, resolution, image_channels),
                                          paired=paired, name="discriminator", **args)
    return load_state(discriminator.build_for_data(), state)


def build_family_model(family, g_state, d_state=None, resolution=256, direction="a2b",
                       g_options=None):
    """The ``cyclegan`` or ``pix2pix`` family model of official state dicts: G, and D or a
    fresh reference-default PatchGAN (ndf 64, n_layers 3, the generator's norm)."""
    generator = build_generator(g_state, resolution, **(g_options or {}))
    channels, paired = generator.data_shape[-1], family == "pix2pix"
    if d_state:
        discriminator = build_discriminator(d_state, channels, paired, resolution)
    else:
        discriminator = PatchGANDiscriminator(
            data_shape=generator.data_shape, norm=generator.get_config()["norm"], paired=paired,
            name="discriminator").build_for_data()
    family_args = {"direction": direction} if paired else {}
    return FAMILIES.get(family)(generator, discriminator, **family_args)


def convert_file(family, source, out, args):
    """Reads ``source`` (and ``args.discriminator``) safely and writes the preset ``out``."""
    d_path = getattr(args, "discriminator", None)
    g_options = {}
    if getattr(args, "dropout_at_inference", False):
        g_options["dropout_at_inference"] = True
    model = build_family_model(
        family, read_state_dict(source), read_state_dict(d_path) if d_path else None,
        getattr(args, "resolution", 256), getattr(args, "direction", "a2b"), g_options)
    sources = [source] + ([d_path] if d_path else [])
    save_preset(model, out, include_discriminator=bool(d_path), metadata={
        "source": {os.path.basename(p): sha256_of(p) for p in sources},
        "format": f"junyanz/pytorch-CycleGAN-and-pix2pix state dict ({detect_format(source)})",
        "direction": getattr(args, "direction", "a2b"),
        "license": getattr(args, "license", None) or LICENSE})
    return out


def _add_common(parser):
    parser.add_argument("--discriminator", metavar="FILE.pth",
                        help="the matching discriminator (latest_net_D.pth), optional")
    parser.add_argument("--resolution", type=int, default=256,
                        help="image size of the preset (default 256, as the released models "
                             "were trained; translate resizes inputs to it)")
    parser.add_argument("--direction", choices=("a2b", "b2a"), default="a2b",
                        help="which way the generator translates (a label for cyclegan)")
    parser.add_argument("--license", default=None, help="license of the weights")


@register_converter("cyclegan")
class CycleGANConverter(Converter):
    """A released CycleGAN generator (``latest_net_G.pth``, resnet or unet) -> a cyclegan
    preset whose ``generator`` it is (the B -> A generator of the family stays fresh)."""

    help = "junyanz/pytorch-CycleGAN-and-pix2pix CycleGAN generator .pth (latest_net_G.pth)"

    @staticmethod
    def add_arguments(parser):
        _add_common(parser)

    @staticmethod
    def convert(source, out, args):
        return convert_file("cyclegan", source, out, args)


@register_converter("pix2pix")
class Pix2PixConverter(Converter):
    """A released pix2pix generator (``latest_net_G.pth``, unet or resnet) -> a pix2pix
    preset; ``--dropout-at-inference`` keeps the U-Net's dropout on at test time as the
    paper does (stochastic output: not for export)."""

    help = "junyanz/pytorch-CycleGAN-and-pix2pix pix2pix generator .pth (latest_net_G.pth)"

    @staticmethod
    def add_arguments(parser):
        _add_common(parser)
        parser.add_argument("--dropout-at-inference", action="store_true",
                            help="keep dropout on when translating (the paper's test-time "
                                 "noise; makes the output random, so do not export it)")

    @staticmethod
    def convert(source, out, args):
        return convert_file("pix2pix", source, out, args)
