"""Training speed of every family, side by side with a plain Keras 3 DCGAN.

The reference is what a user would write without ganzoo: keras.io's DCGAN
``train_step`` (two tapes, BCE on logits, one Sequential G and D) on the very same
architecture as ganzoo's ``dcgan`` networks (checked: equal parameter counts), the same
data (digits), batch, optimizers, precision, strategy and jit setting. Every variant is
timed by the same harness, ``model.fit(dataset, steps_per_epoch=...)``: warm-up fits
first, then round-robin repeats (reference, dcgan, gan, ... reference, dcgan, ...), each
timed from the end of its first step to the end of its last. Medians are reported.

    python tools/bench_train.py                      # all families*, float32, 1 replica
    python tools/bench_train.py --families dcgan --replicas 2 --jit-compile on

*every family that trains ganzoo's dcgan networks on digits, plus ``stylegan`` and
``progan`` on their own networks at their digits recipes' size (latent 64, widths 16..64,
32x32x1, batch 32; StyleGAN2 with 2 mapping layers, R1 every 16 D steps, no path length),
each beside a plain-Keras step of the same networks (``_bench_refs.py``); the others
(image-to-image) are listed as skipped.
"""

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import _bench  # noqa: E402  (tools/ is on sys.path when a tool runs as a script)
import _bench_refs  # noqa: E402
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402
from keras import layers, ops  # noqa: E402

from ganzoo import config as config_lib  # noqa: E402
from ganzoo import runtime  # noqa: E402
from ganzoo.factory import build_family, build_networks  # noqa: E402
from ganzoo.data import digits, load_dataset  # noqa: E402
from ganzoo.registry import FAMILIES, zoo_config_path  # noqa: E402

# families timed on their own networks, at their digits recipe: (recipe, overrides)
OWN_NETWORKS = {"stylegan": ("stylegan_digits_32", {"family_args.pl_weight": 0.0}),
                "progan": ("progan_digits_32",  # at full size (32x32) after 3 warm-up steps
                           {"family_args.phase_steps": 1, "family_args.fade_steps": 1})}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--families", default="all", help="comma-separated family names, or all")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--resolution", type=int, default=32)
    p.add_argument("--width", type=int, default=32, help="dcgan width (channels at full res)")
    p.add_argument("--latent-dim", type=int, default=64)
    p.add_argument("--steps", type=int, default=20, help="timed steps per repeat")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--warmup-steps", type=int, default=5)
    p.add_argument("--precision", default="float32",
                   choices=["float32", "mixed_float16", "mixed_bfloat16"])
    p.add_argument("--replicas", type=int, default=1, choices=[1, 2],
                   help="2 = MirroredStrategy on 2 GPUs, or on 2 logical CPUs without GPUs")
    p.add_argument("--jit-compile", default="auto", choices=["auto", "on", "off"],
                   help="auto = Keras' default (off on CPU and under tf.distribute)")
    p.add_argument("--json", default="runs/bench_train.json", help="where to write the results")
    return p.parse_args(argv)


def reference_networks(config, info):
    """keras.Sequential G and D, layer for layer ganzoo's dcgan networks (unconditional)."""
    g_args, d_args = config.generator.args, config.discriminator.args
    resolution, _, channels = info.shape
    blocks = resolution.bit_length() - 3  # 4x4 -> resolution in stride-2 steps

    def widths(args):  # channels per block from low to high resolution
        return [min(args["width"] * 2 ** i, args["max_width"]) for i in range(blocks)][::-1]

    g_widths = widths(g_args)
    g = [keras.Input((config.latent_dim,)),
         layers.Dense(4 * 4 * g_widths[0], use_bias=False), layers.Reshape((4, 4, g_widths[0])),
         layers.BatchNormalization(momentum=0.9), layers.ReLU()]
    for w in g_widths[1:]:
        g += [layers.Conv2DTranspose(w, 4, 2, "same", use_bias=False),
              layers.BatchNormalization(momentum=0.9), layers.ReLU()]
    g += [layers.Conv2DTranspose(channels, 4, 2, "same"),
          layers.Activation("tanh", dtype="float32")]
    d = [keras.Input(info.shape)]
    for i, w in enumerate(widths(d_args)[::-1]):
        d += [layers.Conv2D(w, 4, 2, "same")]
        d += [layers.BatchNormalization(momentum=0.9)] if i > 0 else []
        d += [layers.LeakyReLU(0.2)]
    d += [layers.Flatten(), layers.Dense(1, dtype="float32")]
    return keras.Sequential(g, name="generator"), keras.Sequential(d, name="discriminator")


