"""The export folder, in TF Serving's layout:

    <out>/models.config                 ModelServerConfig listing every exported model
    <out>/models.docker.config          the same with paths under /models (docker -v)
    <out>/<name>/ganzoo_export.json     marks the folder as ganzoo's; one record per version
    <out>/<name>/<version>/             SavedModel: saved_model.pb, variables/, assets.extra/
    <out>/<name>/tflite/<version>/      <name>_<variant>.tflite

TF Serving serves the highest integer folder under ``--model_base_path=<out>/<name>`` and
ignores the rest. A version is written to a temp folder and renamed into place, so a
half-written version is never served; an integer folder that ganzoo did not record is
someone else's: ganzoo refuses to export beside it. One export at a time writes a model
folder: ``export`` holds its ``ganzoo.locking`` lock file (removed again afterwards).
"""

import json
import os
import re

from google.protobuf import text_format

from ganzoo.locking import LOCK_FILE
from tensorflow_serving.config import model_server_config_pb2

MARKER = "ganzoo_export.json"
MODELS_CONFIG = "models.config"
DOCKER_CONFIG = "models.docker.config"
TFLITE_DIR = "tflite"
STAGING_PREFIX = ".staging-"  # a version being written (TF Serving ignores it)
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class ExportError(ValueError):
    """An export that cannot be written or did not validate; nothing was overwritten."""


def check_name(name):
    if not NAME_PATTERN.match(name or ""):
        raise ExportError(f"Invalid model name '{name}': use letters, digits, '_', '.', '-'.")
    return name


def _integer_folders(folder):
    if not os.path.isdir(folder):
        return set()
    return {int(entry) for entry in os.listdir(folder)
            if entry.isdigit() and os.path.isdir(os.path.join(folder, entry))}


def read_marker(model_dir):
    """The folder's export records (none for a new folder); an error if it is not ganzoo's."""
    path = os.path.join(model_dir, MARKER)
    if os.path.isfile(path):
        with open(path) as f:
            return json.load(f)
    entries = os.listdir(model_dir) if os.path.isdir(model_dir) else []
    if any(not entry.startswith(STAGING_PREFIX) and entry != LOCK_FILE for entry in entries):
        raise ExportError(f"{model_dir} exists and is not a ganzoo export (no {MARKER}): "
                          "choose another --out or --name.")
    return {"versions": {}}


def next_version(model_dir, marker):
    """1 + the highest version in use; an error on a version folder ganzoo did not write."""
    recorded = {int(version) for version in marker["versions"]}
    serving = _integer_folders(model_dir)
    foreign = sorted(serving - recorded)
    if foreign:
        raise ExportError(
            f"{os.path.join(model_dir, str(foreign[0]))} is not a ganzoo export (not recorded "
            f"in {MARKER}): move it away or choose another --out or --name.")
    used = recorded | serving | _integer_folders(os.path.join(model_dir, TFLITE_DIR))
    return max(used, default=0) + 1


def write_text(path, text):
    """Writes a file atomically (a temp file of this process + rename)."""
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def record_version(model_dir, marker, version, record):
    marker["versions"][str(version)] = record
    write_text(os.path.join(model_dir, MARKER), json.dumps(marker, indent=2, sort_keys=True))


def served_models(out):
    """{name: absolute model folder} of every ganzoo export under ``out`` with a SavedModel."""
    found = {}
    for name in sorted(os.listdir(out)):
        model_dir = os.path.abspath(os.path.join(out, name))
        if os.path.isfile(os.path.join(model_dir, MARKER)) and _integer_folders(model_dir):
            found[name] = model_dir
    return found


def models_config_text(models):
    """A ModelServerConfig text proto serving ``models`` ({name: base path})."""
    config = model_server_config_pb2.ModelServerConfig()
    for name, base_path in models.items():
        entry = config.model_config_list.config.add()
        entry.name, entry.base_path, entry.model_platform = name, base_path, "tensorflow"
    return text_format.MessageToString(config)


def write_models_config(out):
    """Writes ``<out>/models.config`` (host paths) and ``models.docker.config`` (paths
    under /models, for ``docker run -v <out>:/models``); returns the first one's path."""
    models = served_models(out)
    docker_models = {name: f"/models/{name}" for name in models}
    for filename, entries in ((MODELS_CONFIG, models), (DOCKER_CONFIG, docker_models)):
        write_text(os.path.join(out, filename), models_config_text(entries))
    return os.path.join(out, MODELS_CONFIG)


def serve_commands(out, name):
    """The exact commands that serve model ``name`` alone, then every model under ``out``
    (host binary, docker)."""
    out = os.path.abspath(out)
    return [
        "tensorflow_model_server --port=8500 --rest_api_port=8501 "
        f"--model_name={name} --model_base_path={os.path.join(out, name)}",
        "tensorflow_model_server --port=8500 --rest_api_port=8501 "
        f"--model_config_file={os.path.join(out, MODELS_CONFIG)}",
        f"docker run --rm -p 8500:8500 -p 8501:8501 -v {out}:/models tensorflow/serving "
        f"--model_config_file=/models/{DOCKER_CONFIG}",
    ]
