"""Where training runs: the tf.distribute strategy and the mixed-precision policy.

Call ``set_precision`` before any network is built, and build everything inside
``make_strategy(...).scope()``. ``multi_worker`` is ``MultiWorkerMirroredStrategy``
configured by the standard ``TF_CONFIG`` environment variable (see README, "Scale out
and resume"); create it before any other TensorFlow work in the process.
"""

import json
import os

import keras
import tensorflow as tf

from ganzoo.registry import unknown_name


def set_precision(precision):
    """Sets Keras' global dtype policy: float32, mixed_float16 or mixed_bfloat16."""
    keras.mixed_precision.set_global_policy(precision)


def _check_tf_config():
    try:
        json.loads(os.environ.get("TF_CONFIG") or "{}")
    except json.JSONDecodeError as error:
        raise ValueError(f"TF_CONFIG is not valid JSON ({error}); see README, "
                         "'Scale out and resume', for its format.") from None


def make_strategy(name):
    """default: one device. mirrored: every GPU, or every logical CPU when there is no
    GPU. multi_worker: MultiWorkerMirroredStrategy configured by the TF_CONFIG env var."""
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        gpus = tf.config.list_logical_devices("GPU")
        if gpus:
            return tf.distribute.MirroredStrategy([d.name for d in gpus])
        # Collective all-reduce between logical CPUs can pair up mismatched collectives
        # (seen: "Shape mismatch in the collective instance"); reduce on one device instead.
        cpus = tf.config.list_logical_devices("CPU")
        return tf.distribute.MirroredStrategy(
            [d.name for d in cpus], cross_device_ops=tf.distribute.ReductionToOneDevice())
    if name == "multi_worker":
        _check_tf_config()
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise ValueError(unknown_name("strategy", name, ("default", "mirrored", "multi_worker")))


def on_input_device(batches, strategy_name, device=None):
    """``batches`` (a strategy's distribution of a dataset) prefetched to ``device`` under the
    default strategy: by default the first GPU, so that the copy of the next batch overlaps
    the current step; unchanged without a GPU, and under tf.distribute strategies, which
    place each replica's input on its device themselves."""
    gpus = tf.config.list_logical_devices("GPU")
    device = device or (gpus[0].name if gpus else None)
    if strategy_name != "default" or device is None:
        return batches
    return batches.apply(tf.data.experimental.prefetch_to_device(device, buffer_size=2))


def is_multi_worker(strategy):
    return isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)


def worker_id(strategy):
    """(task type, task id) of this process; (None, 0) outside a cluster."""
    resolver = getattr(strategy, "cluster_resolver", None) if is_multi_worker(strategy) else None
    if resolver is None or not resolver.task_type:
        return None, 0
    return resolver.task_type, resolver.task_id


def is_chief(strategy):
    """True for the one process that writes the run directory: the 'chief' task, or
    worker 0 when the cluster has no chief, or the only process."""
    task_type, task_id = worker_id(strategy)
    if task_type is None or task_type == "chief":
        return True
    cluster = strategy.cluster_resolver.cluster_spec().as_dict()
    return task_type == "worker" and task_id == 0 and "chief" not in cluster


def stop_vote(strategy):
    """A function flag -> bool that is True on every worker as soon as any worker's flag
    is, so that all workers stop at the same step (one tiny all-reduce per call)."""
    if not is_multi_worker(strategy):
        return bool

    @tf.function
    def votes(flag):
        per_replica = strategy.run(lambda f: tf.cast(f, tf.int32), args=(flag,))
        return strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None)

    return lambda flag: bool(votes(tf.constant(bool(flag))) > 0)
