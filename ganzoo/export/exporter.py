"""``export(target, formats, out)``: one validated version of a generator, in TF Serving's
layout (see ``layout.py``), plus TFLite files; every artifact passes its parity check in
a temp folder before it is renamed into place."""

import datetime
import os
import re
import shutil
import tempfile
import urllib.parse

import keras

from ganzoo import locking
from ganzoo.export import layout, saved_model, signatures, tflite, validate
from ganzoo.export.layout import ExportError
from ganzoo.registry import unknown_name

FORMATS = ("saved_model", "tflite")


def parse_formats(formats):
    """``"saved_model,tflite"`` or a list -> a tuple of known formats."""
    names = [f.strip() for f in formats.split(",")] if isinstance(formats, str) else formats
    unknown = [name for name in names if name not in FORMATS]
    if unknown or not names:
        raise ExportError(unknown_name("export format", (unknown or [""])[0], FORMATS))
    return tuple(dict.fromkeys(names))


def default_name(target):
    """A model name from a Keras generator, run dir, preset name, folder or archive URL."""
    if isinstance(target, keras.Model):
        return target.name
    from ganzoo.presets import ARCHIVE_SUFFIXES

    base = os.path.basename(urllib.parse.urlparse(str(target)).path.rstrip("/"))
    for suffix in ARCHIVE_SUFFIXES:
        base = base[:-len(suffix)] if base.endswith(suffix) else base
    return re.sub(r"[^A-Za-z0-9_.-]", "_", base).lstrip("._-") or "generator"


def resolve_target(target):
    """The generator to export: a Keras generator as it is, a run directory's newest
    checkpoint (EMA when present), or whatever ``ganzoo.presets.load_generator`` accepts."""
    if isinstance(target, keras.Model):
        return target
    from ganzoo.presets import load_generator

    return load_generator(target)


def _write_and_check(generator, staging, name, formats, tflite_batch, fresh_process):
    """Writes every format under ``staging`` and validates it: the version's record."""
    record = {}
    if "saved_model" in formats:
        path = saved_model.write_served(generator, os.path.join(staging, "saved_model"), name)
        record["saved_model"] = {"max_abs_diff": validate.check_saved_model(
            path, generator, fresh_process)}
    if "tflite" in formats:
        static = saved_model.write_static(generator, os.path.join(staging, "static"),
                                          tflite_batch)
        record["tflite"] = {"batch_size": tflite_batch, "files": {}}
        for variant, path in tflite.convert(static, os.path.join(staging, "tflite"),
                                            name).items():
            record["tflite"]["files"][variant] = {
                "file": os.path.basename(path), "bytes": os.path.getsize(path),
                "max_abs_diff": validate.check_tflite(path, variant, generator, tflite_batch)}
    return record


def export(target, formats=FORMATS, out="exports", name=None, tflite_batch=1,
           fresh_process=True):
    """Exports ``target``'s generator as the next version of ``<out>/<name>``.

    Returns the version's record: paths, file sizes and max abs diffs of every check.
    Nothing is written to ``out`` unless every artifact passed its check.
    ``fresh_process=False`` reloads the SavedModel in this process and skips
    saved_model_cli (seconds faster; for tests).
    """
    formats = parse_formats(formats)
    if tflite_batch < 1:
        raise ExportError(f"--tflite-batch must be >= 1, got {tflite_batch}.")
    name = layout.check_name(name or default_name(target))
    if os.path.exists(out) and not os.path.isdir(out):
        raise ExportError(f"--out {out} is a file: give a folder for the exports.")
    with locking.folder_lock(os.path.join(out, name)):
        return _export_locked(target, formats, out, name, tflite_batch, fresh_process)


def _export_locked(target, formats, out, name, tflite_batch, fresh_process):
    """``export`` while it holds the model folder's lock."""
    model_dir = os.path.join(out, name)
    marker = layout.read_marker(model_dir)
    layout.next_version(model_dir, marker)  # fails now on a foreign version folder
    generator = resolve_target(target)
    signatures.check_exportable(generator)
    os.makedirs(model_dir, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=layout.STAGING_PREFIX, dir=model_dir)
    try:
        record = _write_and_check(generator, staging, name, formats, tflite_batch,
                                  fresh_process)
        version = layout.next_version(model_dir, marker)
        moves = {"saved_model": os.path.join(model_dir, str(version)),
                 "tflite": os.path.join(model_dir, layout.TFLITE_DIR, str(version))}
        for kind in formats:
            record[kind]["path"] = moves[kind]
        source = target.name if isinstance(target, keras.Model) else os.fspath(target)
        record.update(version=version, source=source, formats=list(formats),
                      created=datetime.datetime.now(datetime.timezone.utc).isoformat())
        layout.record_version(model_dir, marker, version, record)
        for kind in formats:
            os.makedirs(os.path.dirname(moves[kind]), exist_ok=True)
            os.rename(os.path.join(staging, kind), moves[kind])
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if not os.listdir(model_dir):
            os.rmdir(model_dir)
    if "saved_model" in formats:
        record["models_config"] = layout.write_models_config(out)
        record["serve_commands"] = layout.serve_commands(out, name)
    return record


def describe(record):
    """Printable lines: where each artifact went, its size and parity, how to serve it."""
    lines = []
    if "saved_model" in record:
        diffs = ", ".join(f"{k} {v:.2g}" for k, v in record["saved_model"]["max_abs_diff"].items())
        lines += [f"SavedModel version {record['version']}: {record['saved_model']['path']}",
                  f"  max abs diff to Keras: {diffs}"]
    if "tflite" in record:
        lines.append(f"TFLite (batch {record['tflite']['batch_size']}): "
                     f"{record['tflite']['path']}")
        lines += [f"  {entry['file']}: {entry['bytes']} bytes, max abs diff "
                  f"{entry['max_abs_diff']:.2g}" for entry in record["tflite"]["files"].values()]
    if "serve_commands" in record:
        lines += ["Serve it (the last two serve every model in "
                  f"{record['models_config']}):",
                  *[f"  {command}" for command in record["serve_commands"]]]
    return lines
