"""Latent-space tools: interpolation and latent vector arithmetic.

- Interpolation between two latents, linear (lerp) or spherical (slerp: Shoemake 1985,
  "Animating Rotation with Quaternion Curves"; recommended for Gaussian latents by White
  2016, "Sampling Generative Networks", since lerp midpoints have atypically small norms).
- Vector arithmetic (Radford et al. 2016, "Unsupervised Representation Learning with
  DCGANs", Sec. 6.3): z = sum(plus) - sum(minus) + sum(directions), where the operands
  are latents of seeds and attribute directions.
- Attribute directions: mean latent of samples that have an attribute minus mean latent of
  samples that do not (``attribute_direction``). Which samples have it is decided by a
  classifier on the generated samples: for digits models the shipped digits classifier
  (``digit_direction``); for celeb_a, an attribute classifier trained on celeb_a's 40
  binary labels gives the mask the same way (ganzoo ships none).

A seed's latent is the first row of ``Generator.sample_inputs`` for that seed, so seed s
is the top-left image of ``ganzoo sample RUN --seed s``.

Latent files (``--latent FILE.npy``, as ``ganzoo project`` writes them) hold a z
[latent_dim], or for a StyleGAN a w+ [num_ws, w_dim] (a single w repeated over the layers,
as NVIDIA's projector writes it), which skips the mapping network and feeds synthesis with
the generator's stored noise. When a StyleGAN's operands mix the two, the seeds' and files'
z are mapped to w+ first and everything happens in W, where interpolation is linear (slerp
is for Gaussian z) and a digit direction is a difference of mean w.
"""

import os

import numpy as np
from ganzoo.registry import check_choice

METHODS = ("slerp", "lerp")


def seed_latent(seed, latent_dim):
    """The latent [latent_dim] of ``seed`` (a standard normal draw)."""
    return np.random.default_rng(seed).standard_normal((1, latent_dim)).astype(np.float32)[0]


def lerp(z0, z1, t):
    """(1 - t) z0 + t z1 for each t: [len(t), dim]."""
    t = np.asarray(t, np.float64)[:, None]
    return ((1.0 - t) * z0 + t * z1).astype(np.float32)


def slerp(z0, z1, t):
    """Spherical interpolation along the great circle from z0 to z1 (norms interpolated as
    the angle goes); lerp when z0 and z1 are (anti)parallel."""
    z0, z1 = np.asarray(z0, np.float64), np.asarray(z1, np.float64)
    cosine = np.dot(z0, z1) / (np.linalg.norm(z0) * np.linalg.norm(z1))
    omega = np.arccos(np.clip(cosine, -1.0, 1.0))
    if np.sin(omega) < 1e-6:
        return lerp(z0, z1, t)
    t = np.asarray(t, np.float64)[:, None]
    return ((np.sin((1.0 - t) * omega) * z0 + np.sin(t * omega) * z1)
            / np.sin(omega)).astype(np.float32)


def path(latents, steps, method=None):
    """``steps`` latents from each latent to the next (endpoints included, not repeated);
    ``method`` defaults to slerp for z [dim] and to lerp for w+ [num_ws, w_dim]."""
    shape = np.shape(latents[0])
    method = method or ("slerp" if len(shape) == 1 else "lerp")
    check_choice("interpolation", method, METHODS)
    if len(latents) < 2 or steps < 2:
        raise ValueError("Interpolation needs at least 2 latents and 2 steps.")
    interpolate_fn = slerp if method == "slerp" else lerp
    flat = [np.ravel(latent) for latent in latents]
    t = np.linspace(0.0, 1.0, steps)
    segments = [interpolate_fn(a, b, t)[(i > 0):] for i, (a, b) in
                enumerate(zip(flat[:-1], flat[1:]))]
    return np.concatenate(segments).reshape(-1, *shape)


def class_labels(generator, label, count):
    """``label`` (one int or one per latent) as int32 [count]; None for an unconditional
    generator; a conditional one without a label, or a label out of range, is refused."""
    if not generator.num_classes:
        return None
    if label is None:
        raise ValueError(f"The generator is conditional on {generator.num_classes} classes: "
                         "give a label (--label).")
    labels = np.broadcast_to(np.asarray(label, np.int32), (count,))
    if np.any(labels < 0) or np.any(labels >= generator.num_classes):
        raise ValueError(f"--label {label} is not a class of this generator: use 0 to "
                         f"{generator.num_classes - 1}.")
    return labels


def is_style_based(generator):
    """Whether ``generator`` has a mapping network and a synthesis network fed by w+."""
    return hasattr(generator, "synthesis") and hasattr(generator, "num_ws")


