"""Tests of the user-facing metrics: ``ganzoo eval`` and the training FID callback."""

import glob
import json
import math
import os

import numpy as np
import pytest
import tensorflow as tf
from conftest import shared_fixture, tiny_config

from ganzoo import cli, runs, training
from ganzoo.config import ConfigError
from ganzoo.data import DatasetInfo
from ganzoo.metrics import callback, evaluation, extractors, report
from ganzoo.networks.base import ImageGenerator

RECORD_FIELDS = ("target", "dataset", "split", "resolution", "extractor", "extractor_sha256",
                 "protocol", "sample_protocol", "reference_stats", "extractor_resolution",
                 "resize", "n_real", "n_generated", "seed", "metrics", "ganzoo_version", "date")
DIGITS = 1797  # images in the digits dataset (every split)


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
    translator = ImageGenerator(name="unet_generator")
    with pytest.raises(ValueError, match="unet_generator translates images"):
        report.sampler(translator)


def test_fid_config_is_checked():
    with pytest.raises(ConfigError, match=r"train.fid_every must be in \[0, "):
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
    assert record["protocol"] == extractors.DigitsExtractor.protocol
    assert (record["sample_protocol"], record["reference_stats"]) == ("custom", None)
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
    config, info = runs.read_run(run_dir)
    folder = presets.save_preset(runs.load_run(run_dir), str(tmp_path / "tiny"), config, info)
    monkeypatch.chdir(tmp_path)
    argv = ["eval", folder, "--metrics", "fid,is", "--n", "20", "--batch-size", "10",
            "--cache-dir", str(tmp_path / "cache")]
    assert cli.main(argv) == 0
    record = json.loads((tmp_path / "eval_tiny.json").read_text())
    assert record["dataset"] == "digits" and set(record["metrics"]) == {"fid", "is", "is_std"}
    assert np.isfinite(record["metrics"]["fid"])


def test_eval_uses_exactly_n_real_images(run_dir, tmp_path):
    cache = tmp_path / "cache"
    argv = ["eval", run_dir, "--metrics", "fid", "--batch-size", "250", "--cache-dir", str(cache)]
    for n in (DIGITS, DIGITS + 203):  # the whole split, then more than it has
        out = tmp_path / f"{n}.json"
        assert cli.main(argv + ["--n", str(n), "--out", str(out)]) == 0
        record = json.loads(out.read_text())
        assert (record["n_real"], record["n_generated"]) == (DIGITS, n)
    assert sorted(name.rsplit("-", 1)[1] for name in os.listdir(cache)) == [
        "all.npz", f"n{DIGITS}.npz"]


def test_evaluate_draws_no_batch_too_many():
    asked, pulled = [], []

    def sample_fn(batch_size):
        asked.append(batch_size)
        return np.zeros((batch_size, 2, 2, 1), np.float32)

    def real():
        while True:
            pulled.append(20)
            yield np.ones((20, 2, 2, 1), np.float32)

    class Flat:  # pixels as features, uniform class probabilities
        name, hash, protocol, resize_method = "flat", "0" * 64, "", ""
        resolution, feature_dim = 2, 4

        def outputs(self, images):
            return np.reshape(images, (len(images), 4)), np.zeros((len(images), 3))

    result = evaluation.evaluate(sample_fn, real(), Flat(), ("fid", "is"), n=45, batch_size=20)
    assert asked == [20, 20, 5] and len(pulled) == 3
    assert (result["n_real"], result["n_generated"]) == (45, 45)


