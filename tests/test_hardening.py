"""What protects a run: one writer per run directory and export folder, a stop at the first
non-finite loss, a checkpoint digest over every stored field, palette images readable."""

import os
import subprocess
import sys
import time

import h5py
import numpy as np
import pytest
from PIL import Image

from conftest import tiny_config
from ganzoo import checkpointing, locking, training
from ganzoo.data import load_dataset
from ganzoo.export import export
from test_resume import ROOT, STEPS, _snapshot, _start_paused, _wait_paused


@pytest.mark.slow
def test_second_training_into_a_run_is_refused_and_the_first_finishes(tmp_path):
    first, run_dir, marker = _start_paused(tmp_path)
    _wait_paused(first, marker)
    before = _snapshot(run_dir)
    start = time.perf_counter()
    second = subprocess.run(
        [sys.executable, "-m", "ganzoo.cli", "train", "--config", str(tmp_path / "c.yaml"),
         "--out", run_dir], cwd=ROOT, capture_output=True, text=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    seconds = time.perf_counter() - start
    error = second.stderr.strip().splitlines()[-1]
    assert second.returncode == 2, second.stderr
    assert f"is in use by process {first.pid} (" in error, error
    assert _snapshot(run_dir) == before
    (marker / "continue").touch()
    output = first.communicate(timeout=240)[0]
    assert first.returncode == 0, output
    assert [step for step, _ in checkpointing.checkpoints(run_dir)][-1] == STEPS
    assert not os.path.exists(os.path.join(run_dir, locking.LOCK_FILE))
    print(f"second training refused after {seconds:.1f} s (process start included)")


def test_export_into_a_folder_being_written_is_refused(tmp_path):
    with locking.folder_lock(str(tmp_path / "exports" / "dcgan_digits")):
        with pytest.raises(locking.FolderBusy, match=f"in use by process {os.getpid()} "):
            export("dcgan_digits", out=str(tmp_path / "exports"))
    assert not (tmp_path / "exports").exists()


def test_nan_learning_rate_stops_at_step_1_without_a_checkpoint(tmp_path):
    config = tiny_config("dcgan", **{"train.steps": 3})
    config.train.g_lr = config.train.d_lr = float("nan")  # past validation, as from Python
    with pytest.raises(training.TrainingDiverged, match=r"is nan at step 1: training "
                       r"stopped; .* keeps no checkpoint\.") as error:
        training.train(config, str(tmp_path / "run"), verbose=0)
    assert "\n" not in str(error.value)
    assert checkpointing.checkpoints(str(tmp_path / "run")) == []


def test_a_flipped_step_or_config_is_caught_by_the_digest(tmp_path):
    """...and a checkpoint of an older ganzoo (arrays-only digest) still verifies."""
    run_dir = str(tmp_path / "run")
    training.train(tiny_config("dcgan"), run_dir, verbose=0)
    (_, older), (_, newest) = checkpointing.checkpoints(run_dir)
    assert checkpointing.verify(newest) == 2
    with h5py.File(newest, "r+") as f:
        f.attrs["ganzoo_step"] = 2 ^ 64
    with h5py.File(older, "r+") as f:
        f.attrs["ganzoo_config"] = str(f.attrs["ganzoo_config"]).replace("steps: 2", "steps: 3")
    for path in (newest, older):
        with pytest.raises(checkpointing.CheckpointError, match="corrupt"):
            checkpointing.verify(path)
    with h5py.File(newest, "r+") as f:  # as older ganzoo wrote it: a digest of the arrays
        del f.attrs["ganzoo_digest_version"]
        f.attrs["ganzoo_sha256"] = checkpointing._digest(f, fields=False)
    assert checkpointing.verify(newest) == 2 ^ 64


def test_palette_pngs_are_read(tmp_path):
    for i in range(3):
        rgb = np.full((8, 8, 3), (40 * i, 90, 200), np.uint8)
        Image.fromarray(rgb).convert("P").save(tmp_path / f"{i}.png")
    config = tiny_config("dcgan", **{"data.name": f"folder:{tmp_path}"}).data
    _, info = load_dataset(config, 2)
    assert info.shape == (8, 8, 3)
