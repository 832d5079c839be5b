"""Packaging: pyproject.toml (PEP 621, setuptools) lists every package, the license is the
one the presets state, and a wheel built with ``python -m build`` installs in a fresh
virtual environment with the zoo configs, shipped presets and extractor weights."""

import glob
import os
import subprocess
import sys
import tomllib

import pytest

from ganzoo import presets

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _pyproject():
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        return tomllib.load(f)


def test_pyproject_lists_every_package():
    found = {os.path.relpath(os.path.dirname(path), ROOT).replace(os.sep, ".")
             for path in glob.glob(os.path.join(ROOT, "ganzoo", "**", "__init__.py"),
                                   recursive=True)}
    listed = set(_pyproject()["tool"]["setuptools"]["packages"])
    assert listed == found | {"ganzoo.zoo_configs"}


def test_license_file_matches_the_presets():
    with open(os.path.join(ROOT, "LICENSE")) as f:
        text = f.read()
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert presets.DEFAULT_LICENSE == "Apache-2.0"
    assert "License :: OSI Approved :: Apache Software License" in (
        _pyproject()["project"]["classifiers"])


CHECK = """
import os, ganzoo
from ganzoo import presets, registry
package = os.path.dirname(ganzoo.__file__)
assert "site-packages" in package, package
assert registry.ZOO_CONFIG_DIR.startswith(package) and "dcgan_digits" in registry.zoo_configs()
assert "dcgan_digits" in presets.shipped_presets()
assert os.path.isfile(os.path.join(package, "metrics", "weights",
                                   "digits_classifier.weights.h5"))
print(ganzoo.load_generator("dcgan_digits").latent_dim)
"""


def _run(command, **kwargs):
    return subprocess.run(command, capture_output=True, text=True, timeout=900, **kwargs)


@pytest.mark.slow
def test_wheel_installs_in_a_fresh_venv(tmp_path):
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    if _run([python, "-m", "pip", "install", "-q", "build"]).returncode:
        pytest.skip("the 'build' package cannot be installed here (no package index)")
    before = set(os.listdir(ROOT))
    built = _run([python, "-m", "build", "--outdir", str(tmp_path / "dist"), ROOT])
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    assert not {"build", "dist"} & (set(os.listdir(ROOT)) - before), "artifacts in the checkout"
    wheel = glob.glob(str(tmp_path / "dist" / "ganzoo-*.whl"))
    assert len(wheel) == 1
    _run([python, "-m", "pip", "install", "-q", "--no-deps", wheel[0]], check=True)
    checked = _run([python, "-c", CHECK], cwd=tmp_path,
                   env={**os.environ, "PYTHONPATH": "", "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert checked.returncode == 0 and checked.stdout.strip().endswith("64"), checked.stderr
