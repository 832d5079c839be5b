"""GAN data augmentation: a class-balanced labeled image folder from a trained GAN.

``augment(target, per_class, out)`` writes ``out/<class>/ganzoo_<seed>_<i>.png``, ``per_class``
images of every class, and ``out/manifest.json``. Labels come from

- a conditional generator G([z, y]) (cgan, Mirza & Osindero 2014; acgan, Odena et al. 2017;
  a conditional stylegan): row i of class y is G([z_i, y]), with the truncation trick
  (``truncation_psi``) when the generator tracks a mean latent; or
- an unconditional generator whose discriminator is a K-class classifier (sgan, Salimans
  et al. 2016 Sec. 5): samples G(z) are labeled argmax_k l_k(G(z)) by that classifier (the
  pseudo-labels of ``ganzoo.classifier``) and kept until each class has its count.

``fill_up=FOLDER`` (class imbalance) tops up only what FOLDER lacks: class y gets
max(0, per_class - #images in FOLDER/<class name>) new images. Class folders are named by
``class_names`` (default "0" .. "K-1"; for a folder dataset, its sorted subfolder names,
which is how ``ganzoo.data.folder`` numbers classes). Latents are standard normal from
``numpy.random.default_rng(seed)``, so a seed gives the same folder. The manifest records the
generator (source, kind, family, the sha256 of every weights file of a preset, the
checkpoint of a run), seed, truncation, how labels were given, and per-class counts.
"""

import datetime
import json
import os

import keras
import numpy as np
from PIL import Image

from ganzoo import images, presets, runs
from ganzoo.checkpointing import checkpoints
from ganzoo.classifier import classifier_of
from ganzoo.hashing import sha256_of

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp")
MAX_DRAWS_PER_IMAGE = 50  # classifier-labeled sampling gives up after this many draws per image


def _source(target):
    """(sampling generator, classifier or None, manifest record of the source) of a run
    directory or a preset; the classifier is the discriminator's, for an unconditional
    generator whose discriminator has class logits (sgan)."""
    if runs.is_run_dir(target):
        step, path = (checkpoints(target) or [(None, None)])[-1]
        model = runs.load_run(target)
        record = {"source": os.fspath(target), "kind": "run", "checkpoint": path, "step": step}
    else:
        folder, spec, _ = runs.open_preset(target)
        weights = sorted(f for f in os.listdir(folder) if f.endswith(".weights.h5"))
        record = {"source": os.fspath(target), "kind": "preset", "family": spec["family"],
                  "sha256": {f: sha256_of(os.path.join(folder, f)) for f in weights}}
        if spec["generator"]["config"].get("num_classes"):
            return presets.load_generator(target), None, record
        model = presets.load_preset(target)
    record["family"] = type(model).registered_name
    generator = model.sampling_generator()
    if generator.num_classes or not getattr(model.discriminator, "aux_classes", 0):
        return generator, None, record
    return generator, classifier_of(model), record


def existing_counts(folder, class_names):
    """{class name: images in ``folder``/<class name>} (0 for a missing subfolder)."""
    def count(name):
        path = os.path.join(folder, name)
        return sum(f.lower().endswith(IMAGE_SUFFIXES) for f in os.listdir(path)) if (
            os.path.isdir(path)) else 0

    return {name: count(name) for name in class_names}


def conditional_samples(generator, label, n, rng, truncation_psi=None, batch_size=250):
    """``n`` images G([z, label]) in [-1, 1], truncated when ``truncation_psi`` is given."""
    kwargs = {"truncation_psi": truncation_psi} if truncation_psi is not None else {}
    out = []
    for start in range(0, n, batch_size):
        inputs = generator.sample_inputs(min(batch_size, n - start), rng, label)
        out.append(keras.ops.convert_to_numpy(generator(inputs, training=False, **kwargs)))
    return np.concatenate(out) if out else np.zeros((0, *generator.data_shape), np.float32)