class ReferenceDCGAN(keras.Model):
    """keras.io's DCGAN example ("DCGAN to generate face images"), as a user writes it.

    Kept from the example: D trained on one concatenated [fake, real] batch with noisy
    labels, BCE on logits, G trained through D with "real" labels. Added for a
    BatchNorm architecture and a fair comparison: ``training=True``, optimizers built
    in the strategy scope, ``built = True``, and ``scale_loss`` (a no-op unless
    mixed_float16).
    """

    def __init__(self, generator, discriminator, latent_dim):
        super().__init__()
        self.generator, self.discriminator = generator, discriminator
        self.latent_dim = latent_dim
        self.seed_generator = keras.random.SeedGenerator(1337)
        self.loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)
        self.d_loss_metric = keras.metrics.Mean(name="d_loss")
        self.g_loss_metric = keras.metrics.Mean(name="g_loss")
        self.built = True  # else fit under tf.distribute calls the model on the data

    def compile(self, d_optimizer, g_optimizer):
        super().compile()
        self.d_optimizer, self.g_optimizer = d_optimizer, g_optimizer
        d_optimizer.build(self.discriminator.trainable_variables)
        g_optimizer.build(self.generator.trainable_variables)

    @property
    def metrics(self):
        return [self.d_loss_metric, self.g_loss_metric]

    def train_step(self, data):
        real_images = data[0] if isinstance(data, tuple) else data
        batch_size = ops.shape(real_images)[0]
        z = keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)
        generated = self.generator(z, training=True)
        combined = ops.concatenate([generated, real_images], axis=0)
        labels = ops.concatenate([ops.ones((batch_size, 1)), ops.zeros((batch_size, 1))], 0)
        labels += 0.05 * keras.random.uniform(ops.shape(labels), seed=self.seed_generator)
        with tf.GradientTape() as tape:
            d_loss = self.loss_fn(labels, self.discriminator(combined, training=True))
            scaled = self.d_optimizer.scale_loss(d_loss)
        grads = tape.gradient(scaled, self.discriminator.trainable_weights)
        self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_weights))

        z = keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)
        misleading_labels = ops.zeros((batch_size, 1))
        with tf.GradientTape() as tape:
            fake = self.discriminator(self.generator(z, training=True), training=True)
            g_loss = self.loss_fn(misleading_labels, fake)
            scaled = self.g_optimizer.scale_loss(g_loss)
        grads = tape.gradient(scaled, self.generator.trainable_weights)
        self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_weights))
        self.d_loss_metric.update_state(d_loss)
        self.g_loss_metric.update_state(g_loss)
        return {"d_loss": self.d_loss_metric.result(), "g_loss": self.g_loss_metric.result()}


def build_reference(config, info):
    """The plain model, compiled with the same optimizers ganzoo's recipe uses."""
    generator, discriminator = reference_networks(config, info)
    model = ReferenceDCGAN(generator, discriminator, config.latent_dim)
    t = config.train

    def adam(lr):
        opt = keras.optimizers.Adam(lr, beta_1=t.beta_1, beta_2=t.beta_2)
        mixed16 = keras.mixed_precision.global_policy().name == "mixed_float16"
        return keras.optimizers.LossScaleOptimizer(opt) if mixed16 else opt

    model.compile(d_optimizer=adam(t.d_lr), g_optimizer=adam(t.g_lr))
    return model


def reference_dataset(config, batch_size):
    """(dataset, DatasetInfo): the textbook input pipeline over the same digits images,
    in memory, shuffled, batched, prefetched."""
    examples, info = digits.build(config.data)
    images = next(iter(examples.batch(1 << 20)))[0]
    dataset = (tf.data.Dataset.from_tensor_slices(images).shuffle(config.data.shuffle_buffer)
               .repeat().batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE))
    return dataset, info


def count_params(*networks):
    return sum(int(sum(v.numpy().size for v in n.trainable_variables)) for n in networks)


def count_traces(model):
    """Wraps ``model.train_step``; the returned list's length is how often its Python ran,
    i.e. how often the step was traced (once per replica per trace)."""
    step, traces = model.train_step, []

    def train_step(data):
        traces.append(1)
        return step(data)

    model.train_step = train_step
    return traces


class StepTimer(keras.callbacks.Callback):
    """``seconds`` (wall, CPU of this process) span the end of step 1 to the end of step
    ``steps``."""

    def __init__(self, steps):
        super().__init__()
        self.steps = steps

    def on_train_begin(self, logs=None):
        self.marks = []

    def on_train_batch_end(self, batch, logs=None):
        if batch in (0, self.steps - 1):
            ops.convert_to_numpy(next(iter(logs.values())))  # wait for the device
            self.marks.append(_bench.clock())

    @property
    def seconds(self):
        (wall0, cpu0), (wall1, cpu1) = self.marks
        return wall1 - wall0, cpu1 - cpu0


def fit_seconds(model, dataset, steps):
    """(wall, CPU) seconds ``fit`` takes for ``steps`` steps, set-up and step 1 excluded."""
    timer = StepTimer(steps + 1)
    model.fit(dataset, epochs=1, steps_per_epoch=steps + 1, verbose=0, callbacks=[timer],
              shuffle=False)
    return timer.seconds


