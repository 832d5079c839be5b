"""sgan: held-out slices and labeled subsets of the data, and the K+1-class objective."""

import dataclasses
import types

import numpy as np
import pytest
import tensorflow as tf
from conftest import tiny_config

from ganzoo import config as config_lib
from ganzoo.factory import build_family
from ganzoo.data import load_dataset, subsets


def _examples(data):
    dataset, info = load_dataset(data, 1, repeat=False)
    x, y = next(dataset.unbatch().batch(4096).as_numpy_iterator())
    return x, y, info


def test_slices_are_disjoint_and_heldout_is_the_complement():
    assert subsets.heldout_split("train[:80%]") == "train[80%:]"
    assert subsets.heldout_split("train[20%:]") == "train[:20%]"
    assert subsets.heldout_split("train") == "test"
    with pytest.raises(subsets.DatasetError, match="one split"):
        load_dataset(config_lib.DataConfig(resolution=8, split="test"), 4)
    data = config_lib.DataConfig(resolution=8, split="train[:80%]")
    fit, _, info = _examples(data)
    held, _, _ = _examples(dataclasses.replace(data, split=subsets.heldout_split(data.split)))
    assert (len(fit), len(held), info.num_examples) == (1437, 360, 1437)
    rows = {row.tobytes() for row in fit.reshape(len(fit), -1)}
    assert not rows & {row.tobytes() for row in held.reshape(len(held), -1)}


def test_labeled_subset_is_per_class_seeded_and_recorded():
    data = config_lib.DataConfig(resolution=8, split="train[:80%]", labeled_per_class=3,
                                 shuffle_buffer=1)  # dataset order, as recorded
    _, labels, info = _examples(data)
    assert np.bincount(labels[labels >= 0]).tolist() == [3] * 10
    assert (labels == subsets.UNLABELED).sum() == 1437 - 30
    assert info.labeled["count"] == 30 and np.flatnonzero(labels >= 0).tolist() == sorted(
        info.labeled["indices"])
    classes = np.arange(100) % 10
    draw = subsets.labeled_indices(classes, 3, 10, 0)
    assert np.bincount(classes[draw]).tolist() == [3] * 10
    assert draw.tolist() == subsets.labeled_indices(classes, 3, 10, 0).tolist()
    assert draw.tolist() != subsets.labeled_indices(classes, 3, 10, 1).tolist()


def test_labeled_per_class_is_refused_by_supervised_families():
    with pytest.raises(config_lib.ConfigError, match="semi-supervised"):
        tiny_config("cgan", **{"data.labeled_per_class": 5})


def test_d_loss_is_the_k_plus_one_class_objective():
    """With l_{K+1} = 0: supervised CE over the K logits on labeled rows only, and the
    unsupervised loss -log(1 - p(K+1|x)) on real, -log p(K+1|G(z)) on generated rows."""
    config = tiny_config("sgan")
    _, info = load_dataset(config.data, 4)
    model = build_family(config, info)
    rng = np.random.default_rng(0)
    real_logits, fake_logits = rng.normal(size=(2, 4, 10)).astype("float32")
    outputs = iter([real_logits, fake_logits])
    model.class_logits = lambda x, training=True: next(outputs)
    labels = np.array([3, -1, 7, -1], "int32")
    loss = float(model.d_loss(np.zeros((4, 8, 8, 1), "float32"), labels))

    def k_plus_one(logits):
        full = np.concatenate([logits, np.zeros((4, 1))], axis=1).astype(np.float64)
        return np.exp(full - full.max(1, keepdims=True)) / np.exp(
            full - full.max(1, keepdims=True)).sum(1, keepdims=True)

    real_p, fake_p = k_plus_one(real_logits), k_plus_one(fake_logits)
    supervised = -np.mean([np.log(real_p[0, 3] / (1 - real_p[0, 10])),
                           np.log(real_p[2, 7] / (1 - real_p[2, 10]))])
    unsupervised = -np.mean(np.log(1 - real_p[:, 10])) - np.mean(np.log(fake_p[:, 10]))
    np.testing.assert_allclose(loss, supervised + unsupervised, rtol=1e-5)
    realness = set(map(id, model.discriminator.realness.trainable_variables))
    assert not realness & set(map(id, model.variables_of(model.discriminator)))


def test_eval_accuracy_on_the_heldout_split_and_classifier_export(tmp_path):
    from ganzoo import classifier, training
    from ganzoo.metrics import report

    config = tiny_config("sgan", **{"data.split": "train[:80%]", "data.labeled_per_class": 2,
                                    "train.steps": 1})
    run = str(tmp_path / "sgan")
    training.train(config, run, verbose=0)
    with open(f"{run}/model.json") as f:
        assert '"per_class": 2' in f.read()
    record, out = report.evaluate_target(run, report.parse_metrics("accuracy"))
    assert out == f"{run}/eval.json" and (record["split"], record["n_real"]) == ("train[80%:]",
                                                                              360)
    assert 0.0 <= record["metrics"]["accuracy"] <= 1.0
    exported = classifier.export_classifier(run, str(tmp_path / "exports"))
    assert exported["max_abs_diff"] <= classifier.PARITY_TOLERANCE
    served = tf.saved_model.load(exported["path"]).signatures["serving_default"]
    images = np.zeros((3, 8, 8, 1), "float32")
    assert served(images=images)["probabilities"].shape == (3, 10)
    cgan = types.SimpleNamespace(discriminator=types.SimpleNamespace(aux_classes=0))
    with pytest.raises(ValueError, match="not a classifier"):
        classifier.classifier_of(cgan)
