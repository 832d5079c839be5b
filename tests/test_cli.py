"""The ganzoo command end to end, and bad input as a user would type it."""

import numpy as np
import pytest
from PIL import Image

from ganzoo.cli import main

TINY = ["--steps", "2", "--batch-size", "4", "--resolution", "8",
        "--set", "train.steps_per_epoch=1", "--set", "train.sample_grid=4",
        "--set", "generator.args.width=4", "--set", "discriminator.args.width=4"]


def test_train_sample_and_resume(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", "dcgan", "--dataset", "digits", "--out", str(run), *TINY]) == 0
    assert (run / "config.yaml").is_file() and (run / "model.json").is_file()
    assert sorted(p.name for p in (run / "samples").iterdir()) == [
        "step_000001.png", "step_000002.png"]
    assert list((run / "checkpoints").glob("step_000002.weights.h5"))
    assert main(["sample", str(run), "--n", "4", "--out", str(tmp_path / "grid.png")]) == 0
    assert Image.open(tmp_path / "grid.png").size[0] > 8
    assert main(["train", "dcgan", "--dataset", "digits", "--out", str(run), *TINY[2:],
                 "--steps", "3"]) == 0
    assert "Resuming" in capsys.readouterr().out
    assert list((run / "checkpoints").glob("step_000003.weights.h5"))


def test_list_shows_every_section(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for word in ("families:", "wgan_gp", "datasets:", "folder:PATH", "presets:", "gan_ring"):
        assert word in out


def _write_images(folder, sizes):
    folder.mkdir(parents=True, exist_ok=True)
    for i, size in enumerate(sizes):
        Image.fromarray(np.zeros((size, size), np.uint8)).save(folder / f"{i}.png")


@pytest.mark.parametrize("case, message", [
    ("unknown_family", "Unknown family or recipe 'stylegun'. Did you mean 'stylegan'?"),
    ("unknown_dataset", "Unknown dataset 'digitz'. Did you mean 'digits'?"),
    ("bad_yaml_key", "Unknown key"),
    ("empty_folder", "No images in"),
    ("mixed_sizes", "is 16x16 but"),
    ("conditional_without_labels", "conditional but dataset 'ring' has no labels"),
])
def test_bad_input_is_one_clear_line(tmp_path, capsys, case, message):
    argv = {
        "unknown_family": ["train", "stylegun"],
        "unknown_dataset": ["train", "dcgan", "--dataset", "digitz"],
        "bad_yaml_key": ["train", "--config", str(tmp_path / "bad.yaml")],
        "empty_folder": ["train", "dcgan", "--dataset", f"folder:{tmp_path / 'empty'}"],
        "mixed_sizes": ["train", "dcgan", "--dataset", f"folder:{tmp_path / 'mixed'}"],
        "conditional_without_labels": ["train", "cgan", "--dataset", "ring",
                                       "--set", "generator.arch=mlp",
                                       "--set", "discriminator.arch=mlp"],
    }[case]
    (tmp_path / "bad.yaml").write_text("family: dcgan\ntrain: {stpes: 3}\n")
    (tmp_path / "empty").mkdir()
    _write_images(tmp_path / "mixed", [16, 8])
    assert main(argv + ["--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("ganzoo: error:") and message in err
    assert len(err.splitlines()) == 1, err
