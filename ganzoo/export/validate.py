"""Parity checks run after every export; an export that fails one is not written.

The SavedModel is reloaded in a fresh process that does not import ganzoo (so it is
self-contained; see ``reload.py``): ``tf.saved_model.load`` (``serving_default`` at two
batch sizes, ``generate`` twice with one seed, which must agree exactly and draw
``stateless_normal(seed)``) and ``saved_model_cli run``.
Each TFLite file runs in ai-edge-litert's interpreter. Outputs are compared with the
Keras generator on the same noise: images in [0, 1], points scaled by max(1, max |point|).

Tolerances (max abs diff): float32 paths 1e-4, float16 TFLite 1e-2, dynamic-range TFLite
0.1: int8 weights (per-channel scale = max |w| / 127) carry up to 0.4% error per weight,
which compounds over layers; 0.1 on [0, 1] images is a visible but bounded change, and
garbage (the NaN / 1e15 outputs of a broken conversion) still fails.
"""

import os
import subprocess
import sys
import tempfile

import numpy as np
import tensorflow as tf
from ai_edge_litert.interpreter import Interpreter

from ganzoo.export import reload, signatures
from ganzoo.export.layout import ExportError

TOLERANCES = {"saved_model": 1e-4, "float32": 1e-4, "float16": 1e-2, "dynamic_range": 0.1}
GENERATE_SEED = 7

def reference_inputs(generator, rows=4, seed=0):
    """Fixed noise (and labels, truncation_psi) to compare every export on."""
    specs = signatures.input_specs(generator)
    if "images" in specs:
        return {"images": np.random.default_rng(seed).uniform(
            -1.0, 1.0, (rows, *specs["images"].shape[1:])).astype(np.float32)}
    inputs = {"noise": np.random.default_rng(seed).standard_normal(
        (rows, generator.latent_dim)).astype(np.float32)}
    if "labels" in specs:
        inputs["labels"] = (np.arange(rows) % generator.num_classes).astype(np.int32)
    if signatures.condition_names(generator):
        inputs.update(generator.example_conditions(rows))
    if "truncation_psi" in specs:
        inputs["truncation_psi"] = np.float32(0.7)
    return inputs


def keras_samples(generator, inputs):
    """What the served ``images`` (or ``points``) must be: the Keras generator's output."""
    extra = {"truncation_psi": inputs["truncation_psi"]} if "truncation_psi" in inputs else {}
    raw = generator(signatures.call_inputs(generator, inputs), training=False, **extra)
    raw = np.asarray(raw, np.float32)
    # served images are clipped to [0, 1]: generators with a linear output (ProGAN,
    # StyleGAN) can overshoot
    return np.clip((raw + 1.0) / 2.0, 0.0, 1.0) if signatures.makes_images(generator) else raw


def max_abs_diff(expected, outputs):
    """Max abs diff of the ``images``/``points`` output, points scaled to unit size."""
    actual = outputs["images"] if "images" in outputs else outputs["points"]
    scale = 1.0 if "images" in outputs else max(1.0, float(np.abs(expected).max()))
    return float(np.abs(np.asarray(actual, np.float32) - expected).max()) / scale


def check(what, diff, tolerance):
    if not diff <= tolerance:  # NaN fails too
        raise ExportError(f"{what}: max abs diff {diff:.3g} exceeds {tolerance:g}: "
                          "the export does not reproduce the Keras generator.")
    return diff


def _grouped(results, prefix):
    return {key[len(prefix) + 2:]: results[key] for key in results
            if key.startswith(prefix + "__")}


def reload_in_fresh_process(path, inputs):
    """(reloaded outputs, saved_model_cli's outputs) from ``reload.py`` run as a script."""
    with tempfile.TemporaryDirectory() as tmp:
        inputs_path, outputs_path = os.path.join(tmp, "in.npz"), os.path.join(tmp, "out.npz")
        np.savez(inputs_path, **inputs)
        script = f"import runpy; runpy.run_path({reload.__file__!r}, run_name='__main__')"
        process = subprocess.run(
            [sys.executable, "-c", script, path, inputs_path, outputs_path,
             str(GENERATE_SEED), os.path.join(tmp, "cli")],
            capture_output=True, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
        if process.returncode:
            lines = process.stderr.strip().splitlines() or ["no message"]
            raise ExportError(f"Reloading the SavedModel in a fresh process failed: {lines[-1]}")
        cli = {os.path.splitext(f)[0]: np.load(os.path.join(tmp, "cli", f))
               for f in os.listdir(os.path.join(tmp, "cli"))}
        return dict(np.load(outputs_path)), cli


def check_saved_model(path, generator, fresh_process=True):
    """Reloads the SavedModel (in a fresh process unless told not to: then in this one,
    without saved_model_cli); returns {check: max abs diff}."""
    inputs = reference_inputs(generator)
    expected = keras_samples(generator, inputs)
    if fresh_process:
        reloaded, cli = reload_in_fresh_process(path, inputs)
    else:
        reloaded, cli = reload.reload_outputs(path, inputs, GENERATE_SEED), None
    rows = len(next(iter(inputs.values())))  # noise, or images for image-to-image
    first, second = _grouped(reloaded, "generate_first"), _grouped(reloaded, "generate_second")
    drawn = {k: first[k] for k in ("noise", "labels") if k in first}
    diffs = {
        "tf.saved_model.load": max_abs_diff(
            expected, _grouped(reloaded, f"serving_default_{rows}")),
        "tf.saved_model.load (batch 1)": max_abs_diff(
            expected[:1], _grouped(reloaded, "serving_default_1")),
    }
    if first:  # image-to-image generators serve no ``generate``
        diffs["generate vs Keras"] = max_abs_diff(
            keras_samples(generator, {**inputs, **drawn}), first)
    if cli is not None:
        diffs["saved_model_cli run"] = max_abs_diff(expected, cli)
    for what, diff in diffs.items():
        check(f"SavedModel, {what}", diff, TOLERANCES["saved_model"])
    if not first:
        return diffs
    if any(not np.array_equal(first[name], second[name]) for name in first):
        raise ExportError("SavedModel 'generate' gave different samples for the same seed.")
    expected_noise = tf.random.stateless_normal(
        [rows, generator.latent_dim], seed=[GENERATE_SEED, 0]).numpy()
    if not np.array_equal(first["noise"], expected_noise):
        raise ExportError("SavedModel 'generate' noise differs from stateless_normal(seed).")
    return diffs


def check_tflite(path, variant, generator, batch_size):
    """Runs the TFLite file in ai-edge-litert; returns the max abs diff to Keras."""
    inputs = reference_inputs(generator, rows=batch_size)
    runner = Interpreter(model_path=path).get_signature_runner("serving_default")
    outputs = runner(**inputs)
    diff = max_abs_diff(keras_samples(generator, inputs), outputs)
    return check(f"TFLite {variant} ({os.path.basename(path)})", diff, TOLERANCES[variant])