def generate(generator, latents, label=None):
    """G's images as numpy: rows of z [N, latent_dim] through G (a conditional generator
    needs ``label``), or w+ [N, num_ws, w_dim] through a StyleGAN's synthesis."""
    latents = np.asarray(latents, np.float32)
    if latents.ndim == 3:
        return np.asarray(generator.synthesis(latents, noise_mode="const"))
    labels = class_labels(generator, label, len(latents))
    inputs = latents if labels is None else [latents, labels]
    return np.asarray(generator(inputs, training=False))


def to_ws(generator, z, label=None):
    """w+ [N, num_ws, w_dim] of z [N, latent_dim] through a StyleGAN's mapping network."""
    z = np.asarray(z, np.float32)
    return np.array(generator.mapping(z, class_labels(generator, label, len(z))))


def load_latent(path, generator):
    """The latent in ``path`` (.npy): z [latent_dim], or w+ [num_ws, w_dim] for a StyleGAN."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"--latent {path}: no such file; give a .npy file that "
                                "`ganzoo project` wrote.")
    try:
        value = np.load(path, allow_pickle=False)
    except (ValueError, OSError) as error:
        raise ValueError(f"--latent {path} is not a numpy .npy array ({error}); give a file "
                         "that `ganzoo project` wrote.") from None
    shapes = [(generator.latent_dim,)]
    if is_style_based(generator):
        shapes.append((generator.num_ws, generator.w_dim))
    if value.shape not in shapes or not np.issubdtype(value.dtype, np.floating):
        raise ValueError(f"--latent {path} holds a {value.dtype} array of shape {value.shape}; "
                         f"this generator takes float latents of shape "
                         f"{' or '.join(map(str, shapes))}.")
    if not np.all(np.isfinite(value)):
        raise ValueError(f"--latent {path} holds non-finite values.")
    return value.astype(np.float32)


def common_space(generator, latents, label=None):
    """``latents`` all z, or, when any is a w+, all w+ (each z mapped)."""
    if all(np.ndim(latent) == 1 for latent in latents):
        return list(latents)
    return [latent if np.ndim(latent) == 2 else to_ws(generator, latent[None], label)[0]
            for latent in latents]


def check_noise_generator(generator, source):
    """Refuses an image-to-image generator: latent tools need one that maps noise."""
    if getattr(generator, "latent_dim", None) is None:
        raise ValueError(f"{source} translates images (no latent space): latent tools need a "
                         "noise generator; use `ganzoo translate` for this model.")
    return generator


def interpolate(generator, z0, z1, steps=8, method=None, label=None):
    """G's outputs along the ``method`` path from z0 to z1 (z or w+): [steps, *data_shape]."""
    return generate(generator, path([z0, z1], steps, method), label)


def arithmetic(plus, minus=(), directions=()):
    """sum(plus) - sum(minus) + sum(directions), each a latent of one shape."""
    if not len(plus) and not len(directions):
        raise ValueError("Latent arithmetic needs at least one --plus seed or direction.")
    vectors = [np.asarray(v, np.float32) for v in (*plus, *directions)]
    total = np.sum(vectors, axis=0)
    for vector in minus:
        total = total - np.asarray(vector, np.float32)
    return total.astype(np.float32)


def attribute_direction(latents, attribute_mask):
    """mean(latents with the attribute) - mean(latents without it): [dim]."""
    latents, mask = np.asarray(latents, np.float32), np.asarray(attribute_mask, bool)
    if mask.all() or not mask.any():
        raise ValueError(f"An attribute direction needs samples with and without the "
                         f"attribute; {int(mask.sum())} of {len(mask)} have it.")
    return latents[mask].mean(axis=0) - latents[~mask].mean(axis=0)


def digit_direction(generator, digit, n=1000, seed=0, extractor=None, in_w=False):
    """Direction toward digit ``digit`` in a digits generator's latent space.

    n latents are sampled, decoded and classified by the shipped digits classifier
    (``ganzoo.metrics.DigitsExtractor``); the mask is "classified as ``digit``". A
    conditional generator is given uniform labels: its class lives in the label, so
    the direction then captures what the classifier reads from the latent alone.
    ``in_w``: a StyleGAN's direction in W, [num_ws, w_dim] (the same mask on the samples'
    w+).
    """
    from ganzoo.metrics import DigitsExtractor

    rng = np.random.default_rng(seed)
    latents = rng.standard_normal((n, generator.latent_dim)).astype(np.float32)
    labels = rng.integers(generator.num_classes, size=n) if generator.num_classes else None
    if in_w:
        latents = to_ws(generator, latents, labels)
    images = np.clip(generate(generator, latents, labels), -1.0, 1.0)  # StyleGAN's overshoot
    predicted = (extractor or DigitsExtractor()).logits(images).argmax(axis=1)
    return attribute_direction(latents, predicted == digit)