def test_stats_files_serve_as_reference(run_dir, tmp_path, capsys):
    ours = tmp_path / "digits_train.npz"
    argv = ["stats", "digits", "--out", str(ours), "--resolution", "8", "--extractor", "digits"]
    assert cli.main(argv) == 0
    assert f"of {DIGITS} images (digits: " in capsys.readouterr().out
    with np.load(ours) as arrays:  # what pytorch-fid reads: f["mu"][:], f["sigma"][:]
        mu, sigma, count = arrays["mu"][:], arrays["sigma"][:], int(arrays["n"])
    assert (mu.dtype, sigma.dtype, mu.shape, sigma.shape, count) == (
        np.float64, np.float64, (128,), (128, 128), DIGITS)
    ttur = tmp_path / "ttur_style.npz"  # only mu and sigma, as TTUR distributes them
    np.savez(ttur, mu=mu, sigma=sigma)
    common = ["eval", run_dir, "--n", str(DIGITS), "--cache-dir", str(tmp_path / "cache")]
    records = []
    for extra in (["--metrics", "fid,is"], ["--reference-stats", str(ttur)]):
        out = tmp_path / f"{len(records)}.json"
        assert cli.main(common + extra + ["--out", str(out)]) == 0
        records.append(json.loads(out.read_text()))
    from_data, from_file = records
    assert from_file["reference_stats"] == str(ttur) and from_file["n_real"] is None
    assert from_file["metrics"]["fid"] == pytest.approx(from_data["metrics"]["fid"], rel=1e-6)
    assert from_file["metrics"]["is"] == from_data["metrics"]["is"]

    assert cli.main(common + ["--reference-stats", str(ttur), "--metrics", "kid"]) == 2
    assert "use --metrics fid,is" in capsys.readouterr().err
    np.savez(ttur, mu=mu[:64], sigma=sigma[:64, :64])
    assert cli.main(common + ["--reference-stats", str(ttur)]) == 2
    assert "64-d features" in capsys.readouterr().err


def test_paper_protocol_is_fid_inception_50k_against_the_whole_split(run_dir, tmp_path,
                                                                     monkeypatch, capsys):
    assert cli.main(["eval", run_dir, "--protocol", "paper", "--extractor", "digits"]) == 2
    assert "--protocol paper measures with fid_inception" in capsys.readouterr().err
    built, digits = [], report.build_extractor("digits")
    monkeypatch.setattr(report, "build_extractor", lambda name, *_: built.append(name) or digits)
    monkeypatch.setattr(report, "PAPER_SAMPLES", 30)
    out = tmp_path / "paper.json"
    argv = ["eval", run_dir, "--protocol", "paper", "--metrics", "fid", "--out", str(out),
            "--cache-dir", str(tmp_path / "cache")]
    assert cli.main(argv) == 0
    record = json.loads(out.read_text())
    assert built == ["fid_inception"]
    assert (record["n_generated"], record["n_real"], record["sample_protocol"]) == (
        30, DIGITS, "paper")


def test_image_datasets_default_to_fid_inception_when_its_weights_are_found(tmp_path,
                                                                            monkeypatch):
    monkeypatch.setenv("GANZOO_HOME", str(tmp_path / "ganzoo"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    assert report.default_extractor("celeb_a") == "inception"
    assert report.default_extractor("celeb_a", fid_weights="given.pth") == "fid_inception"
    hub = tmp_path / "torch" / "hub" / "checkpoints"
    hub.mkdir(parents=True)
    (hub / extractors.FID_WEIGHTS_FILE).write_bytes(b"")
    assert report.default_extractor("celeb_a") == "fid_inception"
    assert report.default_extractor("digits") == "digits"


def test_eval_with_fid_inception_weights_records_them(run_dir, tmp_path):
    fid_test = pytest.importorskip("test_fid_inception")
    with open(shared_fixture("fid_inception_reference.json")) as f:
        state = fid_test.seeded_state_dict(json.load(f)["spec"])
    weights = tmp_path / "seeded.pth"
    fid_test.write_torch_zip(weights, state)
    out = tmp_path / "fid.json"
    argv = ["eval", run_dir, "--extractor", "fid_inception", "--fid-weights", str(weights),
            "--metrics", "kid", "--n", "6", "--batch-size", "4", "--out", str(out),
            "--cache-dir", str(tmp_path / "cache")]
    assert cli.main(argv) == 0
    record = json.loads(out.read_text())
    assert (record["extractor"], record["protocol"], record["extractor_resolution"]) == (
        "fid_inception", "custom weights", 299)
    assert record["extractor_sha256"] == extractors.sha256_of(weights)
    assert (record["n_real"], record["n_generated"]) == (6, 6)
    assert math.isfinite(record["metrics"]["kid"])


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
