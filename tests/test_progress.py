"""What a person and a machine can follow of a run: the start line, one progress count for
the whole run that a resume continues, TensorBoard scalars at the global step with the
learning rates the optimizers use, sample grids as image summaries, stats.jsonl."""

import contextlib
import glob
import io
import json
import os

import pytest
import tensorflow as tf

from ganzoo import cli

TINY = ["--batch-size", "4", "--resolution", "8", "--lr", "1e-4",
        "--set", "train.steps_per_epoch=7", "--set", "train.log_every=5",
        "--set", "train.checkpoint_every=10", "--set", "train.sample_grid=4",
        "--set", "generator.args.width=4", "--set", "discriminator.args.width=4"]


def _train(run_dir, steps):
    """Output (stdout, not a terminal) of ``ganzoo train dcgan`` for ``steps`` steps."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert cli.main(["train", "dcgan", "--dataset", "digits", "--out", run_dir,
                         "--steps", str(steps), *TINY]) == 0
    return out.getvalue()


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A 20-step run, then resumed to 30: (run directory, first output, resumed output)."""
    run_dir = str(tmp_path_factory.mktemp("progress") / "run")
    first = _train(run_dir, 20)
    return run_dir, first, _train(run_dir, 30)


def _progress_steps(output):
    return [line.split()[1] for line in output.splitlines() if line.startswith("step ")]


def test_start_line_names_recipe_data_sizes_and_devices(run):
    run_dir, first, _ = run
    start = first.splitlines()[0]
    for part in ("dcgan_digits (dcgan) on digits 8x8x1", "G ", "params", "D ", "batch 4",
                 "20 steps", "x CPU", run_dir):
        assert part in start, start


def test_progress_counts_the_whole_run_and_a_resume_continues(run):
    _, first, resumed = run
    assert _progress_steps(first) == ["5/20", "10/20", "15/20", "20/20"]
    assert "Resuming" in resumed
    assert _progress_steps(resumed) == ["25/30", "30/30"]
    assert "img/s" in first and "ETA" in first and "d_loss" in first and "g_loss" in first
    assert "\r" not in first and "\x1b" not in first and "\b" not in first


def _events(run_dir):
    """[(tag, step, value or None for images)] of the run's TensorBoard logs."""
    found = []
    for path in glob.glob(os.path.join(run_dir, "logs", "events.out.tfevents.*")):
        for event in tf.compat.v1.train.summary_iterator(path):
            for value in event.summary.value:
                plugin = value.metadata.plugin_data.plugin_name
                number = (float(tf.make_ndarray(value.tensor)) if plugin == "scalars"
                          else None)
                found.append((value.tag, event.step, plugin, number))
    return found


def test_tensorboard_has_per_step_scalars_real_learning_rates_and_samples(run):
    events = _events(run[0])
    steps = sorted(step for tag, step, _, _ in events if tag == "loss/d_loss")
    assert steps == [5, 10, 15, 20, 25, 30]
    assert sorted(step for tag, step, _, _ in events if tag == "loss/g_loss") == steps
    for role in ("g", "d"):
        rates = [value for tag, _, _, value in events if tag == f"lr/{role}"]
        assert len(rates) == 6 and all(rate == pytest.approx(1e-4) for rate in rates)
    images = [step for tag, step, plugin, _ in events if tag == "samples"]
    assert images and all(plugin == "images" for tag, _, plugin, _ in events if tag == "samples")
    assert {"hparams"} <= {plugin for _, _, plugin, _ in events}


def test_stats_jsonl_has_one_record_per_log_interval(run):
    with open(os.path.join(run[0], "stats.jsonl")) as f:
        records = [json.loads(line) for line in f]
    assert [r["step"] for r in records] == [5, 10, 15, 20, 25, 30]
    assert all(r["g_lr"] == pytest.approx(1e-4) and r["d_loss"] > 0 for r in records)
