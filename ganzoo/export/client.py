"""A TF Serving client for exported ganzoo generators.

    ganzoo query --rest http://localhost:8501/v1/models/dcgan_digits --out grid.png
    ganzoo query --grpc localhost:8500 --model dcgan_digits --out grid.png

Both ask the ``generate`` signature for ``--n`` samples of ``--seed`` (so the client needs
to know neither the latent size nor the classes) and save a grid (a scatter for points);
with ``--text CAPTION``, a text-to-image model's ``generate_text`` signature, which
tokenizes the caption in the served graph.
REST sends TF Serving's columnar ``{"signature_name": ..., "inputs": {name: value}}``
JSON to ``<url>:predict``; gRPC sends a ``PredictRequest`` to ``PredictionService``.
"""

import json
import urllib.error
import urllib.request

import numpy as np
import tensorflow as tf
from tensorflow_serving.apis import predict_pb2

from ganzoo import images


def generate_inputs(n, seed, truncation_psi=None):
    """Inputs of the ``generate`` signature; ``truncation_psi`` only for models with one."""
    inputs = {"seed": np.int64(seed), "batch_size": np.int32(n)}
    if truncation_psi is not None:
        inputs["truncation_psi"] = np.float32(truncation_psi)
    return inputs


def text_inputs(text, n, seed):
    """Inputs of the ``generate_text`` signature (text-to-image models): ``n`` samples of
    one caption."""
    return {"text": np.array([text] * n, object), "seed": np.int64(seed)}


def predict_request(model_name, inputs, signature_name="serving_default", version=None):
    """A gRPC ``PredictRequest`` carrying ``inputs`` ({name: numpy value}) as TensorProtos."""
    request = predict_pb2.PredictRequest()
    request.model_spec.name = model_name
    request.model_spec.signature_name = signature_name
    if version is not None:
        request.model_spec.version.value = version
    for name, value in inputs.items():
        request.inputs[name].CopyFrom(tf.make_tensor_proto(value))
    return request


def rest_body(inputs, signature_name="serving_default"):
    """The REST predict body in TF Serving's columnar ``inputs`` format."""
    return {"signature_name": signature_name,
            "inputs": {name: np.asarray(value).tolist() for name, value in inputs.items()}}


def predict_url(url):
    """``http://host:8501/v1/models/NAME[/versions/N]`` -> the same URL + ``:predict``."""
    url = url.rstrip("/")
    return url if url.endswith(":predict") else f"{url}:predict"


def query_rest(url, inputs, signature_name="generate", timeout=30):
    """POSTs a predict request; returns {output name: numpy array}."""
    request = urllib.request.Request(
        predict_url(url), data=json.dumps(rest_body(inputs, signature_name)).encode(),
        headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            outputs = json.load(response)["outputs"]
    except urllib.error.HTTPError as error:
        raise ValueError(f"{predict_url(url)}: HTTP {error.code}: {error.read().decode()}")
    except urllib.error.URLError as error:
        raise ValueError(f"{predict_url(url)}: cannot reach the server ({error.reason}).")
    if not isinstance(outputs, dict):
        raise ValueError(f"{predict_url(url)}: expected named outputs, got a bare tensor.")
    return {name: np.asarray(value) for name, value in outputs.items()}


def query_grpc(target, model_name, inputs, signature_name="generate", timeout=30):
    """Calls ``PredictionService/Predict`` at ``host:port``; returns {output: numpy array}."""
    import grpc
    from tensorflow_serving.apis import prediction_service_pb2_grpc

    with grpc.insecure_channel(target) as channel:
        stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
        try:
            response = stub.Predict(predict_request(model_name, inputs, signature_name),
                                    timeout=timeout)
        except grpc.RpcError as error:
            raise ValueError(f"{target}: {error.code().name}: {error.details()}")
    return {name: tf.make_ndarray(tensor) for name, tensor in response.outputs.items()}


def save_grid(outputs, path):
    """Writes served ``images`` ([0, 1]) as a grid, or ``points`` as a scatter plot."""
    if "images" in outputs:
        return images.save_samples(np.asarray(outputs["images"], np.float32) * 2.0 - 1.0, path)
    return images.save_samples(outputs["points"], path)


def query(out, rest=None, grpc_target=None, model_name=None, n=16, seed=0,
          truncation_psi=None, text=None):
    """Asks a server for ``n`` samples of ``seed`` (of the caption ``text``: the
    ``generate_text`` signature) and saves them to ``out``."""
    if bool(rest) == bool(grpc_target):
        raise ValueError("Give exactly one of --rest URL or --grpc HOST:PORT.")
    if grpc_target and not model_name:
        raise ValueError("--grpc needs --model NAME (the name in models.config).")
    if text is not None and truncation_psi is not None:
        raise ValueError("--truncation-psi is for generators with a mean latent, not --text.")
    inputs, signature = ((text_inputs(text, n, seed), "generate_text") if text is not None
                         else (generate_inputs(n, seed, truncation_psi), "generate"))
    outputs = (query_rest(rest, inputs, signature) if rest
               else query_grpc(grpc_target, model_name, inputs, signature))
    return save_grid(outputs, out)
