"""ganzoo.export: TF Serving layout, signatures, TFLite parity, clients, bad input."""

import json
import os
import threading
from concurrent import futures
from http.server import BaseHTTPRequestHandler, HTTPServer

import grpc
import numpy as np
import pytest
import tensorflow as tf
from ai_edge_litert.interpreter import Interpreter
from google.protobuf import text_format
from tensorflow.python.saved_model import loader_impl
from tensorflow_serving.apis import predict_pb2, prediction_log_pb2, prediction_service_pb2_grpc
from tensorflow_serving.config import model_server_config_pb2

from conftest import TINY_NET, tiny_config
from ganzoo import training
from ganzoo.data import DatasetInfo
from ganzoo.export import ExportError, client, export, layout, signatures, validate
from ganzoo.export.saved_model import WARMUP_FILE
from ganzoo.registry import NETWORKS

KINDS = {  # the generator kinds that export differently
    "dcgan": ("dcgan", (8, 8, 1), 0),
    "dcgan_conditional": ("dcgan", (8, 8, 1), 3),
    "mlp_points": ("mlp", (2,), 0),
}


def tiny_generator(kind):
    arch, shape, classes = KINDS[kind]
    return NETWORKS.get(f"{arch}_generator")(latent_dim=4, data_shape=shape, num_classes=classes,
                                             name=kind, **TINY_NET[arch]).build_for_data()


@pytest.fixture(scope="module", params=list(KINDS))
def exported(request, tmp_path_factory):
    """(generator, export folder, record): both formats, parity checked; the conditional
    DCGAN in a fresh process with saved_model_cli, the others in-process (faster); the
    points model's TFLite with a static batch of 2."""
    generator = tiny_generator(request.param)
    out = str(tmp_path_factory.mktemp("exports"))
    record = export(generator, out=out, tflite_batch=2 if request.param == "mlp_points" else 1,
                    fresh_process=request.param == "dcgan_conditional")
    return generator, out, record


def signature_defs(path):
    return loader_impl.parse_saved_model(path).meta_graphs[0].signature_def


def test_export_layout_and_parity(exported):
    generator, out, record = exported
    model_dir = os.path.join(out, generator.name)
    version = os.path.join(model_dir, "1")
    for part in ("saved_model.pb", "variables/variables.index", WARMUP_FILE):
        assert os.path.isfile(os.path.join(version, part)), part
    assert json.load(open(os.path.join(model_dir, layout.MARKER)))["versions"]["1"]["formats"] \
        == ["saved_model", "tflite"]
    diffs = record["saved_model"]["max_abs_diff"]
    assert max(diffs.values()) <= 1e-4
    if generator.name == "dcgan_conditional":
        assert "saved_model_cli run" in diffs
    files = record["tflite"]["files"]
    assert sorted(files) == ["dynamic_range", "float16", "float32"]
    for variant, entry in files.items():
        path = os.path.join(model_dir, "tflite", "1", entry["file"])
        assert os.path.getsize(path) == entry["bytes"] > 0
        assert entry["max_abs_diff"] <= validate.TOLERANCES[variant]
        inputs = Interpreter(model_path=path).get_signature_runner().get_input_details()
        assert list(inputs["noise"]["shape"]) == [record["tflite"]["batch_size"], 4]
    config = text_format.Parse(open(os.path.join(out, "models.config")).read(),
                               model_server_config_pb2.ModelServerConfig())
    [entry] = config.model_config_list.config
    assert (entry.name, entry.base_path) == (generator.name, os.path.abspath(model_dir))
    single, every, docker = record["serve_commands"]
    assert f"--model_name={generator.name} --model_base_path={entry.base_path}" in single
    assert f"--model_config_file={os.path.abspath(out)}/models.config" in every
    docker_config = open(os.path.join(out, "models.docker.config")).read()
    assert f'base_path: "/models/{generator.name}"' in docker_config and "/models/" in docker


def test_signatures_match_the_contract(exported):
    generator, _, record = exported
    defs = signature_defs(record["saved_model"]["path"])
    serving, generate = defs["serving_default"], defs["generate"]
    expected_inputs = {"noise": (tf.float32, [-1, 4])}
    if generator.num_classes:
        expected_inputs["labels"] = (tf.int32, [-1])
    assert {name: (tf.as_dtype(info.dtype), [d.size for d in info.tensor_shape.dim])
            for name, info in serving.inputs.items()} == expected_inputs
    images = len(generator.data_shape) == 3
    outputs = {"images", "images_uint8"} if images else {"points"}
    assert set(serving.outputs) == outputs
    assert set(generate.inputs) == {"seed", "batch_size"}
    assert tf.as_dtype(generate.inputs["seed"].dtype) == tf.int64
    assert set(generate.outputs) == outputs | {"noise"} | ({"labels"} if generator.num_classes
                                                            else set())
    if images:
        shape = [d.size for d in serving.outputs["images"].tensor_shape.dim]
        assert shape == [-1, *generator.data_shape]
        assert tf.as_dtype(serving.outputs["images_uint8"].dtype) == tf.uint8