def classified_samples(generator, classifier, needed, rng, batch_size=250):
    """{class: images} with ``needed[class]`` unconditional samples each, labeled by
    ``classifier``'s argmax; an error if some class is not reached within the draw budget."""
    kept = {k: [] for k in needed}
    budget = MAX_DRAWS_PER_IMAGE * max(sum(needed.values()), 1)
    drawn = 0
    while any(len(kept[k]) < needed[k] for k in needed):
        if drawn >= budget:
            short = {k: needed[k] - len(kept[k]) for k in needed if len(kept[k]) < needed[k]}
            raise ValueError(f"After {drawn} samples the classifier still lacks {short} "
                             "(class: images); the generator rarely makes those classes.")
        batch = keras.ops.convert_to_numpy(generator(generator.sample_inputs(
            batch_size, rng), training=False))
        labels = keras.ops.convert_to_numpy(classifier(batch, training=False)).argmax(1)
        drawn += batch_size
        for image, label in zip(batch, labels):
            if label in kept and len(kept[label]) < needed[label]:
                kept[label].append(image)
    return {k: np.stack(v) if v else None for k, v in kept.items()}


def augment(target, per_class, out, seed=0, truncation_psi=None, fill_up=None,
            class_names=None, batch_size=250):
    """Writes the labeled folder ``out`` (see the module docstring); returns the manifest.

    Args:
        target: str, a run directory or a preset (shipped name, folder, archive URL).
        per_class: int, images per class (with ``fill_up``: the total each class reaches).
        out: str, the output folder (class subfolders and manifest.json).
        seed: int, default 0; seed of the latents (and of the draws of an sgan).
        truncation_psi: float or None (default: none); for generators with a mean latent.
        fill_up: str or None; a labeled image folder whose class counts are topped up.
        class_names: list of str or None; names of classes 0..K-1 (default their ids).
        batch_size: int, default 250; images per generator call.
    """
    if per_class < 0:
        raise ValueError(f"--per-class must be >= 0, got {per_class}.")
    generator, classifier, source = _source(target)
    conditional = bool(getattr(generator, "num_classes", 0))
    if not conditional and classifier is None:
        raise ValueError(f"{target} is neither a conditional generator (cgan, acgan, a "
                         "conditional stylegan) nor a GAN with a classifier discriminator (sgan).")
    classes = generator.num_classes if conditional else classifier.output_shape[-1]
    if truncation_psi is not None and not getattr(generator, "supports_truncation", False):
        raise ValueError(f"{target}'s generator has no mean latent: drop --truncation-psi.")
    names = list(class_names or map(str, range(classes)))
    if len(names) != classes:
        raise ValueError(f"{len(names)} class names given for {classes} classes.")
    have = existing_counts(fill_up, names) if fill_up else {name: 0 for name in names}
    needed = {k: max(0, per_class - have[name]) for k, name in enumerate(names)}
    rng = np.random.default_rng(seed)
    if conditional:
        made = {k: conditional_samples(generator, k, n, rng, truncation_psi, batch_size)
                for k, n in needed.items()}
    else:
        made = classified_samples(generator, classifier, needed, rng, batch_size)
    for k, batch in made.items():
        os.makedirs(os.path.join(out, names[k]), exist_ok=True)
        for i, pixels in enumerate(images.to_uint8(batch) if needed[k] else []):
            Image.fromarray(pixels[..., 0] if pixels.shape[-1] == 1 else pixels).save(
                os.path.join(out, names[k], f"ganzoo_{seed}_{i:05d}.png"))
    manifest = {"generator": source,
                "labels": "conditional generator" if conditional else "discriminator argmax",
                "seed": seed, "truncation_psi": truncation_psi, "per_class": per_class,
                "fill_up": fill_up, "existing": have if fill_up else None,
                "counts": {names[k]: n for k, n in needed.items()},
                "date": datetime.datetime.now(datetime.timezone.utc).isoformat(
                    timespec="seconds")}
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
    return manifest
