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
"""

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


def path(latents, steps, method="slerp"):
    """``steps`` latents from each latent to the next (endpoints included, not repeated)."""
    check_choice("interpolation", method, METHODS)
    if len(latents) < 2 or steps < 2:
        raise ValueError("Interpolation needs at least 2 latents and 2 steps.")
    interpolate_fn = slerp if method == "slerp" else lerp
    t = np.linspace(0.0, 1.0, steps)
    segments = [interpolate_fn(a, b, t)[(i > 0):] for i, (a, b) in
                enumerate(zip(latents[:-1], latents[1:]))]
    return np.concatenate(segments)


def generate(generator, z, label=None):
    """G(z) as numpy; a conditional generator needs ``label`` (one int or one per latent)."""
    z = np.asarray(z, np.float32)
    if not generator.num_classes:
        return np.asarray(generator(z, training=False))
    if label is None:
        raise ValueError(f"The generator is conditional on {generator.num_classes} classes: "
                         "give a label (--label).")
    labels = np.broadcast_to(np.asarray(label, np.int32), (len(z),))
    if np.any(labels < 0) or np.any(labels >= generator.num_classes):
        raise ValueError(f"--label {label} is not a class of this generator: use 0 to "
                         f"{generator.num_classes - 1}.")
    return np.asarray(generator([z, labels], training=False))


def check_noise_generator(generator, source):
    """Refuses an image-to-image generator: latent tools need one that maps noise."""
    if getattr(generator, "latent_dim", None) is None:
        raise ValueError(f"{source} translates images (no latent space): latent tools need a "
                         "noise generator; use `ganzoo translate` for this model.")
    return generator


def interpolate(generator, z0, z1, steps=8, method="slerp", label=None):
    """G's outputs along the ``method`` path from z0 to z1: [steps, *data_shape]."""
    return generate(generator, path([z0, z1], steps, method), label)


def arithmetic(plus, minus=(), directions=()):
    """sum(plus) - sum(minus) + sum(directions), each a latent [dim]."""
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


def digit_direction(generator, digit, n=1000, seed=0, extractor=None):
    """Direction toward digit ``digit`` in a digits generator's latent space.

    n latents are sampled, decoded and classified by the shipped digits classifier
    (``ganzoo.metrics.DigitsExtractor``); the mask is "classified as ``digit``". A
    conditional generator is given uniform labels: its class lives in the label, so
    the direction then captures what the classifier reads from the latent alone.
    """
    from ganzoo.metrics import DigitsExtractor

    rng = np.random.default_rng(seed)
    latents = rng.standard_normal((n, generator.latent_dim)).astype(np.float32)
    labels = rng.integers(generator.num_classes, size=n) if generator.num_classes else None
    images = generate(generator, latents, labels)
    predicted = (extractor or DigitsExtractor()).logits(images).argmax(axis=1)
    return attribute_direction(latents, predicted == digit)
