"""Crash-safe resume: a run killed (SIGKILL) or preempted (SIGTERM) mid-way and resumed ends
with exactly the weights of one uninterrupted run, and bad checkpoints fall back cleanly."""

import os
import shutil
import signal
import subprocess
import sys
import time

import h5py
import numpy as np
import pytest

from conftest import tiny_config
from ganzoo import checkpointing, cli, runs, training
from ganzoo.factory import build_family

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STEPS, EVERY, PAUSE_AT = 8, 3, 4  # checkpoints at 3, 6, 8; the kill comes after step 4


def _config():
    return tiny_config("dcgan", **{
        "train.steps": STEPS, "train.steps_per_epoch": 3, "train.checkpoint_every": EVERY,
        "train.keep_checkpoints": 2, "family_args.ema_decay": 0.9})


def final_arrays(run_dir):
    return checkpointing.arrays(checkpointing.checkpoints(run_dir)[-1][1])


def assert_same_arrays(expected, actual):
    assert sorted(expected) == sorted(actual)
    different = [name for name in expected if not np.array_equal(expected[name], actual[name])]
    assert not different, f"differ after resume: {different}"


def _start_paused(folder):
    """A ``ganzoo train`` subprocess that pauses after step PAUSE_AT; (process, run_dir,
    marker folder)."""
    config_path, run_dir, marker = folder / "c.yaml", str(folder / "run"), folder / "m"
    config_path.write_text(_config().to_yaml())
    marker.mkdir()
    process = subprocess.Popen(
        [sys.executable, os.path.join(ROOT, "tools", "train_with_hooks.py"), "--pause-at",
         str(PAUSE_AT), "--marker", str(marker), "--", "train", "--config", str(config_path),
         "--out", run_dir], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    return process, run_dir, marker


def _wait_paused(process, marker):
    deadline = time.time() + 240
    while not (marker / "paused").exists():
        if process.poll() is not None or time.time() > deadline:
            process.kill()
            pytest.fail(f"training did not reach step {PAUSE_AT}:\n{process.stdout.read()}")
        time.sleep(0.1)


@pytest.fixture(scope="module")
def paused(tmp_path_factory):
    """Two training subprocesses (to SIGKILL and to SIGTERM), started together so that
    they and the in-process reference run overlap."""
    runs = {kind: _start_paused(tmp_path_factory.mktemp(kind)) for kind in ("kill", "term")}
    yield runs
    for process, _, _ in runs.values():
        if process.poll() is None:
            process.kill()
        process.wait()


@pytest.fixture(scope="module")
def reference(tmp_path_factory, paused):
    """The uninterrupted run, in this process: its directory and final checkpoint's arrays."""
    run_dir = str(tmp_path_factory.mktemp("uninterrupted"))
    training.train(_config(), run_dir, verbose=0)
    return run_dir, final_arrays(run_dir)


def _snapshot(run_dir):
    """{relative path: bytes} of every file in a run directory."""
    files = {}
    for folder, _, names in os.walk(run_dir):
        for name in names:
            with open(os.path.join(folder, name), "rb") as f:
                files[os.path.relpath(os.path.join(folder, name), run_dir)] = f.read()
    return files


def test_sigkill_between_checkpoints_then_resume_matches_uninterrupted(paused, reference):
    process, run_dir, marker = paused["kill"]
    _wait_paused(process, marker)
    before = _snapshot(run_dir)
    process.kill()
    process.wait()
    after = _snapshot(run_dir)
    # Files may still grow (TensorBoard flushes from its own thread), never lose bytes.
    lost = [name for name, data in before.items() if not after.get(name, b"").startswith(data)]
    assert not lost, f"written before SIGKILL, lost or changed after it: {lost}"
    assert [step for step, _ in checkpointing.checkpoints(run_dir)] == [3]
    assert cli.main(["train", "--resume", run_dir]) == 0
    assert [step for step, _ in checkpointing.checkpoints(run_dir)] == [6, 8]
    assert_same_arrays(reference[1], final_arrays(run_dir))


def test_sigterm_checkpoints_at_next_step_then_resume_matches(paused, reference, capsys):
    process, run_dir, marker = paused["term"]
    _wait_paused(process, marker)
    process.send_signal(signal.SIGTERM)
    (marker / "continue").touch()
    output = process.communicate(timeout=120)[0]
    assert process.returncode == 128 + signal.SIGTERM, output
    assert [step for step, _ in checkpointing.checkpoints(run_dir)] == [3, PAUSE_AT + 1]
    training.train(_config(), run_dir, verbose=0)  # resumes on its own
    assert f"Resuming {run_dir} from step {PAUSE_AT + 1}." in capsys.readouterr().out
    assert_same_arrays(reference[1], final_arrays(run_dir))


def test_corrupt_or_truncated_checkpoint_falls_back_to_previous(tmp_path, reference):
    run_dir = str(tmp_path / "run")
    shutil.copytree(reference[0], run_dir)
    (_, older), (_, newest) = checkpointing.checkpoints(run_dir)
    with open(newest, "r+b") as f:
        f.truncate(os.path.getsize(newest) // 2)
    config, info = runs.read_run(run_dir)
    with pytest.warns(UserWarning, match="step_000008.weights.h5 is truncated.*Falling back"):
        assert checkpointing.restore_latest(build_family(config, info), run_dir) == 6
    with h5py.File(older, "r+") as f:  # bit rot inside a weight array
        f["generator/layers/conv2d_transpose/vars/0"][0, 0, 0, 0] += 1.0
    with pytest.raises(checkpointing.CheckpointError, match="unusable; delete them"):
        with pytest.warns(UserWarning, match="is corrupt \\(sha256 mismatch\\)"):
            runs.load_run(run_dir)


def test_checkpoint_of_another_config_is_a_clear_error(reference):
    config, info = runs.read_run(reference[0])
    other = build_family(tiny_config("dcgan", **{"generator.args.width": 8}), info)
    with pytest.raises(checkpointing.CheckpointError, match="does not fit this model"):
        checkpointing.restore_latest(other, reference[0])
