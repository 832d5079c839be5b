"""Serving speed of an exported dcgan generator: Keras call, SavedModel, TFLite.

The generator is ganzoo's dcgan at the digits recipe's size (random weights: speed does
not depend on them). It is exported with ``ganzoo.export``'s own writers (the served
SavedModel, and per batch size a static-batch SavedModel converted to TFLite float32,
float16 and dynamic_range = int8 weights, float activations), plus full_int8 here
(int8 weights and activations, calibrated on noise; float input and output). Every
variant runs at batch 1 and 16 on the same noise; calls are timed round-robin across
variants and the median per call is reported, with file size and the max abs difference
to the Keras call (images in [0, 1]).

    python tools/bench_export.py
    python tools/bench_export.py --batch-sizes 1 --calls 20 --json /tmp/export.json
"""

import argparse
import os
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import _bench  # noqa: E402  (tools/ is on sys.path when a tool runs as a script)
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from ai_edge_litert.interpreter import Interpreter  # noqa: E402

from ganzoo.factory import build_networks  # noqa: E402
from ganzoo.data import DatasetInfo  # noqa: E402
from ganzoo.export import saved_model, tflite  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--batch-sizes", default="1,16", help="comma-separated")
    p.add_argument("--resolution", type=int, default=32)
    p.add_argument("--width", type=int, default=32, help="dcgan width (channels at full res)")
    p.add_argument("--latent-dim", type=int, default=64)
    p.add_argument("--calls", type=int, default=50, help="timed calls per repeat")
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--threads", type=int, default=os.cpu_count(), help="TFLite threads")
    p.add_argument("--json", default="runs/bench_export.json", help="where to write the results")
    return p.parse_args(argv)


def folder_bytes(path):
    return sum(os.path.getsize(os.path.join(root, name))
               for root, _, names in os.walk(path) for name in names)


def full_int8(static_dir, noise_shape, path):
    """Full-integer quantization (float input and output), calibrated on noise."""
    converter = tflite.converter_for(static_dir, "dynamic_range")
    rng = np.random.default_rng(1)
    converter.representative_dataset = lambda: (
        [rng.standard_normal(noise_shape, np.float32)] for _ in range(20))
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    with open(path, "wb") as f:
        f.write(converter.convert())
    return path


def tflite_runner(path, batch, threads):
    """fn(noise) -> images of a TFLite file, through the LiteRT interpreter."""
    interpreter = Interpreter(model_path=path, num_threads=threads)
    runner = interpreter.get_signature_runner("serving_default")
    if runner.get_input_details()["noise"]["shape"][0] != batch:
        raise ValueError(f"{path} is not a batch-{batch} model.")
    return lambda noise: runner(noise=noise)["images"]


def variants(generator, batch_sizes, folder, threads):
    """{(variant, batch): (fn(noise) -> images in [0, 1], bytes on disk)}."""
    weights = os.path.join(folder, "generator.weights.h5")
    generator.save_weights(weights)
    served = saved_model.write_served(generator, os.path.join(folder, "served"), "bench")
    signature = tf.saved_model.load(served).signatures["serving_default"]
    found = {}
    for batch in batch_sizes:
        found["Keras call", batch] = (
            lambda z: (generator(z, training=False).numpy() + 1.0) / 2.0, os.path.getsize(weights))
        found["SavedModel signature", batch] = (
            lambda z: signature(noise=tf.constant(z))["images"].numpy(), folder_bytes(served))
        static = saved_model.write_static(generator, os.path.join(folder, f"static{batch}"), batch)
        files = tflite.convert(static, os.path.join(folder, "tflite"), f"batch{batch}")
        files["full_int8"] = full_int8(static, (batch, generator.latent_dim),
                                  os.path.join(folder, "tflite", f"batch{batch}_full_int8.tflite"))
        for kind, path in files.items():
            found[f"TFLite {kind}", batch] = (tflite_runner(path, batch, threads),
                                              os.path.getsize(path))
    return found


def per_call(fn, noise, calls):
    """(wall, CPU) seconds per call of ``fn(noise)``, averaged over ``calls`` calls."""
    start = _bench.clock()
    for _ in range(calls):
        fn(noise)
    end = _bench.clock()
    return tuple((b - a) / calls for a, b in zip(start, end))


def main(argv=None):
    args = parse_args(argv)
    started = _bench.machine()
    batch_sizes = [int(b) for b in args.batch_sizes.split(",")]
    config = _bench.bench_config("dcgan", args.latent_dim, args.resolution, args.width)
    info = DatasetInfo("digits", (args.resolution, args.resolution, 1), 10, None)
    generator, _ = build_networks(config, info)
    rng = np.random.default_rng(0)
    noise = {b: rng.standard_normal((b, args.latent_dim)).astype(np.float32) for b in batch_sizes}
    with tempfile.TemporaryDirectory() as folder:
        found = variants(generator, batch_sizes, folder, args.threads)
        rows = {}
        for (name, batch), (fn, size) in found.items():  # also the warm-up call
            expected = found["Keras call", batch][0](noise[batch])
            rows[name, batch] = {"variant": name, "batch": batch, "size_kb": size / 1024,
                                 "max_abs_diff": float(np.max(np.abs(fn(noise[batch]) - expected)))}
        times = _bench.interleaved(
            {key: (lambda k=key: per_call(found[k][0], noise[k[1]], args.calls)) for key in found},
            args.repeats)
    for key, row in rows.items():
        wall, cpu = zip(*times[key])
        ms = 1000 * _bench.median(wall)
        row.update(ms_per_call=ms, ms_per_image=ms / row["batch"],
                   images_per_s=1000 * row["batch"] / ms,
                   best_ms_per_call=1000 * min(wall), cpu_ms_per_call=1000 * _bench.median(cpu),
                   wall_s=[round(t, 6) for t in wall], cpu_s=[round(t, 6) for t in cpu])
    columns = ["variant", "batch", "ms_per_call", "ms_per_image", "images_per_s",
               "best_ms_per_call", "cpu_ms_per_call", "size_kb", "max_abs_diff"]
    _bench.print_table(list(rows.values()), columns)
    summary = {}
    if 1 in batch_sizes:  # the criterion, paired per repeat like bench_train
        summary["tflite_float32_vs_keras_batch1"] = _bench.median(
            [k[0] / t[0] for k, t in zip(times["Keras call", 1], times["TFLite float32", 1])])
        print(f"TFLite float32 / Keras call speed at batch 1: "
              f"{summary['tflite_float32_vs_keras_batch1']:.2f}x")
    _bench.write_json(args.json, {
        "benchmark": "export",
        "settings": {k: v for k, v in vars(args).items() if k != "json"},
        "summary": summary,
        "results": list(rows.values()),
    }, started)


if __name__ == "__main__":
    main()
