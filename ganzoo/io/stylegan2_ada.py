"""StyleGAN2-ADA parameters (NVlabs/stylegan2-ada-pytorch, ``training/networks.py``;
Karras et al. 2020, "Training Generative Adversarial Networks with Limited Data") in ganzoo's
``stylegan`` networks.

A state dict {official name: numpy array} (torch layouts: convolutions [out, in, k, k],
dense [out, in], the constant [C, 4, 4]) gives every architecture argument: resolution and
image channels, z / w / label sizes, mapping depth, channel widths (as channel_base and
channel_max), cmap size, minibatch-stddev channels. What no tensor tells (``conv_clamp``,
the minibatch-stddev group size, the mapping's lr multiplier and w_avg decay) are arguments
with the official training defaults, or come from a network pickle's ``init_kwargs``.
The generator must be "skip" and the discriminator "resnet" (the official defaults).

``ganzoo convert stylegan2-ada SOURCE --out DIR`` writes a preset (generator = G,
ema_generator = G_ema, discriminator = D) from an official network pickle (read without
torch and without executing anything in it) or from a state dict file (.pt/.pth, .npz,
.safetensors) keyed by the official names, with or without ``G/``, ``G_ema/``, ``D/``.
"""

import os
import re

import numpy as np

from ganzoo.hashing import sha256_of
from ganzoo.io.converter import Converter
from ganzoo.io.network_pickle import read_network_pickle
from ganzoo.io.tensors import detect_format, read_state_dict
from ganzoo.layers.fir import fir_filter
from ganzoo.networks.stylegan import StyleGANDiscriminator, StyleGANGenerator
from ganzoo.presets import save_preset
from ganzoo.registry import FAMILIES, register_converter

NETWORKS = ("G", "G_ema", "D")
PICKLE_FORMAT = "stylegan2-ada network pickle"
NVIDIA_LICENSE = "NVIDIA Source Code License-NC"


def _count(state, pattern):
    return len({m.group(1) for k in state for m in [re.fullmatch(pattern, k)] if m})


def _resolutions(state, prefix):
    return sorted({int(m.group(1)) for k in state
                   for m in [re.match(prefix + r"b(\d+)\.", k)] if m})


