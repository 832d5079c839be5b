"""Multi-worker input: two localhost workers of one MultiWorkerMirroredStrategy cluster
read disjoint shares of every global batch, which together are the batch one process
reads (each worker reads only its rows, ganzoo.data.batches), so one epoch of the two
workers covers every example once."""

import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import localhost_cluster

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
EXAMPLES, GLOBAL_BATCH = 256, 32  # one epoch = 8 steps
STEPS = EXAMPLES // GLOBAL_BATCH


def _points():
    """Example i is the point (i, -i): its id can be read back from any batch."""
    ids = np.arange(EXAMPLES, dtype=np.float32)
    return np.stack([ids, -ids], axis=1)


def _ids(batch):
    return np.asarray(batch)[:, 0].astype(int)


def _open(points):
    """The batches training reads, under the global seed training sets (tf.data's seeded
    shuffle depends on it too, and earlier tests in this process set others)."""
    import keras

    from ganzoo.config import DataConfig
    from ganzoo.data import arrays, open_batches

    keras.utils.set_random_seed(0)
    source = arrays.Source(arrays.UserData(points, name="ids"))
    with arrays.registered(source):
        return open_batches(DataConfig(name=source.name), GLOBAL_BATCH, seed=0)[0]


def worker(out):
    """Run by each worker process: the example ids of its batches, step by step."""
    from ganzoo import runtime

    strategy = runtime.make_strategy("multi_worker")
    iterator = iter(_open(_points()).distribute(strategy))  # as training reads it
    steps = [np.concatenate([_ids(part) for part in
                             strategy.experimental_local_results(next(iterator))])
             for _ in range(STEPS)]
    np.save(out, np.stack(steps))


@pytest.mark.slow  # two TensorFlow processes forming a cluster (~20 s)
def test_two_workers_read_disjoint_shares_of_each_global_batch(tmp_path):
    outs = [str(tmp_path / f"worker{i}.npy") for i in range(2)]
    processes = [subprocess.Popen(
        [sys.executable, "-c", f"import test_multiworker; test_multiworker.worker({out!r})"],
        cwd=HERE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**env, "PYTHONPATH": os.pathsep.join([ROOT, HERE])})
        for out, env in zip(outs, localhost_cluster(2))]
    try:
        logs = [p.communicate(timeout=300)[0] for p in processes]
    finally:
        for p in processes:
            p.kill()
    for p, log in zip(processes, logs):
        assert p.returncode == 0, log[-3000:]
    first, second = (np.load(out) for out in outs)
    assert first.shape == second.shape == (STEPS, GLOBAL_BATCH // 2)
    one_process = [_ids(batch) for batch in _open(_points()).dataset().take(STEPS)]
    for step in range(STEPS):
        assert not set(first[step]) & set(second[step]), f"step {step}: shared examples"
        assert sorted([*first[step], *second[step]]) == sorted(one_process[step]), step
    assert sorted(np.concatenate([first.ravel(), second.ravel()])) == list(range(EXAMPLES))
