"""Projection of real images into a generator's latent space (``ganzoo project``).

StyleGAN: the projection of Karras et al. 2020, "Analyzing and Improving the Image Quality
of StyleGAN" (Sec. 5, "Projection of images to latent space"), with the settings of NVIDIA's
stylegan2-ada-pytorch ``projector.py`` (Karras et al. 2020, "Training Generative
Adversarial Networks with Limited Data"):

- w_avg = mean of w_i and w_std = sqrt(sum_i ||w_i - w_avg||^2 / N) over N = 10000 w of
  the mapping network (fixed seed; a conditional generator's for the given label).
- Adam (betas 0.9, 0.999, eps 1e-8) on w, one [w_dim] for every layer (or per-layer w+
  [num_ws, w_dim] with ``w_plus``), from w_avg, and on every noise map n_l, from N(0, I).
- At step s of T, t = s / T: lr = 0.1 * min(1, t / 0.05) * (1/2 - cos(pi r) / 2),
  r = min(1, (1 - t) / 0.25) (a ramp-up over 5 % and a cosine ramp-down over the last
  25 %); the synthesis sees w + N(0, sigma^2), sigma = w_std * 0.05 * max(0, 1 - t / 0.75)^2,
  noise on w that decays to 0 over the first 75 % of the steps.
- loss = D(G(w + noise), x) + 1e5 * sum_l sum_k [mean(m * roll_x(m))^2 + mean(m * roll_y(m))^2],
  m the noise map n_l average-pooled k times by 2 while larger than 8x8: the multi-scale
  autocorrelation regulariser that stops the noise maps from carrying the image.
- After each step every noise map is renormalised: n <- (n - mean n) / std n.
The written latent is w repeated to [num_ws, w_dim] (as NVIDIA's projector writes it); the
reconstruction is synthesised from it with the generator's own stored noise (as NVIDIA's
projector renders its result), so the latent file alone reproduces it. The generator's
noise maps are restored after each projection.

Other noise-input families (dcgan, cgan, wgan_gp, progan, ...): Adam on z with the same
learning-rate schedule and distance, N(0, sigma^2) noise on z with sigma = 0.05 * max(0,
1 - t / 0.75)^2 (z's own std is 1), from ``restarts`` random z per image optimised together
in one batch; the one with the lowest distance is kept. A conditional generator needs the
class of the images (``label``).

Distance: ``ganzoo.perceptual`` (extractor features + pixel MSE, or VGG16 LPIPS-style).
"""

import json
import math
import os
import time

import numpy as np
import tensorflow as tf
from PIL import Image

from ganzoo import images as image_files
from ganzoo import latent, perceptual
from ganzoo.data.base import square_resize

W_AVG_SAMPLES = 10000
W_AVG_SEED = 123
LEARNING_RATE = 0.1
LR_RAMPUP, LR_RAMPDOWN = 0.05, 0.25
LATENT_NOISE, LATENT_NOISE_RAMP = 0.05, 0.75
NOISE_REGULARIZATION = 1e5
Z_BATCH_IMAGES = 16


def schedule(t):
    """(learning-rate factor, latent-noise factor) at the fraction ``t`` of the steps."""
    ramp_down = 0.5 - 0.5 * math.cos(math.pi * min(1.0, (1.0 - t) / LR_RAMPDOWN))
    noise = LATENT_NOISE * max(0.0, 1.0 - t / LATENT_NOISE_RAMP) ** 2
    return ramp_down * min(1.0, t / LR_RAMPUP), noise


def read_targets(paths, data_shape):
    """Images files of any size and mode -> [N, H, W, C] float32 in [-1, 1] at the model's
    shape (center-cropped to a square, resized, converted to gray or RGB); all are read
    before anything is written, an unreadable one is refused with its name."""
    resolution, _, channels = data_shape
    mode = {1: "L", 3: "RGB"}[channels]
    targets = []
    for path in paths:
        if not os.path.isfile(path):
            raise FileNotFoundError(f"{path}: no such image file.")
        try:
            with Image.open(path) as image:
                pixels = np.asarray(image.convert(mode), np.float32).reshape(
                    image.height, image.width, channels)
        except Exception as error:  # Pillow raises many types for a bad file
            raise ValueError(f"{path} is not a readable image ({type(error).__name__}); give "
                             "PNG or JPEG files.") from None
        targets.append(square_resize(pixels, resolution).numpy())
    return np.stack(targets)