def _channel_args(widths):
    """(channel_base, channel_max) with min(base // r, max) == widths[r] for every r."""
    channel_max = max(widths.values())
    narrow = [r for r in sorted(widths) if widths[r] < channel_max]
    top = max(widths)
    base = widths[narrow[0]] * narrow[0] if narrow else channel_max * top
    if any(min(base // r, channel_max) != w for r, w in widths.items()):
        raise ValueError(f"Channel widths {widths} do not follow min(channel_base // res, "
                         "channel_max): not a StyleGAN2-ADA network ganzoo can rebuild.")
    return base, channel_max


def _mapping_args(state, prefix):
    """(layers, out features, label classes) of the mapping network under ``prefix``."""
    layers = _count(state, re.escape(prefix) + r"fc(\d+)\.weight")
    out = state[f"{prefix}fc{layers - 1}.weight"].shape[0]
    classes = state[f"{prefix}embed.weight"].shape[1] if f"{prefix}embed.weight" in state else 0
    for name, value in state.items():
        if name.startswith(prefix) and name.endswith(".weight") and value.shape[0] != out:
            raise ValueError(f"{name} has {value.shape[0]} features, the mapping's output "
                             f"{out}: ganzoo's mapping layers all have the width of w.")
    return layers, out, classes


def _check_filters(state, prefix):
    for name, value in state.items():
        if name.startswith(prefix) and name.endswith("resample_filter"):
            if value.shape != (4, 4) or not np.allclose(value, fir_filter(), atol=1e-7):
                raise ValueError(f"{name} is not the [1, 3, 3, 1] filter ganzoo implements.")


def generator_args(state, conv_clamp=256, mapping_lr=0.01, w_avg_beta=0.995):
    """Constructor arguments of ``StyleGANGenerator`` for the official G ``state``."""
    if any(re.match(r"synthesis\.b\d+\.skip\.", k) for k in state):
        raise ValueError("A 'resnet' StyleGAN2 generator: ganzoo implements the official "
                         "default 'skip' generator only.")
    layers, w_dim, classes = _mapping_args(state, "mapping.")
    embed = state["mapping.embed.weight"].shape[0] if classes else 0
    resolutions = _resolutions(state, r"synthesis\.")
    top = resolutions[-1]
    widths = {r: state[f"synthesis.b{r}.conv1.weight"].shape[0] for r in resolutions}
    base, channel_max = _channel_args(widths)
    return {"latent_dim": state["mapping.fc0.weight"].shape[1] - embed,
            "data_shape": (top, top, state[f"synthesis.b{top}.torgb.weight"].shape[0]),
            "num_classes": classes, "w_dim": w_dim, "mapping_layers": layers,
            "mapping_lr": mapping_lr, "w_avg_beta": w_avg_beta, "channel_base": base,
            "channel_max": channel_max, "conv_clamp": conv_clamp}


def discriminator_args(state, conv_clamp=256, mbstd_group_size=4, mapping_lr=0.01):
    """Constructor arguments of ``StyleGANDiscriminator`` for the official D ``state``."""
    resolutions = _resolutions(state, "")
    top = max(resolutions)
    if any(re.match(rf"b(?!{top}\.)\d+\.fromrgb\.", k) for k in state) or \
            f"b{top}.skip.weight" not in state:
        raise ValueError("Not a 'resnet' StyleGAN2 discriminator: ganzoo implements the "
                         "official default 'resnet' discriminator only.")
    widths = {r: state[f"b{r}.conv0.weight"].shape[0] for r in resolutions if r > 4}
    widths[4] = state["b4.conv.weight"].shape[0]
    base, channel_max = _channel_args(widths)
    layers, cmap_dim, classes = _mapping_args(state, "mapping.") if "mapping.fc0.weight" in \
        state else (8, 0, 0)
    return {"data_shape": (top, top, state[f"b{top}.fromrgb.weight"].shape[1]),
            "num_classes": classes, "channel_base": base, "channel_max": channel_max,
            "conv_clamp": conv_clamp, "mbstd_group_size": mbstd_group_size,
            "mbstd_num_channels": state["b4.conv.weight"].shape[1] - widths[4],
            "mapping_layers": layers, "mapping_lr": mapping_lr, "cmap_dim": cmap_dim or None}


def _conv(weight):
    """[out, in, k, k] -> [k, k, in, out]."""
    return np.transpose(weight, (2, 3, 1, 0))


def _dense(layer, state, name):
    layer.kernel.assign(state[f"{name}.weight"].T)
    layer.bias.assign(state[f"{name}.bias"])


def _mapping(mapping, state, prefix):
    if mapping.embed is not None:
        _dense(mapping.embed, state, f"{prefix}embed")
    for i, fc in enumerate(mapping.fcs):
        _dense(fc, state, f"{prefix}fc{i}")


def _modulated(layer, state, name):
    _dense(layer.affine, state, f"{name}.affine")
    layer.kernel.assign(_conv(state[f"{name}.weight"]))
    layer.bias.assign(state[f"{name}.bias"])


def _conv_layer(layer, state, name):
    layer.kernel.assign(_conv(state[f"{name}.weight"]))
    if layer.bias is not None:
        layer.bias.assign(state[f"{name}.bias"])


def load_generator_state(g, state):
    """Assigns the official G ``state`` to the built ``StyleGANGenerator`` g."""
    _check_filters(state, "synthesis.")
    _mapping(g.mapping_network, state, "mapping.")
    g.w_avg.assign(state["mapping.w_avg"])
    g.const.assign(np.transpose(state["synthesis.b4.const"], (1, 2, 0)))
    names = ["b4.conv1"] + [f"b{4 * 2 ** i}.conv{j}"
                            for i in range(1, len(g.to_rgb)) for j in (0, 1)]
    for layer, name in zip(g.convs, names):
        _modulated(layer, state, f"synthesis.{name}")
        layer.noise_const.assign(state[f"synthesis.{name}.noise_const"])
        layer.noise_strength.assign(np.reshape(state[f"synthesis.{name}.noise_strength"], ()))
    for i, layer in enumerate(g.to_rgb):
        _modulated(layer, state, f"synthesis.b{4 * 2 ** i}.torgb")
    return g


def load_discriminator_state(d, state):
    """Assigns the official D ``state`` to the built ``StyleGANDiscriminator`` d."""
    _check_filters(state, "")
    top = d.data_shape[0]
    _conv_layer(d.from_rgb, state, f"b{top}.fromrgb")
    for i, (conv0, conv1, skip) in enumerate(zip(d.conv0, d.conv1, d.skip)):
        name = f"b{top // 2 ** i}"
        _conv_layer(conv0, state, f"{name}.conv0")
        _conv_layer(conv1, state, f"{name}.conv1")
        _conv_layer(skip, state, f"{name}.skip")
    if d.mapping is not None:
        _mapping(d.mapping, state, "mapping.")
    _conv_layer(d.conv, state, "b4.conv")
    fc = state["b4.fc.weight"]
    d.fc.kernel.assign(np.transpose(fc.reshape(fc.shape[0], -1, 4, 4), (2, 3, 1, 0))
                       .reshape(-1, fc.shape[0]))
    d.fc.bias.assign(state["b4.fc.bias"])
    _dense(d.out, state, "b4.out")
    return d


def build_generator(state, **kwargs):
    """A ``StyleGANGenerator`` holding the official G ``state``; kwargs as generator_args."""
    g = StyleGANGenerator(**generator_args(state, **kwargs)).build_for_data()
    return load_generator_state(g, state)


def build_discriminator(state, **kwargs):
    """A ``StyleGANDiscriminator`` holding the official D ``state``; kwargs as
    discriminator_args."""
    d = StyleGANDiscriminator(**discriminator_args(state, **kwargs)).build_for_data()
    return load_discriminator_state(d, state)


def _attribute(module, path, name):
    """``name`` of the submodule at dotted ``path`` of a PersistentModule, or None."""
    for part in path.split(".") if path else ():
        module = module.modules.get(part) if module is not None else None
    return None if module is None else module.attributes.get(name)


def pickle_options(networks):
    """({generator option: value}, {discriminator option: value}) that the pickle's modules
    record and no tensor tells: conv_clamp (None: no clamping), the mapping's lr multiplier
    (its layers' bias gain), the w_avg decay, the minibatch-stddev group size."""
    wanted = ({"conv_clamp": ("synthesis.b4.conv1", "conv_clamp"),
               "mapping_lr": ("mapping.fc0", "bias_gain"),
               "w_avg_beta": ("mapping", "w_avg_beta")},
              {"conv_clamp": ("b4.conv", "conv_clamp"),
               "mapping_lr": ("mapping.fc0", "bias_gain"),
               "mbstd_group_size": ("b4.mbstd", "group_size")})
    options = []
    for net, where in zip((networks["G"], networks["D"]), wanted):
        found = {option: _attribute(net, *path) for option, path in where.items()}
        options.append({option: value for option, value in found.items()
                        if value is not None or option == "conv_clamp"})
    return tuple(options)


def split_networks(tensors):
    """{"G", "G_ema", "D": state dict or {}} of a file's tensors; keys without one of those
    prefixes are one network, D if it has ``b4.out.weight``, else G."""
    states = {name: {key[len(name) + 1:]: value for key, value in tensors.items()
                     if key.startswith(name + "/")} for name in NETWORKS}
    if not any(states.values()):
        states["D" if "b4.out.weight" in tensors else "G"] = tensors
    return states


def build_family_model(states, g_options=None, d_options=None):
    """The ``stylegan`` family model of official state dicts {"G", "G_ema", "D"}: G (or
    G_ema when there is no G), G_ema as its EMA generator, D (or a fresh discriminator of
    the same size when there is none)."""
    g_state = states["G"] or states["G_ema"]
    if not g_state:
        raise ValueError("No generator tensors (keys 'G/...' or 'G_ema/...', or "
                         "'mapping.*' and 'synthesis.*').")
    try:
        g = build_generator(g_state, **(g_options or {}))
        d = build_discriminator(states["D"], **(d_options or {})) if states["D"] else None
    except KeyError as missing:
        raise ValueError(f"No tensor {missing}: not the state dict of a StyleGAN2-ADA "
                         "generator ('skip') or discriminator ('resnet').") from None
    if d is None:
        args = g.get_config()
        d = StyleGANDiscriminator(**{key: args[key] for key in (
            "data_shape", "num_classes", "channel_base", "channel_max", "conv_clamp")})
        d.build_for_data()
    model = FAMILIES.get("stylegan")(g, d)
    if states["G_ema"]:
        load_generator_state(model.ema_generator, states["G_ema"])
    return model


def _clamp(text):
    return None if text.lower() == "none" else float(text)


def flag_options(args):
    """({generator option: value}, {discriminator option: value}) given as flags."""
    given = {name: getattr(args, name, None)
             for name in ("conv_clamp", "mapping_lr", "w_avg_beta", "mbstd_group_size")}
    given = {name: value for name, value in given.items() if value is not None}
    if "conv_clamp" in given:
        given["conv_clamp"] = _clamp(str(given["conv_clamp"]))
    return ({k: v for k, v in given.items() if k != "mbstd_group_size"},
            {k: v for k, v in given.items() if k != "w_avg_beta"})


@register_converter("stylegan2-ada")
class StyleGAN2ADAConverter(Converter):
    """NVIDIA StyleGAN2-ADA network pickle (.pkl) or state dict -> a stylegan preset.
    Flags override what a network pickle records; both default to stylegan2-ada's
    training settings."""

    help = ("NVIDIA StyleGAN2-ADA (stylegan2-ada-pytorch): a network .pkl, or a .pt/.pth/"
            ".npz/.safetensors state dict with the official names")

    @staticmethod
    def add_arguments(parser):
        parser.add_argument("--conv-clamp", default=None,
                            help="clamp of the convolutions' outputs, a number or none "
                                 "(default: the pickle's, else 256 as stylegan2-ada trains)")
        parser.add_argument("--mbstd-group-size", type=int, default=None,
                            help="minibatch-stddev group size (default: the pickle's, else 4)")
        parser.add_argument("--mapping-lr", type=float, default=None,
                            help="mapping lr multiplier (default: the pickle's, else 0.01)")
        parser.add_argument("--w-avg-beta", type=float, default=None,
                            help="decay of w_avg (default: the pickle's, else 0.995)")
        parser.add_argument("--license", default=None,
                            help="license of the weights, for metadata.json (default: "
                                 f"{NVIDIA_LICENSE} for a network pickle)")

    @staticmethod
    def convert(source, out, args):
        kind = detect_format(source)
        if kind == "network_pickle":
            networks = read_network_pickle(source)
            states = {name: networks[name].state_dict() for name in NETWORKS}
            g_options, d_options = pickle_options(networks)
            file_format, license_ = PICKLE_FORMAT, NVIDIA_LICENSE
        else:
            states, g_options, d_options = split_networks(read_state_dict(source)), {}, {}
            file_format = f"stylegan2-ada state dict ({kind})"
            license_ = "unknown (give it with --license)"
        g_flags, d_flags = flag_options(args)
        model = build_family_model(states, {**g_options, **g_flags}, {**d_options, **d_flags})
        save_preset(model, out, include_discriminator=bool(states["D"]), metadata={
            "source": {"file": os.path.basename(source), "sha256": sha256_of(source)},
            "format": file_format, "license": getattr(args, "license", None) or license_})
        return out
