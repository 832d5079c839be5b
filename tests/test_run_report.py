"""``ganzoo report``: one self-contained HTML page of a run (samples over time, curves,
interpolation, eval table, exports), and (slow) that headless Chromium renders it."""

import base64
import json
import os
import re
import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image

from conftest import tiny_config
from ganzoo import cli, training
from ganzoo.run_report import build_report


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """A tiny dcgan run of 6 steps with an eval.json and one export record of it."""
    folder = tmp_path_factory.mktemp("report")
    run = str(folder / "run")
    training.train(tiny_config("dcgan", **{"train.steps": 6, "train.steps_per_epoch": 2,
                                           "train.log_every": 1, "train.checkpoint_every": 3}),
                   run, verbose=0)
    with open(os.path.join(run, "eval.json"), "w") as f:
        json.dump({"n_generated": 10, "n_real": 10, "extractor": "digits",
                   "metrics": {"fid": 123.5}}, f)
    marker = folder / "exports" / "tiny" / "ganzoo_export.json"
    marker.parent.mkdir(parents=True)
    marker.write_text(json.dumps({"versions": {"1": {
        "source": run, "formats": ["saved_model"], "created": "2026-01-01T00:00:00"}}}))
    return run


def test_report_is_one_self_contained_page(run_dir, tmp_path):
    out = str(tmp_path / "report.html")
    assert cli.main(["report", run_dir, "--out", out, "--exports",
                     os.path.join(os.path.dirname(run_dir), "exports")]) == 0
    page = open(out).read()
    sources = re.findall(r'src="([^"]*)"', page)
    assert len(sources) >= 4 and all(s.startswith("data:image/png;base64,") for s in sources)
    for source in sources:  # every embedded image decodes
        assert base64.b64decode(source.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    assert page.count("<svg") == 2  # losses and learning rates (no FID was logged)
    for text in ("d_loss", "g_lr", "Interpolation", "123.5", "saved_model", "family: dcgan",
                 "step 6 of 6"):
        assert text in page, text


def _chromium():
    """The headless Chromium binary, installed with apt when missing; skips when it
    cannot be."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "-q", "chromium"], capture_output=True,
                       timeout=600)
        found = shutil.which("chromium")
    if not found:
        pytest.skip("chromium is not installed and apt-get could not install it")
    return found


@pytest.mark.slow
def test_chromium_renders_the_report(run_dir, tmp_path):
    chromium = _chromium()
    page, shot = tmp_path / "report.html", tmp_path / "shot.png"
    page.write_text(build_report(run_dir, os.path.join(os.path.dirname(run_dir), "exports")))
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                    "--hide-scrollbars", "--window-size=1200,1600", f"--screenshot={shot}",
                    page.as_uri()], capture_output=True, timeout=180, check=True)
    pixels = np.asarray(Image.open(shot).convert("L"), np.float32)
    assert pixels.shape == (1600, 1200)
    assert pixels.std() > 10 and (pixels < 128).mean() > 0.02, "the screenshot is blank"