class Adam:
    """Adam (Kingma & Ba 2015) on tf.Variables, betas (0.9, 0.999), eps 1e-8, with the
    learning rate given at each step (the projection's schedule). Written out rather than
    ``keras.optimizers.Adam`` for two reasons: eps is added after the bias correction, as in
    the reference projector (Keras adds it before), and ``reset`` restarts the moments for
    the next image inside the same traced step."""

    def __init__(self, variables):
        self.variables = variables
        self.moments = [(tf.Variable(tf.zeros_like(v)), tf.Variable(tf.zeros_like(v)))
                        for v in variables]
        self.steps = tf.Variable(0.0)

    def reset(self):
        self.steps.assign(0.0)
        for first, second in self.moments:
            first.assign(tf.zeros_like(first))
            second.assign(tf.zeros_like(second))

    def apply(self, gradients, learning_rate):
        self.steps.assign_add(1.0)
        correction1, correction2 = 1.0 - 0.9 ** self.steps, 1.0 - 0.999 ** self.steps
        for variable, gradient, (first, second) in zip(self.variables, gradients,
                                                       self.moments):
            first.assign(0.9 * first + 0.1 * gradient)
            second.assign(0.999 * second + 0.001 * tf.square(gradient))
            variable.assign_sub(learning_rate * (first / correction1)
                                / (tf.sqrt(second / correction2) + 1e-8))


def noise_regularization(maps):
    """sum over maps and scales of the squared mean autocorrelation at a 1-pixel shift
    in x and in y; each map is average-pooled by 2 while larger than 8x8."""
    total = 0.0
    for noise in maps:
        noise = noise[None, :, :, None]
        while True:
            total += tf.square(tf.reduce_mean(noise * tf.roll(noise, 1, axis=2)))
            total += tf.square(tf.reduce_mean(noise * tf.roll(noise, 1, axis=1)))
            if noise.shape[1] <= 8:
                break
            noise = tf.nn.avg_pool2d(noise, 2, 2, "VALID")
    return total


class Projector:
    """The optimisation loop shared by the latent kinds: ``steps`` Adam steps on
    ``variables`` at the scheduled learning rate, with the scheduled noise on the latent.

    Args:
        generator: the generator (a keras.Model).
        distance: ``ganzoo.perceptual.Distance``.
        steps: int, default 1000, optimisation steps.
        seed: int, default 0, seed of the starting points and of the latent noise.
    """

    def __init__(self, generator, distance, steps=1000, seed=0):
        self.generator, self.distance, self.steps = generator, distance, steps
        self.rng = np.random.default_rng(seed)
        self.latent = None  # a tf.Variable, made by the subclass
        self._step = tf.function(self._step_impl, autograph=False)  # plain Python control flow

    def variables(self):
        return [self.latent]

    def images(self, latent):
        """G's images of the (noisy) latent variable's value."""
        raise NotImplementedError

    def regularization(self):
        return 0.0

    def after_step(self):
        """Work on the variables after each update (none by default)."""
        return None

    def _step_impl(self, targets, target_features, latent_noise, learning_rate):
        variables = self.variables()
        with tf.GradientTape() as tape:
            tape.watch(variables)
            images = self.images(self.latent + latent_noise)
            loss = (tf.reduce_sum(self.distance(images, targets, target_features))
                    + self.regularization())
        self.adam.apply(tape.gradient(loss, variables), learning_rate)
        self.after_step()

    def optimize(self, targets, noise_std=1.0):
        """Runs the schedule towards ``targets``; the latent variable holds the result."""
        targets = tf.convert_to_tensor(targets, tf.float32)
        target_features = self.distance.features(targets)
        self.adam.reset()
        for step in range(self.steps):
            lr_factor, noise_factor = schedule(step / self.steps)
            noise = self.rng.standard_normal(self.latent.shape) * noise_std * noise_factor
            self._step(targets, target_features, tf.constant(noise, tf.float32),
                       tf.constant(LEARNING_RATE * lr_factor, tf.float32))


