"""tf.distribute and mixed precision: global-batch semantics on 1 vs 2 replicas, real
2-process MultiWorkerMirroredStrategy runs (one preempted), finite mixed-precision training."""

import os
import signal
import subprocess
import sys
import time

import keras
import numpy as np
import pytest
import tensorflow as tf

from conftest import localhost_cluster, tiny_config
import harness
from ganzoo import checkpointing, runtime, training
from ganzoo.factory import build_family
from ganzoo.data import load_dataset, open_batches

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _one_sgd_step(config, strategy_name, arrange=True):
    """Weights after one SGD step on the first global batch, under ``strategy_name``."""
    strategy = runtime.make_strategy(strategy_name)
    keras.utils.set_random_seed(0)
    d_steps = config.family_args["d_steps"]
    batches, info = open_batches(config.data, config.data.batch_size * d_steps)
    reorder = (training.replica_row_order(d_steps, strategy.num_replicas_in_sync) if arrange
               else None)
    with strategy.scope():
        model = build_family(config, info)
    training.run_steps(model, iter(batches.distribute(strategy, 0, reorder)), 0, 1, 1, [])
    return [w.numpy() for w in model.generator.weights + model.discriminator.weights]


def _sgd_config(family):
    """SGD with lr 1 (the update is the gradient) and no batch statistics, which are
    per replica by design."""
    return tiny_config(family, **{
        "train.optimizer": "sgd", "train.g_lr": 1.0, "train.d_lr": 1.0,
        "data.batch_size": 8, "generator.args.norm": "layer",
        "discriminator.args.norm": "layer"})


@pytest.mark.parametrize("family", [
    "acgan", "wgan", "wgan_gp",
    *(pytest.param(f, marks=pytest.mark.slow) for f in ("dcgan", "cgan"))])
def test_same_global_batch_gives_same_update_on_one_or_two_replicas(family):
    config = _sgd_config(family)
    one, two = _one_sgd_step(config, "default"), _one_sgd_step(config, "mirrored")
    for a, b in zip(one, two):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_d_steps_chunks_need_the_replica_arrangement():
    """Without replica_row_order, WGAN's k=2 critic chunks would hold other examples on
    2 replicas than on 1: the test above would see it."""
    config = _sgd_config("wgan")
    one = _one_sgd_step(config, "default")
    two = _one_sgd_step(config, "mirrored", arrange=False)
    assert any(not np.allclose(a, b, rtol=1e-4, atol=1e-5) for a, b in zip(one, two))


def _start_workers(tmp_path, hooks, cli_args):
    """Two ``ganzoo train`` processes forming one localhost MultiWorkerMirroredStrategy
    cluster; ``hooks(i)`` is worker i's tools/train_with_hooks.py options."""
    return [subprocess.Popen(
        [sys.executable, os.path.join(ROOT, "tools", "train_with_hooks.py"), *hooks(index),
         "--", "train", *cli_args], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, env=env) for index, env in enumerate(localhost_cluster(2))]


def _wait_for(processes, returncode):
    try:
        outputs = [p.communicate(timeout=300)[0] for p in processes]
    finally:
        for p in processes:
            p.kill()
    for p, output in zip(processes, outputs):
        assert p.returncode == returncode, output[-3000:]


def _assert_workers_agree(paths):
    first, second = (checkpointing.arrays(path) for path in paths)
    assert sorted(first) == sorted(second)
    for name in first:
        np.testing.assert_array_equal(first[name], second[name], err_msg=name)
    return first


def _multi_worker_config(tmp_path, steps):
    config = tiny_config("dcgan", **{"train.steps": steps, "train.steps_per_epoch": 3,
                                     "train.checkpoint_every": 3, "train.strategy": "multi_worker"})
    (tmp_path / "c.yaml").write_text(config.to_yaml())
    return ["--config", str(tmp_path / "c.yaml"), "--out", str(tmp_path / "run")]