def test_warmup_requests_are_valid_predict_logs(exported):
    generator, _, record = exported
    path = os.path.join(record["saved_model"]["path"], WARMUP_FILE)
    logs = [prediction_log_pb2.PredictionLog.FromString(raw.numpy())
            for raw in tf.data.TFRecordDataset(path)]
    defs = signature_defs(record["saved_model"]["path"])
    assert [log.predict_log.request.model_spec.signature_name for log in logs] == \
        ["serving_default", "generate"]
    for log in logs:
        assert_request_matches(log.predict_log.request, defs)


def assert_request_matches(request, defs):
    """Names, dtypes and shapes of a PredictRequest against the SavedModel's signature."""
    signature = defs[request.model_spec.signature_name]
    assert set(request.inputs) == set(signature.inputs)
    for name, tensor in request.inputs.items():
        expected = signature.inputs[name]
        assert tensor.dtype == expected.dtype, name
        shape = [d.size for d in tensor.tensor_shape.dim]
        wanted = [d.size for d in expected.tensor_shape.dim]
        assert len(shape) == len(wanted) and all(w in (-1, s) for s, w in zip(shape, wanted))


def test_grpc_request_matches_signature_def(exported):
    generator, _, record = exported
    defs = signature_defs(record["saved_model"]["path"])
    generate = client.predict_request(generator.name, client.generate_inputs(4, 1), "generate")
    serving = client.predict_request(generator.name, validate.reference_inputs(generator))
    for request in (generate, serving):
        assert request.model_spec.name == generator.name
        assert_request_matches(request, defs)
    wrong = client.predict_request(generator.name, {"noise": np.zeros((1, 4), np.float64)})
    with pytest.raises(AssertionError):
        assert_request_matches(wrong, defs)


def test_rest_body_is_tf_serving_columnar_format():
    # https://www.tensorflow.org/tfx/serving/api_rest#request_format_2 (columnar "inputs")
    body = client.rest_body(client.generate_inputs(4, 7), "generate")
    assert json.loads(json.dumps(body)) == {"signature_name": "generate",
                                            "inputs": {"seed": 7, "batch_size": 4}}
    noise = client.rest_body({"noise": np.ones((2, 3), np.float32)})["inputs"]["noise"]
    assert noise == [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
    assert client.predict_url("http://h:8501/v1/models/m/") == "http://h:8501/v1/models/m:predict"


class FakePredictionService(prediction_service_pb2_grpc.PredictionServiceServicer):
    """TF Serving's Predict on one SavedModel, for the client tests."""

    def __init__(self, path):
        self.model = tf.saved_model.load(path)

    def Predict(self, request, context):
        outputs = self.model.signatures[request.model_spec.signature_name](
            **{name: tf.make_ndarray(t) for name, t in request.inputs.items()})
        response = predict_pb2.PredictResponse()
        for name, value in outputs.items():
            response.outputs[name].CopyFrom(tf.make_tensor_proto(value.numpy()))
        return response


def test_grpc_and_rest_clients_save_a_grid(exported, tmp_path):
    generator, _, record = exported
    service = FakePredictionService(record["saved_model"]["path"])
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=1))
    prediction_service_pb2_grpc.add_PredictionServiceServicer_to_server(service, server)
    port = server.add_insecure_port("localhost:0")
    server.start()
    try:
        grid = client.query(str(tmp_path / "grpc.png"), grpc_target=f"localhost:{port}",
                            model_name=generator.name, n=4, seed=3)
    finally:
        server.stop(None)
    assert os.path.getsize(grid) > 0
    rest = rest_server(service)
    try:
        url = f"http://localhost:{rest.server_port}/v1/models/{generator.name}"
        outputs = client.query_rest(url, client.generate_inputs(4, 3))
        assert os.path.getsize(client.query(str(tmp_path / "rest.png"), rest=url, n=4)) > 0
        with pytest.raises(ValueError, match="HTTP 400"):
            client.query_rest(url, {"bogus": np.int64(1)})
    finally:
        rest.shutdown()
    key = "images" if "images" in outputs else "points"
    assert outputs[key].shape == (4, *generator.data_shape)
    assert np.allclose(outputs["noise"], tf.random.stateless_normal([4, 4], seed=[3, 0]))