class StyleGANProjector(Projector):
    """w (or w+ with ``w_plus``) and the noise maps of a StyleGAN, one image at a time.

    Args:
        w_plus: bool, default False, one w per layer instead of one for all.
        label: int or None, the class of a conditional StyleGAN's images.
        (and ``Projector``'s)
    """

    def __init__(self, generator, distance, steps=1000, seed=0, w_plus=False, label=None):
        super().__init__(generator, distance, steps, seed)
        self.label = label
        self.w_avg, self.w_std = self.w_statistics()
        layers = generator.num_ws if w_plus else 1
        self.latent = tf.Variable(tf.zeros((1, layers, generator.w_dim)))
        self.noise_maps = [conv.noise_const.value for conv in generator.convs]
        self.adam = Adam(self.variables())

    def w_statistics(self):
        """(w_avg [w_dim], w_std) of ``W_AVG_SAMPLES`` mapped z."""
        z = np.random.default_rng(W_AVG_SEED).standard_normal(
            (W_AVG_SAMPLES, self.generator.latent_dim)).astype(np.float32)
        w = latent.to_ws(self.generator, z, self.label)[:, 0]
        w_avg = w.mean(axis=0)
        return w_avg, float(np.sqrt(np.sum(np.square(w - w_avg)) / len(w)))

    def variables(self):
        return [self.latent, *self.noise_maps]

    def images(self, w):
        ws = tf.broadcast_to(w, (1, self.generator.num_ws, self.generator.w_dim))
        return self.generator.synthesis(ws, noise_mode="const")

    def regularization(self):
        return NOISE_REGULARIZATION * noise_regularization(self.noise_maps)

    def after_step(self):
        for noise in self.noise_maps:
            centered = noise - tf.reduce_mean(noise)
            noise.assign(centered * tf.math.rsqrt(tf.reduce_mean(tf.square(centered))))

    def project(self, target):
        """w+ [num_ws, w_dim] whose synthesis reproduces ``target`` [H, W, C]."""
        stored = [noise.numpy() for noise in self.noise_maps]
        try:
            self.latent.assign(np.broadcast_to(self.w_avg, self.latent.shape))
            for noise in self.noise_maps:
                noise.assign(self.rng.standard_normal(noise.shape))
            self.optimize(target[None], self.w_std)
            return np.broadcast_to(self.latent.numpy()[0], (self.generator.num_ws,
                                                            self.generator.w_dim)).copy()
        finally:
            for noise, value in zip(self.noise_maps, stored):
                noise.assign(value)


class ZProjector(Projector):
    """z of any noise-input generator: ``restarts`` random starts per image, in one batch.

    Args:
        count: int, images projected together.
        restarts: int, default 4, random starting z per image.
        label: int or None, the class of a conditional generator's images.
        (and ``Projector``'s)
    """

    def __init__(self, generator, distance, count, steps=1000, seed=0, restarts=4,
                 label=None):
        super().__init__(generator, distance, steps, seed)
        self.restarts = restarts
        self.labels = latent.class_labels(generator, label, count * restarts)
        self.latent = tf.Variable(tf.zeros((count * restarts, generator.latent_dim)))
        self.adam = Adam(self.variables())

    def images(self, z):
        inputs = z if self.labels is None else [z, self.labels]
        return self.generator(inputs, training=False)

    def project(self, targets):
        """z [N, latent_dim]: per target, the restart with the lowest distance."""
        repeated = np.repeat(targets, self.restarts, axis=0)
        self.latent.assign(self.rng.standard_normal(self.latent.shape))
        self.optimize(repeated)
        candidates = self.latent.numpy()
        images = latent.generate(self.generator, candidates, self.labels)
        distances = self.distance.measure(images, repeated)["distance"]
        best = distances.reshape(len(targets), self.restarts).argmin(axis=1)
        return candidates.reshape(len(targets), self.restarts, -1)[np.arange(len(targets)),
                                                                   best]


def check_projectable(generator, source):
    """Refuses generators without a latent space or of non-image data."""
    latent.check_noise_generator(generator, source)
    if len(generator.data_shape) != 3:
        raise ValueError(f"{source} generates {len(generator.data_shape)}-D points, not "
                         "images: projection needs an image generator.")
    return generator


def check_options(generator, w_plus, label):
    """Refuses w+ for a generator without W, and a conditional generator without a label."""
    if w_plus and not latent.is_style_based(generator):
        raise ValueError("--w-plus needs a StyleGAN generator; this one takes z.")
    latent.class_labels(generator, label, 1)


def project(generator, targets, distance, steps=1000, seed=0, w_plus=False, restarts=4,
            label=None, progress=None):
    """Latents of ``targets`` [N, H, W, C] in [-1, 1]: w+ [N, num_ws, w_dim] for a
    StyleGAN, else z [N, latent_dim]. ``progress(i, latent)`` is called as each is done."""
    check_options(generator, w_plus, label)
    results = []
    if latent.is_style_based(generator):
        projector = StyleGANProjector(generator, distance, steps, seed, w_plus, label)
        for target in targets:
            results.append(projector.project(target))
            progress and progress(len(results) - 1, results[-1])
    else:
        for start in range(0, len(targets), Z_BATCH_IMAGES):
            chunk = targets[start:start + Z_BATCH_IMAGES]
            projector = ZProjector(generator, distance, len(chunk), steps, seed + start,
                                   restarts, label)
            for z in projector.project(chunk):
                results.append(z)
                progress and progress(len(results) - 1, z)
    return np.stack(results)