@pytest.mark.slow  # ~10 s: two TF processes (suite budget)
def test_two_worker_multi_worker_mirrored_run_on_localhost(tmp_path):
    final = [str(tmp_path / f"worker{i}.weights.h5") for i in range(2)]
    _wait_for(_start_workers(tmp_path, lambda i: ["--save-final", final[i]],
                             _multi_worker_config(tmp_path, 4)), 0)
    weights = _assert_workers_agree(final)
    # Only the chief (worker 0) wrote the run directory; its last checkpoint is step 4.
    found = checkpointing.checkpoints(str(tmp_path / "run"))
    assert [step for step, _ in found] == [3, 4]
    saved = checkpointing.arrays(found[-1][1])
    assert int(saved["g_optimizer/vars/0"]) == 4
    np.testing.assert_array_equal(saved["generator/layers/conv2d_transpose/vars/0"],
                                  weights["generator/layers/conv2d_transpose/vars/0"])


@pytest.mark.slow  # four TensorFlow processes
def test_sigterm_on_one_worker_stops_both_at_one_step_then_both_resume(tmp_path):
    markers = [tmp_path / f"m{i}" for i in range(2)]
    for marker in markers:
        marker.mkdir()
    processes = _start_workers(tmp_path, lambda i: ["--pause-at", "4", "--marker",
                                                    str(markers[i])],
                               _multi_worker_config(tmp_path, 8))
    while not all((marker / "paused").exists() for marker in markers):
        assert all(p.poll() is None for p in processes), processes[0].stdout.read()
        time.sleep(0.2)
    processes[1].send_signal(signal.SIGTERM)  # the non-chief only
    for marker in markers:
        (marker / "continue").touch()
    _wait_for(processes, 128 + signal.SIGTERM)
    run_dir = str(tmp_path / "run")
    assert [step for step, _ in checkpointing.checkpoints(run_dir)] == [3, 5]
    final = [str(tmp_path / f"worker{i}.weights.h5") for i in range(2)]
    _wait_for(_start_workers(tmp_path, lambda i: ["--save-final", final[i]],
                             ["--resume", run_dir]), 0)
    _assert_workers_agree(final)
    assert [step for step, _ in checkpointing.checkpoints(run_dir)][-1] == 8


def test_bfloat16_step_stays_finite():
    """mixed_float16 is checked for every family by the harness; bfloat16 on one here
    (every family: ``pytest -m slow tests/test_family_harness.py``)."""
    harness.run_precision_test("acgan", "mixed_bfloat16")


def test_bad_tf_config_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("TF_CONFIG", "{cluster: oops")
    with pytest.raises(ValueError, match="TF_CONFIG is not valid JSON"):
        runtime.make_strategy("multi_worker")


def test_single_process_is_chief_and_votes_locally():
    strategy = runtime.make_strategy("default")
    assert runtime.is_chief(strategy) and runtime.worker_id(strategy) == (None, 0)
    assert runtime.stop_vote(strategy)(True) is True


def test_batch_that_does_not_split_over_the_replicas_is_a_clear_error(tmp_path):
    config = tiny_config("dcgan", **{"data.batch_size": 5, "train.strategy": "mirrored"})
    with pytest.raises(ValueError, match="batch_size 5 does not split evenly over 2 replicas"):
        training.train(config, str(tmp_path / "run"), verbose=0)
    assert not (tmp_path / "run").exists()


def test_batches_prefetched_to_the_device_are_the_batches_and_train():
    """On one GPU the default strategy prefetches to it; "/cpu:0" stands in for it here."""
    config = tiny_config("dcgan")
    batches, info = open_batches(config.data, 4)
    on_device = runtime.on_input_device(batches.distribute(tf.distribute.get_strategy()),
                                        "default", device="/cpu:0")
    dataset = batches.dataset()
    assert runtime.on_input_device(dataset, "mirrored", "/cpu:0") is dataset  # its own placing
    for expected, actual in zip(batches.dataset().take(3), on_device.take(3)):
        for a, b in zip(tf.nest.flatten(expected), tf.nest.flatten(actual)):
            np.testing.assert_array_equal(a, b)
    model = build_family(config, info)
    training.run_steps(model, iter(on_device), 0, 2, 1, [])
    assert int(model.g_optimizer.iterations) == 2


def test_replicas_agree_on_batch_norm_and_spectral_norm_state():
    config = tiny_config("sngan")
    strategy = runtime.make_strategy("mirrored")
    dataset, info = load_dataset(config.data, 4)
    with strategy.scope():
        model = build_family(config, info)
    training.run_steps(model, dataset, 0, 2, 1, [])
    for variable in model.non_trainable_variables:
        first, second = (copy.numpy() for copy in variable.value.values)
        np.testing.assert_array_equal(first, second, err_msg=variable.path)
