"""Where training runs: the tf.distribute strategy and the mixed-precision policy.

Call ``set_precision`` before any network is built, and build everything inside
``make_strategy(...).scope()``.
"""

import keras
import tensorflow as tf


def set_precision(precision):
    """Sets Keras' global dtype policy: float32, mixed_float16 or mixed_bfloat16."""
    keras.mixed_precision.set_global_policy(precision)


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
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise ValueError(f"Unknown strategy '{name}'. Valid choices: default, mirrored, multi_worker.")
