"""The discriminator of a run as a K-class classifier: held-out accuracy and export.

A family whose discriminator has class logits (``aux_classes`` = K: ``sgan``, Salimans et
al. 2016 Sec. 5, and ``acgan``, Odena et al. 2017) is a classifier once trained:
p(y | x) = softmax(l(x)) over its K class logits. For ``sgan`` this is D's K+1-class
output conditioned on "real", p(y | x, y < K+1). The realness output plays no part.

``accuracy_record`` scores it on the held-out split (``data.subsets.heldout_split`` of the
training split: ``train[80%:]`` for the ``sgan_digits`` recipe, else ``test``) with every
label of that split. ``export_classifier`` writes a SavedModel in TF Serving's layout
(``<out>/<name>/<version>/``, the generator export's marker file): signature
``serving_default``: ``images`` [batch, H, W, C] float32 in [-1, 1] -> ``probabilities``
[batch, K] float32 and ``classes`` [batch] int64; it is reloaded and checked against Keras
before it is moved into place.
"""

import dataclasses
import datetime
import os
import shutil
import tempfile

import keras
import numpy as np
import tensorflow as tf

from ganzoo import presets, runs
from ganzoo.data import load_dataset, subsets
from ganzoo.export import layout
from ganzoo.registry import METRICS

PARITY_TOLERANCE = 1e-5


def classifier_of(model):
    """A ``keras.Model`` images -> class logits [B, K] from a family's discriminator."""
    discriminator = model.discriminator
    if not getattr(discriminator, "aux_classes", 0) or discriminator.num_classes:
        raise ValueError(f"{type(model).__name__}'s discriminator is not a classifier: only "
                         "families whose D outputs class logits (sgan, acgan) are.")
    images = keras.Input(discriminator.data_shape, name="images")
    return keras.Model(images, discriminator(images)[1], name="classifier")


def load_classifier(target):
    """(classifier, DataConfig of its training data) of a run directory or a preset."""
    if runs.is_run_dir(target):
        return classifier_of(runs.load_run(target)), runs.read_run(target)[0].data
    model = presets.load_preset(target)
    if any(network is model.discriminator for network in model.untrained_networks):
        raise ValueError(f"Preset {target} holds no discriminator weights: no classifier.")
    _, spec, _ = runs.open_preset(target)
    from ganzoo import config as config_lib

    return classifier_of(model), config_lib.from_dict(spec["recipe"]).data


def predict(classifier, data, batch_size=250):
    """(labels, logits) over every example of ``data`` (a DataConfig, all labels kept)."""
    dataset, _ = load_dataset(dataclasses.replace(data, labeled_per_class=0), 1, repeat=False)
    labels, logits = [], []
    for x, y in dataset.unbatch().batch(batch_size):
        labels.append(y.numpy())
        logits.append(keras.ops.convert_to_numpy(classifier(x, training=False)))
    return np.concatenate(labels), np.concatenate(logits)


def classifier_metrics(names):
    """The names among ``names`` that score a classifier (not a generator)."""
    return tuple(name for name in names if "classifier" in METRICS.get(name).needs)


def accuracy_record(target, metrics=("accuracy",), split=None, batch_size=250):
    """An eval record (``ganzoo eval``'s keys) of the classifier of ``target`` on ``split``
    (default: the held-out complement of its training split)."""
    classifier, data = load_classifier(target)
    data = dataclasses.replace(data, split=split or subsets.heldout_split(data.split))
    labels, logits = predict(classifier, data, batch_size)
    scores = {}
    for name in metrics:
        scores.update(METRICS.get(name)(labels, logits))
    return {"target": target, "dataset": data.name, "split": data.split,
            "resolution": data.resolution, "extractor": "discriminator (class logits)",
            "protocol": "held-out classification", "n_real": int(len(labels)),
            "n_generated": 0, "metrics": scores,
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}


class _Served(tf.Module):
    def __init__(self, classifier):
        super().__init__()
        self.classifier = classifier
        shape = [None, *classifier.input_shape[1:]]

        @tf.function(input_signature=[tf.TensorSpec(shape, tf.float32, name="images")])
        def serve(images):
            probabilities = tf.nn.softmax(tf.cast(self.classifier(images), tf.float32))
            return {"probabilities": probabilities,
                    "classes": tf.argmax(probabilities, axis=1)}

        self.serve = serve


def export_classifier(target, out="exports", name=None):
    """Writes the classifier of ``target`` as the next SavedModel version of
    ``<out>/<name>`` (default name: ``<target's name>_classifier``); returns its record."""
    classifier, _ = load_classifier(target)
    name = layout.check_name(name or os.path.basename(os.path.normpath(target)) + "_classifier")
    model_dir = os.path.join(out, name)
    marker = layout.read_marker(model_dir)
    os.makedirs(model_dir, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=layout.STAGING_PREFIX, dir=model_dir)
    try:
        module = _Served(classifier)
        path = os.path.join(staging, "saved_model")
        tf.saved_model.save(module, path, signatures={"serving_default": module.serve})
        images = np.random.default_rng(0).uniform(
            -1, 1, (4, *classifier.input_shape[1:])).astype("float32")
        served = tf.saved_model.load(path).signatures["serving_default"](images=images)
        expected = tf.nn.softmax(classifier(images)).numpy()
        diff = float(np.max(np.abs(served["probabilities"].numpy() - expected)))
        if diff > PARITY_TOLERANCE:
            raise layout.ExportError(f"Exported classifier differs from Keras by {diff}.")
        version = layout.next_version(model_dir, marker)
        record = {"kind": "classifier", "source": os.fspath(target), "version": version,
                  "path": os.path.join(model_dir, str(version)), "max_abs_diff": diff,
                  "classes": int(classifier.output_shape[-1])}
        layout.record_version(model_dir, marker, version, record)
        os.rename(path, record["path"])
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return record