def rest_server(service):
    """TF Serving's REST predict (columnar ``inputs``) over the fake service."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            signature = service.model.signatures[body["signature_name"]]
            specs = signature.structured_input_signature[1]
            try:
                outputs = signature(**{name: tf.constant(value, specs[name].dtype)
                                       for name, value in body["inputs"].items()})
                status, reply = 200, {"outputs": {k: v.numpy().tolist()
                                                  for k, v in outputs.items()}}
            except (KeyError, TypeError) as error:
                status, reply = 400, {"error": str(error)}
            self.send_response(status)
            self.end_headers()
            self.wfile.write(json.dumps(reply).encode())

        def log_message(self, *args):
            pass

    server = HTTPServer(("localhost", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_second_export_is_version_2_and_keeps_1(tmp_path):
    generator = tiny_generator("dcgan")
    first = export(generator, "saved_model", str(tmp_path), fresh_process=False)
    pb = os.path.join(first["saved_model"]["path"], "saved_model.pb")
    before = (os.path.getmtime(pb), open(pb, "rb").read())
    second = export(generator, "saved_model", str(tmp_path), fresh_process=False)
    model_dir = tmp_path / "dcgan"
    assert (first["version"], second["version"]) == (1, 2)
    assert sorted(p.name for p in model_dir.iterdir() if p.name.isdigit()) == ["1", "2"]
    assert (os.path.getmtime(pb), open(pb, "rb").read()) == before
    assert not [p for p in model_dir.iterdir() if p.name.startswith(".staging")]


def test_failed_parity_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setitem(validate.TOLERANCES, "saved_model", -1.0)
    with pytest.raises(ExportError, match="does not reproduce the Keras generator"):
        export(tiny_generator("mlp_points"), "saved_model", str(tmp_path), fresh_process=False)
    assert list(tmp_path.iterdir()) == []


def test_broken_tflite_conversion_is_caught(tmp_path, monkeypatch):
    """Tracking the Keras model itself leaves READ_VARIABLE ops: LiteRT returns garbage."""
    def tracks_the_keras_model(generator):
        module = tf.Module()
        module.generator = generator
        return module

    monkeypatch.setattr(signatures, "module_for", tracks_the_keras_model)
    with pytest.raises(ExportError, match="TFLite float32"):
        export(tiny_generator("dcgan"), "tflite", str(tmp_path))
    assert list(tmp_path.iterdir()) == []


def test_run_without_checkpoint_is_a_clear_error(tmp_path):
    run_dir = str(tmp_path / "run")
    training.write_run_files(run_dir, tiny_config("dcgan"),
                             DatasetInfo("digits", (8, 8, 1), 10, None))
    with pytest.raises(FileNotFoundError, match="has no checkpoint yet"):
        export(run_dir, out=str(tmp_path / "exports"))
    assert not os.path.exists(tmp_path / "exports" / "run")


def test_cli_errors_are_one_line(tmp_path, capsys):
    from ganzoo import cli

    assert cli.main(["export", "no_such_preset", "--out", str(tmp_path)]) == 2
    assert cli.main(["query", "--grpc", "localhost:1", "--out", str(tmp_path / "g.png")]) == 2
    errors = capsys.readouterr().err.strip().splitlines()
    assert errors[0].startswith("ganzoo: error: Unknown preset 'no_such_preset'")
    assert errors[1] == "ganzoo: error: --grpc needs --model NAME (the name in models.config)."
    assert list(tmp_path.iterdir()) == []


def test_unknown_format_and_bad_name(tmp_path):
    with pytest.raises(ExportError, match="Unknown export format 'onnx'.*saved_model, tflite"):
        export(tiny_generator("dcgan"), "saved_model,onnx", str(tmp_path))
    with pytest.raises(ExportError, match="Invalid model name"):
        export(tiny_generator("dcgan"), "saved_model", str(tmp_path), name="../up")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("marker", [False, True])
def test_foreign_version_folder_is_left_alone(tmp_path, marker):
    model_dir = tmp_path / "dcgan"
    foreign = model_dir / "3"
    foreign.mkdir(parents=True)
    (foreign / "saved_model.pb").write_bytes(b"someone else's")
    if marker:
        (model_dir / layout.MARKER).write_text(json.dumps({"versions": {"1": {}}}))
    with pytest.raises(ExportError, match="not a ganzoo export"):
        export(tiny_generator("dcgan"), "saved_model", str(tmp_path), fresh_process=False)
    assert sorted(p.name for p in model_dir.iterdir()) == (["3", layout.MARKER] if marker
                                                           else ["3"])
    assert (foreign / "saved_model.pb").read_bytes() == b"someone else's"


def test_export_from_a_trained_run(tmp_path):
    run_dir = str(tmp_path / "run")
    training.train(tiny_config("dcgan", **{"train.steps": 1}), run_dir, verbose=0)
    record = export(run_dir, "saved_model", str(tmp_path / "exports"), fresh_process=False)
    assert record["saved_model"]["path"] == str(tmp_path / "exports" / "run" / "1")
