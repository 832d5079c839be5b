"""Smoke tests of tools/bench_train.py and tools/bench_export.py at tiny sizes: each runs
as a script (its own TF process) and writes JSON with real, positive timings."""

import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TINY = ["--resolution", "8", "--width", "4", "--latent-dim", "4", "--repeats", "2"]


def run_tool(name, tmp_path, *args):
    out = tmp_path / f"{name}.json"
    subprocess.run([sys.executable, os.path.join(ROOT, "tools", f"{name}.py"), *TINY, *args,
                    "--json", str(out)], check=True, cwd=tmp_path, timeout=300)
    return json.loads(out.read_text())


@pytest.mark.slow  # ~10 s: runs the tool end to end (suite budget)
def test_bench_train(tmp_path):
    record = run_tool("bench_train", tmp_path, "--families", "dcgan,wgan", "--batch-size", "8",
                      "--steps", "2", "--warmup-steps", "1")
    assert record["machine"]["cores"] >= 1 and record["machine"]["tensorflow"]
    rows = {row["variant"]: row for row in record["results"]}
    assert set(rows) == {"plain Keras DCGAN", "ganzoo dcgan", "ganzoo wgan"}
    assert rows["ganzoo dcgan"]["params"] == rows["plain Keras DCGAN"]["params"]
    assert rows["ganzoo wgan"]["images_per_step"] == 8 * rows["ganzoo wgan"]["d_steps"]
    for row in rows.values():
        assert row["ms_per_step"] > 0 and row["images_per_s"] > 0 and len(row["wall_s"]) == 2
    assert rows["ganzoo dcgan"]["vs_reference"] > 0


@pytest.mark.slow  # ~7 s: runs the tool end to end (suite budget)
def test_bench_export(tmp_path):
    record = run_tool("bench_export", tmp_path, "--batch-sizes", "1", "--calls", "2")
    rows = {row["variant"]: row for row in record["results"]}
    assert set(rows) == {"Keras call", "SavedModel signature", "TFLite float32", "TFLite float16",
                         "TFLite dynamic_range", "TFLite full_int8"}
    for row in rows.values():
        assert row["ms_per_call"] > 0 and row["images_per_s"] > 0 and row["size_kb"] > 0
    assert rows["TFLite float32"]["max_abs_diff"] < 1e-4
    assert record["summary"]["tflite_float32_vs_keras_batch1"] > 0
