"""The shared family test harness: one call runs a family, on a tiny config, through
every check a family must pass (in the spirit of keras-hub's ``TestCase.run_*_test``):

- ``run_step_test``: one real ``fit`` step on 1 device and on 2 mirrored replicas: finite
  logs, the generator moved, both optimizers stepped as the family's ``d_steps`` says;
- ``run_precision_test``: one step under ``mixed_float16`` stays finite, samples float32;
- ``run_checkpoint_test``: a checkpoint restores every variable (optimizers, EMA, seed
  generators) into a fresh build, which then samples the same;
- ``run_preset_test``: ``save_preset`` + ``load_preset`` / ``load_generator`` give the same
  generator outputs;
- ``run_export_test``: the sampling generator exports to SavedModel (and TFLite, in the
  slow suite) with the export's parity check passing and the signature it declares.

A new family adds a recipe (and, if it needs its own networks, a ``TINY_NET`` entry in
``conftest.py``); ``test_family_harness.py`` runs every registered family through this,
one family at a time, sharing one trained model (``trained``) between the checks.
"""

import os

import keras
import numpy as np
import tensorflow as tf

from conftest import tiny_config
from ganzoo import checkpointing, presets, runtime
from ganzoo.factory import build_family
from ganzoo.data import load_dataset
from ganzoo.export import export
from ganzoo.export.saved_model import WARMUP_FILE
from ganzoo.export.validate import TOLERANCES
from tensorflow_serving.apis.prediction_log_pb2 import PredictionLog


def fit_one_step(config, strategy_name="default"):
    """(model, generator weights before, logs) after one ``fit`` step of ``config``."""
    strategy = runtime.make_strategy(strategy_name)
    dataset, info = load_dataset(config.data, 4 * config.family_args["d_steps"])
    with strategy.scope():
        model = build_family(config, info)
    before = [w.numpy().copy() for w in model.generator.trainable_weights]
    history = model.fit(dataset, steps_per_epoch=1, epochs=1, verbose=0).history
    return model, before, {name: values[-1] for name, values in history.items()}


def trained(family):
    """(config, model, generator weights before, logs) of one step on one device."""
    config = tiny_config(family)
    return (config, *fit_one_step(config))


def run_step_test(family, trained_one=None, strategies=(("default", 1), ("mirrored", 2))):
    """``trained_one``: ``trained(family)``, the one-device step (needed when
    ``strategies`` holds "default")."""
    config = tiny_config(family)
    for strategy, replicas in strategies:
        _, model, before, logs = (trained_one if strategy == "default"
                                  else (config, *fit_one_step(config, strategy)))
        assert model.distribute_strategy.num_replicas_in_sync == replicas
        assert logs and all(np.isfinite(value) for value in logs.values()), logs
        after = [w.numpy() for w in model.generator.trainable_weights]
        assert any(not np.allclose(a, b) for a, b in zip(before, after)), "G did not move"
        assert int(model.g_optimizer.iterations.numpy()) == 1
        assert int(model.d_optimizer.iterations.numpy()) == config.family_args["d_steps"]


def run_precision_test(family, precision="mixed_float16"):
    config = tiny_config(family, **{"train.precision": precision})
    runtime.set_precision(precision)
    model, _, logs = fit_one_step(config)
    assert all(np.isfinite(value) for value in logs.values()), logs
    for weight in model.generator.weights + model.discriminator.weights:
        assert np.all(np.isfinite(keras.ops.convert_to_numpy(weight.value))), weight.path
    if precision == "mixed_float16":
        assert isinstance(model.g_optimizer, keras.optimizers.LossScaleOptimizer)
        assert isinstance(model.d_optimizer, keras.optimizers.LossScaleOptimizer)
    assert preview_outputs(model).dtype == np.float32
    return model


def preview_outputs(model):
    """What the family's preview feeds the sampling generator, and its outputs."""
    if model.input_kind == "noise":
        return keras.ops.convert_to_numpy(model.sample(3, seed=5))
    translators = model.translators()
    return np.concatenate([keras.ops.convert_to_numpy(g(np.random.default_rng(5).uniform(
        -1, 1, (3, *g.input_shape_of_data())).astype("float32"))) for g in translators.values()])


def run_checkpoint_test(trained_one, tmp_path):
    config, model, _, _ = trained_one
    run_dir = str(tmp_path / "run")
    checkpointing.save(model, f"{run_dir}/checkpoints", 1, config.to_yaml())
    _, info = load_dataset(config.data, 4)
    fresh = build_family(config, info)
    assert checkpointing.restore_latest(fresh, run_dir) == 1
    for saved, restored in zip(model.variables, fresh.variables):
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(saved.value),
                                      keras.ops.convert_to_numpy(restored.value), saved.path)
    np.testing.assert_allclose(preview_outputs(fresh), preview_outputs(model), atol=1e-6)


def run_preset_test(trained_one, tmp_path):
    config, model, _, _ = trained_one
    _, info = load_dataset(config.data, 4)
    folder = presets.save_preset(model, str(tmp_path / "preset"), config, info)
    loaded = presets.load_preset(folder)
    assert type(loaded) is type(model)
    np.testing.assert_allclose(preview_outputs(loaded), preview_outputs(model), atol=1e-6)
    generator = presets.load_generator(folder)
    reference = model.sampling_generator()
    if model.input_kind == "noise":
        inputs = reference.sample_inputs(2, seed=3)
        np.testing.assert_allclose(keras.ops.convert_to_numpy(generator(inputs)),
                                   keras.ops.convert_to_numpy(reference(inputs)), atol=1e-6)


def run_export_test(trained_one, tmp_path, formats="saved_model"):
    generator = trained_one[1].sampling_generator()
    record = export(generator, formats, str(tmp_path), "harness", fresh_process=False)
    assert max(record["saved_model"]["max_abs_diff"].values()) <= TOLERANCES["saved_model"]
    loaded = tf.saved_model.load(record["saved_model"]["path"])
    served = loaded.signatures["serving_default"]
    assert set(served.structured_input_signature[1]) == set(generator.serving_inputs())
    for log in tf.data.TFRecordDataset(os.path.join(record["saved_model"]["path"], WARMUP_FILE)):
        request = PredictionLog.FromString(log.numpy()).predict_log.request  # TF Serving
        outputs = loaded.signatures[request.model_spec.signature_name](  # replays these
            **{name: tf.make_ndarray(tensor) for name, tensor in request.inputs.items()})
        assert all(np.all(np.isfinite(value)) for value in outputs.values()
                   if value.dtype.is_floating)
    for variant, file in record.get("tflite", {}).get("files", {}).items():
        assert file["max_abs_diff"] <= TOLERANCES[variant], (variant, file["max_abs_diff"])
