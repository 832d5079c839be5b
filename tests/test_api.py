"""The Python API (ganzoo/api.py, ganzoo/data/arrays.py): README's "Train from Python"
example runs on numpy data, an interrupted Python run resumes to the very weights of an
uninterrupted one, and data from Python goes through the CLI's pipeline and checks."""

import os
import re
import signal

import numpy as np
import pytest

import ganzoo
from ganzoo import checkpointing, cli, training
from ganzoo.checkpointing import StepCallback
from ganzoo.data import arrays

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STEPS = {"steps=300": "steps=4", "steps=600": "steps=8"}  # the example, at test length
INTERRUPT_AT = 5


def readme_example():
    """The code of README's "Train from Python" section, with STEPS applied."""
    with open(os.path.join(ROOT, "README.md")) as f:
        code = re.search(r"## Train from Python\n\n```python\n(.*?)```", f.read(), re.S)[1]
    for old, new in STEPS.items():
        assert old in code
        code = code.replace(old, new)
    return code


def final_arrays(run_dir):
    return checkpointing.arrays(checkpointing.checkpoints(run_dir)[-1][1])


class InterruptAt(StepCallback):
    """Sends this process SIGINT after step ``at`` (Ctrl-C in the middle of a run)."""

    def __init__(self, at):
        super().__init__()
        self.at = at

    def on_train_batch_end(self, batch, logs=None):
        super().on_train_batch_end(batch, logs)
        if self.step == self.at:
            os.kill(os.getpid(), signal.SIGINT)


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    """The README example's namespace, run in a fresh folder."""
    folder = tmp_path_factory.mktemp("example")
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        namespace = {}
        exec(readme_example(), namespace)
    finally:
        os.chdir(cwd)
    namespace["run_dir"] = str(folder / "runs" / "digits_8px")
    return namespace


def test_readme_example_trains_samples_and_resumes(example):
    run_dir = example["run_dir"]
    assert example["samples"].shape == (16, 8, 8, 1)
    assert np.abs(example["samples"]).max() <= 1.0
    assert [step for step, _ in checkpointing.checkpoints(run_dir)] == [4, 8]
    assert sorted(os.listdir(os.path.join(run_dir, "samples"))) == ["step_000004.png",
                                                                    "step_000008.png"]
    config = ganzoo.load_yaml(os.path.join(run_dir, "config.yaml"))
    assert config.data.name.startswith("python:arrays-") and config.data.resolution == 8
    assert os.path.getsize(os.path.join(run_dir, "stats.jsonl")) > 0


def test_interrupted_python_run_resumes_bit_identically(example, tmp_path, monkeypatch):
    """Same recipe, overrides and arrays as the example (from a name, not a built model),
    Ctrl-C after step 5: a checkpoint at step 6, then a resume from Python ends with the
    example's weights, optimizer slots and noise states to the bit."""
    run_dir = str(tmp_path / "interrupted")
    run_steps = training.run_steps
    monkeypatch.setattr(training, "run_steps", lambda *args: run_steps(
        *args[:-1], [*args[-1], InterruptAt(INTERRUPT_AT)]))
    with pytest.raises(SystemExit) as stopped:
        ganzoo.train("dcgan_digits", data=example["images"], run_dir=run_dir, steps=8,
                     overrides=example["small"], verbose=0)
    assert stopped.value.code == 128 + signal.SIGINT
    assert [step for step, _ in checkpointing.checkpoints(run_dir)] == [INTERRUPT_AT + 1]
    monkeypatch.setattr(training, "run_steps", run_steps)
    family = ganzoo.train(run_dir, data=example["images"], verbose=0)
    assert family.ganzoo_config.train.steps == 8
    expected, actual = final_arrays(example["run_dir"]), final_arrays(run_dir)
    assert sorted(expected) == sorted(actual)
    assert not [name for name in expected if not np.array_equal(expected[name], actual[name])]


def test_python_run_needs_its_data_again(example, capsys):
    """Without the arrays (the CLI, another process) a resume is one line, exit 2; with
    other arrays it is refused as another dataset."""
    run_dir, images = example["run_dir"], example["images"]
    assert cli.main(["train", "--resume", run_dir, "--steps", "9"]) == 2
    line = capsys.readouterr().err.strip()
    assert "was passed from Python" in line and "\n" not in line
    with pytest.raises(ValueError, match="data.name is 'python:arrays-"):
        ganzoo.train(run_dir, data=images[::-1], steps=9)


def test_build_and_train_are_the_api_functions():
    import ganzoo.factory  # noqa: F401  (the builders: no module shadows the API's names)

    assert ganzoo.build is ganzoo.api.build and ganzoo.train is ganzoo.api.train


def test_tf_dataset_batched_or_not_with_labels():
    import tensorflow as tf

    images = np.zeros((6, 8, 8, 1), np.float32)
    labels = np.arange(6) % 3
    for dataset in (tf.data.Dataset.from_tensor_slices((images, labels)),
                    tf.data.Dataset.from_tensor_slices((images, labels)).batch(4)):
        source = arrays.Source(arrays.UserData(dataset, name="toy"))
        assert (source.name, source.shape, source.num_classes) == ("python:toy", (8, 8, 1), 3)
        with arrays.registered(source):
            x, y = next(iter(ganzoo.data.load_dataset(
                ganzoo.config.DataConfig(name="python:toy"), 6, repeat=False)[0]))
        assert x.dtype == tf.float32 and y.dtype == tf.int32 and x.shape == (6, 8, 8, 1)
    with pytest.raises(ValueError, match="pass the same data again from Python"):
        ganzoo.data.load_dataset(ganzoo.config.DataConfig(name="python:toy"), 2)


@pytest.mark.parametrize("images, names", [
    (np.full((4, 8, 8, 1), 255, np.uint8), "x / 127.5 - 1"),
    (np.full((4, 8, 8, 1), 0.5, np.float16) * 4, "2 * (x - x.min())"),
    (np.zeros((4, 6, 6, 1)), "set data.resolution 6"),
    (np.zeros((4, 8, 8, 3)), "3 channels, the model 1"),
    (np.zeros((4, 8, 8)), "images[..., None]"),
    (np.full((4, 8, 8, 1), np.nan), "NaN"),
])
def test_first_batch_that_does_not_fit_is_one_line(images, names):
    with pytest.raises(ValueError) as error:
        arrays.check_fit(arrays.Source(arrays.UserData(images)), (8, 8, 1))
    assert names in str(error.value) and "\n" not in str(error.value)
