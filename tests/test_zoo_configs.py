"""Every zoo recipe runs one real training step, and the zoo ships with a plain install.

Recipes on tensorflow-datasets data run through tfds' own code on mocked records
(``tfds.testing.mock_data``), since nothing can be downloaded here; the architecture
is the recipe's own, only the batch, the step count and resolutions above 32 shrink.
"""

import contextlib
import os
import subprocess
import sys

import pytest

from ganzoo import config as config_lib
from ganzoo import training
from ganzoo.registry import DATASETS, zoo_configs

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _data_source(name):
    if name in DATASETS or name.startswith("folder"):
        return contextlib.nullcontext()
    import tensorflow_datasets as tfds

    return tfds.testing.mock_data(policy=tfds.testing.MockPolicy.USE_CODE, num_examples=4)


# Recipes whose architecture alone takes ~30 s or more to trace and step on 2 cores: their
# step is in the slow suite; the shared harness runs their families (at tiny size) in the
# default suite, and so does the light recipe cyclegan_digits_inverted.
HEAVY = ("stylegan_celeb_a_64", "stylegan_celeb_a_128", "cyclegan_horse2zebra", "progan_digits_32",
         "stylegan_digits_32")


@pytest.mark.parametrize("preset", [
    pytest.param(name, marks=pytest.mark.slow) if name in HEAVY else name
    for name in sorted(zoo_configs())])
def test_zoo_config_trains_one_step(preset, tmp_path):
    config = config_lib.load_yaml(zoo_configs()[preset])
    # at most 2 critic steps: each one adds a copy of the D update (and its gradient
    # penalty) to the traced step; the harness checks d_steps itself
    d_steps = min(config.family_args.get("d_steps", 1), 2)
    config = config_lib.override(config, {"family_args.d_steps": d_steps,
        "data.batch_size": 2, "data.shuffle_buffer": 4, "train.steps": 1,
        "train.steps_per_epoch": 1, "train.sample_grid": 2,
        # the recipe's architecture at 32 px at most: 256 px steps take minutes on 2 cores
        "data.resolution": min(config.data.resolution, 32), "data.load_size": 0})
    if config.data.name.startswith("pairs:"):  # a downloaded folder: use the paired toy
        config = config_lib.override(config, {"data.name": "digits_edges"})
    with _data_source(config.data.name):
        model = training.train(config, str(tmp_path), verbose=0)
    assert int(model.g_optimizer.iterations.numpy()) == 1
    assert int(model.d_optimizer.iterations.numpy()) == d_steps
    assert os.listdir(tmp_path / "samples")


def test_zoo_configs_ship_with_a_plain_install(tmp_path):
    """``pip install .`` (not editable) still finds zoo_configs/ as package data."""
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                    "--target", str(target), REPO], check=True, cwd=tmp_path)
    probe = ("from ganzoo.registry import ZOO_CONFIG_DIR, zoo_configs; "
             "print(ZOO_CONFIG_DIR); print(sorted(zoo_configs()))")
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True,
                         text=True, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(target)})
    folder, names = out.stdout.strip().splitlines()
    assert folder.startswith(str(target))
    assert eval(names) == sorted(zoo_configs())