def main(argv=None):
    args = parse_args(argv)
    if args.replicas == 2:
        _bench.use_logical_cpus(2)
    started = _bench.machine()
    runtime.set_precision(args.precision)
    strategy = runtime.make_strategy("mirrored" if args.replicas == 2 else "default")
    if strategy.num_replicas_in_sync != args.replicas:
        raise SystemExit(
            f"Asked for {args.replicas} replicas, got {strategy.num_replicas_in_sync}.")
    families = FAMILIES.names() if args.families == "all" else args.families.split(",")

    def bench_config(family):
        if family in OWN_NETWORKS:
            recipe, overrides = OWN_NETWORKS[family]
            return config_lib.override(config_lib.load_yaml(zoo_config_path(recipe)),
                                       {**overrides, "train.precision": args.precision})
        return _bench.bench_config(family, args.latent_dim, args.resolution, args.width,
                                   args.batch_size, args.precision)

    models, datasets, rows, skipped, pairs = {}, {}, {}, {}, {"dcgan": "reference"}
    ref_config = bench_config("dcgan")
    datasets["reference"], ref_info = reference_dataset(ref_config, args.batch_size)
    with strategy.scope():
        for family in list(families):
            try:
                config = bench_config(family)
                batch = config.data.batch_size * config.family_args["d_steps"]
                datasets[family], info = load_dataset(config.data, batch)
                models[family] = build_family(config, info)
            except ValueError as e:  # image-to-image families, or ones with their own networks
                if args.families != "all":
                    raise
                skipped[family] = str(e).splitlines()[0]
                families.remove(family)
                continue
            rows[family] = {"variant": f"ganzoo {family}", "d_steps": config.family_args["d_steps"],
                            "images_per_step": batch,
                            "params": count_params(models[family].generator,
                                                   models[family].discriminator)}
            if family in OWN_NETWORKS:
                plain = f"plain {family}"
                models[plain] = _bench_refs.build_plain(family, config, build_networks, info)
                datasets[plain] = datasets[family]
                rows[plain] = {**rows[family], "variant": f"plain Keras {family}"}
                pairs[family] = plain
        models["reference"] = build_reference(ref_config, ref_info)
    ref_params = count_params(models["reference"].generator, models["reference"].discriminator)
    rows["reference"] = {"variant": "plain Keras DCGAN", "d_steps": 1,
                         "images_per_step": args.batch_size, "params": ref_params}
    if "dcgan" in models and rows["dcgan"]["params"] != ref_params:
        raise SystemExit(f"Reference has {ref_params} parameters, ganzoo dcgan "
                         f"{rows['dcgan']['params']}: not the same architecture.")
    jit = {"auto": None, "on": True, "off": False}[args.jit_compile]
    for model in models.values():
        if jit is not None:
            model.jit_compile = jit

    order = ["reference", *[name for family in families
                            for name in ([pairs[family]] if family in OWN_NETWORKS else [])
                            + [family]]]
    traces = {name: count_traces(models[name]) for name in order}
    for name in order:  # warm-up: traces the step and fills the pipelines
        print(f"warm-up {name}", flush=True)
        models[name].fit(datasets[name], epochs=1, steps_per_epoch=args.warmup_steps, verbose=0,
                         shuffle=False)
    times = _bench.interleaved(
        {name: (lambda n=name: fit_seconds(models[n], datasets[n], args.steps)) for name in order},
        args.repeats)

    for name in order:
        wall, cpu = zip(*times[name])
        ms = 1000 * _bench.median(wall) / args.steps
        rows[name].update(ms_per_step=ms, images_per_s=rows[name]["images_per_step"] * 1000 / ms,
                          best_ms_per_step=1000 * min(wall) / args.steps,
                          cpu_ms_per_step=1000 * _bench.median(cpu) / args.steps,
                          jit_compile=bool(models[name].jit_compile), traces=len(traces[name]),
                          wall_s=[round(t, 4) for t in wall], cpu_s=[round(t, 4) for t in cpu])
    for family, reference in pairs.items():  # paired: each repeat's two runs saw the same load
        if family not in families:
            continue
        for key, i in (("vs_reference", 0), ("cpu_vs_reference", 1)):
            rows[family][key] = _bench.median(
                [r[i] / d[i] for r, d in zip(times[reference], times[family])])
    columns = ["variant", "d_steps", "ms_per_step", "images_per_s", "best_ms_per_step",
               "cpu_ms_per_step", "vs_reference", "cpu_vs_reference", "traces"]
    _bench.print_table([rows[n] for n in order], columns)
    for family, reason in skipped.items():
        print(f"skipped {family}: {reason}")
    _bench.write_json(args.json, {
        "benchmark": "train_step",
        "settings": {k: v for k, v in vars(args).items() if k != "json"},
        "replicas": strategy.num_replicas_in_sync,
        "results": [rows[n] for n in order],
        "skipped": skipped,
    }, started)


if __name__ == "__main__":
    main()
