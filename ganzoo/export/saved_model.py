"""SavedModels of a generator: the served one (``serving_default`` + ``generate``, and
``generate_text`` for text-conditioned generators; batch polymorphic, with TF Serving
warmup requests) and a static-batch one to convert to TFLite."""

import os

import numpy as np
import tensorflow as tf
from tensorflow_serving.apis import prediction_log_pb2

from ganzoo import text
from ganzoo.export import signatures
from ganzoo.export.client import generate_inputs, predict_request, text_inputs

WARMUP_FILE = os.path.join("assets.extra", "tf_serving_warmup_requests")


def warmup_inputs(generator):
    """One small request per signature: {signature name: {input name: array}}."""
    specs = signatures.input_specs(generator, batch_size=1)
    serving = {name: np.zeros([1 if dim is None else dim for dim in spec.shape],
                              spec.dtype.as_numpy_dtype) for name, spec in specs.items()}
    psi = 1.0 if "truncation_psi" in specs else None
    if psi is not None:
        serving["truncation_psi"] = np.float32(psi)
    if signatures.takes_images(generator):
        return {"serving_default": serving}
    conditions = {name: serving[name] for name in signatures.condition_names(generator)}
    warmup = {"serving_default": serving,
              "generate": {**generate_inputs(1, 0, psi), **conditions}}
    if signatures.takes_text(generator):
        warmup["generate_text"] = text_inputs("", 1, 0)
    return warmup


def write_warmup_requests(path, model_name, generator):
    """TF Serving replays these PredictionLogs at load time, before taking traffic."""
    warmup = os.path.join(path, WARMUP_FILE)
    os.makedirs(os.path.dirname(warmup), exist_ok=True)
    with tf.io.TFRecordWriter(warmup) as writer:
        for signature, inputs in warmup_inputs(generator).items():
            log = prediction_log_pb2.PredictionLog(predict_log=prediction_log_pb2.PredictLog(
                request=predict_request(model_name, inputs, signature)))
            writer.write(log.SerializeToString())


def write_served(generator, path, model_name):
    """The SavedModel TF Serving loads: ``serving_default`` and ``generate``, any batch."""
    module = signatures.module_for(generator)
    served = {"serving_default": signatures.serving_function(generator)}
    if not signatures.takes_images(generator):
        served["generate"] = signatures.generate_function(generator)
    if signatures.takes_text(generator):
        module.tokenizer = text.GraphTokenizer(generator.vocabulary, generator.max_tokens)
        served["generate_text"] = signatures.generate_text_function(generator, module.tokenizer)
    tf.saved_model.save(module, path, signatures=served)
    write_warmup_requests(path, model_name, generator)
    return path


def write_static(generator, path, batch_size):
    """``serving_default`` only, with a static batch: the TFLite converter's input."""
    module = signatures.module_for(generator)
    tf.saved_model.save(module, path, signatures={
        "serving_default": signatures.serving_function(generator, batch_size)})
    return path