def random_baseline(generator, targets, distance, count=1000, seed=0, label=None,
                    batch_size=250):
    """The best of ``count`` random z per target (by ``distance``): (z [N, latent_dim],
    {"feature_distance", "pixel_mse", "distance"} [N] each), the bar projection must beat."""
    z = np.random.default_rng(seed).standard_normal(
        (count, generator.latent_dim)).astype(np.float32)
    samples = np.concatenate([latent.generate(generator, z[i:i + batch_size], label)
                              for i in range(0, count, batch_size)])
    samples = tf.clip_by_value(samples, -1.0, 1.0)
    sample_features = distance.features(samples)
    best = []
    for target in tf.convert_to_tensor(targets, tf.float32):
        features, pixels = distance.parts(samples, target[None],
                                          distance.features(target[None]), sample_features)
        best.append(int(tf.argmin(features + distance.pixel_weight * pixels)))
    images = latent.generate(generator, z[best], label)
    return z[best], distance.measure(images, targets)


def output_names(paths):
    """The file names without extension that name each target's outputs (must differ)."""
    names = [os.path.splitext(os.path.basename(path))[0] for path in paths]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"Several target images are named {repeated[0]}: their outputs "
                         "would overwrite each other; rename or project them separately.")
    return names


def project_files(source, paths, out_dir, extractor=None, steps=1000, seed=0, w_plus=False,
                  restarts=4, label=None, pixel_weight=perceptual.PIXEL_WEIGHT,
                  vgg_weights=None, inception_weights=None, fid_weights=None, log=print):
    """``ganzoo project``: projects image files with a run's or preset's generator.

    Writes to ``out_dir``, per image NAME: NAME_target.png (the target at the model's
    resolution), NAME_projected.png (the reconstruction), NAME.npy (the latent: w+
    [num_ws, w_dim] or z [latent_dim]); projection.png (targets over reconstructions) and
    projection.json (settings and, per image, pixel MSE, feature distance and distance).
    ``extractor`` defaults to digits for a digits model, else as ``ganzoo eval`` picks it.
    Returns the projection.json record.
    """
    from ganzoo import runs
    from ganzoo.metrics.report import default_extractor
    from ganzoo.presets import load_generator
    from ganzoo.translate import before_after

    generator = check_projectable(load_generator(source), source)
    targets = read_targets(paths, generator.data_shape)
    names = output_names(paths)
    check_options(generator, w_plus, label)
    recipe = runs.recipe_of(source)
    extractor = extractor or ("vgg16" if vgg_weights else default_extractor(
        recipe.data.name if recipe else None, fid_weights))
    if extractor == "digits" and generator.data_shape[-1] != 1:
        raise ValueError("--extractor digits reads 1-channel images; this model makes "
                         f"{generator.data_shape[-1]}: use vgg16, fid_inception, inception "
                         "or pixels.")
    distance = perceptual.build_distance(extractor, pixel_weight, vgg_weights,
                                         inception_weights, fid_weights)
    kind = ("w+" if w_plus else "w") if latent.is_style_based(generator) else "z"
    log(f"Projecting {len(paths)} image(s) into {kind} of {source} ({steps} steps, "
        f"distance: {extractor} features + {pixel_weight} x pixel MSE)")
    started = time.time()

    def progress(i, value):
        scores = distance.measure(latent.generate(generator, value[None], label),
                                  targets[i:i + 1])
        log(f"[{i + 1}/{len(paths)}] {names[i]}: pixel MSE {scores['pixel_mse'][0]:.4f}, "
            f"feature distance {scores['feature_distance'][0]:.4f} "
            f"({time.time() - started:.0f} s)")

    latents = project(generator, targets, distance, steps, seed, w_plus, restarts, label,
                      progress)
    reconstructions = np.clip(latent.generate(generator, latents, label), -1.0, 1.0)
    scores = distance.measure(reconstructions, targets)
    os.makedirs(out_dir, exist_ok=True)
    record = {"source": source, "latent": kind, "steps": steps, "seed": seed,
              "restarts": restarts if kind == "z" else None, "label": label,
              "extractor": extractor, "pixel_weight": pixel_weight, "images": {}}
    for i, name in enumerate(names):
        image_files.grid(targets[i:i + 1], pad=0).save(
            os.path.join(out_dir, f"{name}_target.png"))
        image_files.grid(reconstructions[i:i + 1], pad=0).save(
            os.path.join(out_dir, f"{name}_projected.png"))
        np.save(os.path.join(out_dir, f"{name}.npy"), latents[i])
        record["images"][name] = {"file": paths[i], "latent_file": f"{name}.npy",
                                  **{key: float(values[i]) for key, values in scores.items()}}
    grid, columns = before_after(targets, reconstructions)
    image_files.save_samples(grid, os.path.join(out_dir, "projection.png"), columns)
    with open(os.path.join(out_dir, "projection.json"), "w") as f:
        json.dump(record, f, indent=2)
    return record
