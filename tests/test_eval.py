"""Tests of the user-facing metrics: ``ganzoo eval`` and the training FID callback."""

import glob
import json
import math
import os
import types

import numpy as np
import pytest
import tensorflow as tf
from conftest import tiny_config

from ganzoo import cli, training
from ganzoo.config import ConfigError
from ganzoo.data import DatasetInfo
from ganzoo.metrics import callback, report

RECORD_FIELDS = ("target", "dataset", "split", "resolution", "extractor", "extractor_sha256",
                 "extractor_resolution", "resize", "n_real", "n_generated", "seed", "metrics",
                 "ganzoo_version", "date")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """A tiny dcgan trained 2 steps on digits, FID logged after every step."""
    folder = tmp_path_factory.mktemp("run")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(report.CACHE_DIR_ENV, str(folder / "reference_stats"))
        config = tiny_config("dcgan", **{"train.fid_every": 1, "train.fid_samples": 16})
        training.train(config, str(folder / "dcgan"), verbose=0)
    return str(folder / "dcgan")


def scalars(log_dir, tag):
    """{step: value} of one scalar in the TensorBoard event files under ``log_dir``."""
    found = {}
    for path in glob.glob(os.path.join(log_dir, "events.out.tfevents.*")):
        for event in tf.compat.v1.train.summary_iterator(path):
            for value in event.summary.value:
                if value.tag == tag:
                    found[event.step] = float(tf.make_ndarray(value.tensor))
    return found


def test_training_logs_fid_to_tensorboard(run_dir):
    fid = scalars(os.path.join(run_dir, "logs", "fid"), "fid")
    assert sorted(fid) == [1, 2]
    assert all(math.isfinite(v) and v > 0 for v in fid.values())
    cached = os.listdir(os.path.join(os.path.dirname(run_dir), "reference_stats"))
    assert cached == [f"digits-train-8px-digits-{cached[0].split('-')[4]}-n16.npz"]


def test_fid_callback_refuses_2d_data():
    config = tiny_config("gan", dataset="ring", arch="mlp", **{"train.fid_every": 5})
    with pytest.raises(ValueError, match="need images, but ring examples have shape \\(2,\\)"):
        callback.FID("unused", config, DatasetInfo("ring", (2,), 0, None))


def test_metrics_refuse_image_to_image_generators():
    translator = types.SimpleNamespace(name="unet_generator", input_kind="image")
    with pytest.raises(ValueError, match="unet_generator translates images"):
        report.sampler(translator)


def test_fid_config_is_checked():
    with pytest.raises(ConfigError, match="fid_every must be >= 0"):
        tiny_config("dcgan", **{"train.fid_every": -1})


def test_eval_writes_the_record_and_prints_a_table(run_dir, tmp_path, capsys):
    cache = tmp_path / "cache"
    argv = ["eval", run_dir, "--n", "40", "--batch-size", "20", "--cache-dir", str(cache)]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    with open(os.path.join(run_dir, "eval.json")) as f:
        record = json.load(f)
    assert tuple(record) == RECORD_FIELDS
    assert (record["target"], record["dataset"], record["split"], record["resolution"]) == (
        run_dir, "digits", "train", 8)
    assert (record["extractor"], record["extractor_resolution"], record["resize"]) == (
        "digits", 32, "bilinear")
    assert len(record["extractor_sha256"]) == 64
    assert (record["n_real"], record["n_generated"], record["seed"]) == (40, 40, 0)
    metrics = record["metrics"]
    assert set(metrics) == {"fid", "kid", "kid_std", "is", "is_std", "precision", "recall"}
    assert metrics["fid"] > 0 and 1 <= metrics["is"] <= 10
    assert 0 <= metrics["precision"] <= 1 and 0 <= metrics["recall"] <= 1
    for name in metrics:
        assert f"  {name} " in out
    assert f"{metrics['fid']:.4f}" in out and "Wrote" in out
    assert len(os.listdir(cache)) == 1  # the real statistics, cached

    # Same seed, same numbers (real statistics from the cache this time).
    again = tmp_path / "again.json"
    assert cli.main(argv + ["--metrics", "fid", "--out", str(again)]) == 0
    assert json.loads(again.read_text())["metrics"]["fid"] == pytest.approx(metrics["fid"])


def test_eval_a_preset_folder(run_dir, tmp_path, capsys, monkeypatch):
    presets = pytest.importorskip("ganzoo.presets")
    config, info = training.read_run(run_dir)
    folder = presets.save_preset(training.load_run(run_dir), str(tmp_path / "tiny"), config, info)
    monkeypatch.chdir(tmp_path)
    argv = ["eval", folder, "--metrics", "fid,is", "--n", "20", "--batch-size", "10",
            "--cache-dir", str(tmp_path / "cache")]
    assert cli.main(argv) == 0
    record = json.loads((tmp_path / "eval_tiny.json").read_text())
    assert record["dataset"] == "digits" and set(record["metrics"]) == {"fid", "is", "is_std"}
    assert np.isfinite(record["metrics"]["fid"])


def test_eval_unknown_metric_lists_the_valid_ones(run_dir, capsys):
    assert cli.main(["eval", run_dir, "--metrics", "fid,fd"]) == 2
    err = capsys.readouterr().err
    assert "Unknown metric 'fd'" in err and "fid, is, kid, pr" in err


def test_eval_inception_without_weights_names_the_flag(run_dir, tmp_path, capsys):
    missing = str(tmp_path / "missing.h5")
    argv = ["eval", run_dir, "--extractor", "inception", "--inception-weights", missing]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert missing in err and "--inception-weights" in err
