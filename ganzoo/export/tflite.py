"""TFLite generators: float32, float16 and dynamic-range quantized, builtin ops only.

Converted with ``TFLiteConverter.from_saved_model`` from a static-batch SavedModel
(``saved_model.write_static``); the model takes noise (and labels) as inputs and has no
random ops, so a phone app draws the noise itself.
"""

import os

import tensorflow as tf

VARIANTS = ("float32", "float16", "dynamic_range")


def converter_for(saved_model_dir, variant):
    converter = tf.lite.TFLiteConverter.from_saved_model(
        saved_model_dir, signature_keys=["serving_default"])
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    if variant != "float32":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if variant == "float16":
        converter.target_spec.supported_types = [tf.float16]
    return converter


def convert(saved_model_dir, folder, model_name, variants=VARIANTS):
    """Writes ``<folder>/<model_name>_<variant>.tflite`` for each variant: {variant: path}."""
    os.makedirs(folder, exist_ok=True)
    paths = {}
    for variant in variants:
        path = os.path.join(folder, f"{model_name}_{variant}.tflite")
        with open(path, "wb") as f:
            f.write(converter_for(saved_model_dir, variant).convert())
        paths[variant] = path
    return paths
