"""Tests of ganzoo.metrics: the metric math against closed forms, the extractors, evaluate()."""

import json
import os
import shutil

import keras
import numpy as np
import pytest
import scipy.linalg
import tensorflow as tf

from ganzoo.hashing import sha256_of
from ganzoo.metrics import digits_classifier, evaluation, extractors, statistics


def gaussian(n, mean, cov, seed):
    return np.random.default_rng(seed).multivariate_normal(mean, cov, size=n)


def stats_of(x, batch=97):
    stats = statistics.FeatureStats(x.shape[1])
    for start in range(0, len(x), batch):
        stats.update(x[start : start + batch])
    return stats


# ---- statistics -------------------------------------------------------------------------


def test_feature_stats_streams_exact_mean_and_covariance():
    x = gaussian(1000, np.full(5, 100.0), np.diag([1.0, 2, 3, 4, 5]), seed=0)
    stats = stats_of(x)
    assert stats.count == 1000
    np.testing.assert_allclose(stats.mean, x.mean(0), rtol=1e-12)
    np.testing.assert_allclose(stats.covariance, np.cov(x, rowvar=False), rtol=1e-9)


@pytest.mark.parametrize("n, dim", [(2000, 16), (40, 64)])  # the second is rank-deficient
def test_fid_of_a_set_with_itself_is_zero(n, dim):
    stats = stats_of(np.random.default_rng(1).normal(size=(n, dim)))
    mu, sigma = stats.mean, stats.covariance
    assert abs(statistics.frechet_distance(mu, sigma, mu, sigma)) < 1e-3


def test_fid_matches_closed_form_for_gaussians():
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=(6, 6)), rng.normal(size=(6, 6))
    s1, s2 = a @ a.T + np.eye(6), b @ b.T + np.eye(6)  # non-commuting covariances
    m1, m2 = rng.normal(size=6), rng.normal(size=6)
    root1 = scipy.linalg.sqrtm(s1).real
    cross = np.sqrt(np.linalg.eigvalsh(root1 @ s2 @ root1)).sum()
    closed = np.sum((m1 - m2) ** 2) + np.trace(s1) + np.trace(s2) - 2 * cross
    assert statistics.frechet_distance(m1, s1, m2, s2) == pytest.approx(closed, rel=1e-8)

    # Streamed from samples: diagonal covariances, FID = |dm|^2 + sum (sqrt(v1) - sqrt(v2))^2.
    v1, v2 = np.array([1.0, 4.0, 0.25]), np.array([2.0, 1.0, 1.0])
    mean1, mean2 = np.zeros(3), np.array([1.0, -1.0, 0.5])
    closed = np.sum((mean1 - mean2) ** 2) + np.sum((np.sqrt(v1) - np.sqrt(v2)) ** 2)
    x, y = gaussian(200_000, mean1, np.diag(v1), 3), gaussian(200_000, mean2, np.diag(v2), 4)
    sx, sy = stats_of(x, 10_000), stats_of(y, 10_000)
    fid = statistics.frechet_distance(sx.mean, sx.covariance, sy.mean, sy.covariance)
    assert fid == pytest.approx(closed, abs=0.02)


def test_kid_is_unbiased_and_detects_a_shift():
    x = np.random.default_rng(5).normal(size=(1000, 16))
    y = np.random.default_rng(6).normal(size=(1000, 16))
    same, same_std = statistics.kernel_inception_distance(x, y, num_subsets=50, subset_size=200)
    shifted, _ = statistics.kernel_inception_distance(x, y + 0.5, num_subsets=50, subset_size=200)
    # A biased (V-statistic) estimate of MMD^2 here is ~0.1: the unbiased one is ~0.
    assert abs(same) < 0.01 and same_std < 0.02
    assert shifted > 0.5


def test_inception_score_bounds():
    uniform = np.full((100, 10), 0.1)
    assert statistics.inception_score(uniform, splits=5) == pytest.approx((1.0, 0.0))
    one_hot = np.eye(10)[np.tile(np.arange(10), 20)]  # every split holds each class twice
    mean, std = statistics.inception_score(one_hot, splits=10)
    assert mean == pytest.approx(10.0) and std == pytest.approx(0.0, abs=1e-9)


def test_precision_recall_identical_and_shifted():
    x = np.random.default_rng(7).normal(size=(500, 8)).astype(np.float32)
    assert statistics.precision_recall(x, x.copy(), batch_size=64) == (1.0, 1.0)
    y = np.random.default_rng(8).normal(size=(500, 8)).astype(np.float32)
    shifted = statistics.precision_recall(x, y + 1.5, batch_size=64)
    assert shifted == statistics.precision_recall(x, y + 1.5, batch_size=500)  # batching exact
    assert max(shifted) < 0.5


def test_precision_recall_ignore_a_common_offset():
    rng = np.random.default_rng(11)
    real = rng.normal(size=(600, 32))
    fake = 1.2 * rng.normal(size=(600, 32)) + 0.3
    before = statistics.precision_recall(real, fake)
    after = statistics.precision_recall(real + 1000, fake + 1000)
    assert 0 < min(before) and max(before) < 1
    np.testing.assert_allclose(after, before, atol=1e-6)


# ---- extractors -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def digits():
    return extractors.DigitsExtractor()


@pytest.fixture(scope="module")
def test_digits():
    return digits_classifier.digits_images("test")


def test_digits_extractor_loads_checked_weights_and_classifies(digits, test_digits):
    x, y = test_digits
    assert digits.hash == extractors.DIGITS_WEIGHTS_SHA256 == sha256_of(
        extractors.DIGITS_WEIGHTS_PATH
    )
    assert os.path.getsize(extractors.DIGITS_WEIGHTS_PATH) < 300_000
    features, logits = digits.outputs(x)
    assert features.shape == (len(x), 128) and features.dtype == np.float32
    assert np.mean(np.argmax(logits, 1) == y) >= 0.9
    # Other generator resolutions are resized to 32 inside the extractor.
    for size in (16, 64):
        resized = tf.image.resize(x, (size, size)).numpy()
        assert np.mean(np.argmax(digits.logits(resized), 1) == y) >= 0.9


def test_digits_extractor_refuses_tampered_weights(tmp_path):
    tampered = tmp_path / "digits_classifier.weights.h5"
    shutil.copy(extractors.DIGITS_WEIGHTS_PATH, tampered)
    with open(tampered, "r+b") as f:
        f.seek(-100, os.SEEK_END)
        byte = f.read(1)
        f.seek(-100, os.SEEK_END)
        f.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(ValueError, match="sha256"):
        extractors.DigitsExtractor(weights_path=str(tampered))


def test_extractor_rejects_images_outside_minus_one_one(digits):
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        digits.features(np.full((2, 32, 32, 1), 255.0, np.float32))
    with pytest.raises(ValueError, match="1 channel"):
        digits.features(np.zeros((2, 32, 32, 3), np.float32))


def test_inception_without_weights_says_where_to_put_them(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    with pytest.raises(FileNotFoundError) as error:
        extractors.get_extractor("inception")
    message = str(error.value)
    expected = tmp_path / "models" / extractors.INCEPTION_WEIGHTS_FILE
    assert str(expected) in message and "--inception-weights" in message


@pytest.mark.slow  # ~7 s: a full InceptionV3 (suite budget); fid_inception is the default
@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # inside Keras' HDF5 save
def test_inception_extractor_reads_the_keras_cache_file(tmp_path, monkeypatch):
    # A random-weights InceptionV3 in the legacy HDF5 layout of the ImageNet file, put where
    # the Keras cache keeps it: the extractor must reproduce that model's pool3 and softmax.
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    reference = keras.applications.InceptionV3(weights=None)
    (tmp_path / "models").mkdir()
    reference.save(tmp_path / "models" / extractors.INCEPTION_WEIGHTS_FILE)
    inception = extractors.get_extractor("inception")
    assert inception.resolution == 299 and inception.hash == sha256_of(
        extractors.default_inception_weights_path()
    )
    images = np.random.default_rng(9).uniform(-1, 1, (2, 64, 64, 1)).astype(np.float32)
    features, logits = inception.outputs(images)
    resized = tf.tile(tf.image.resize(images, (299, 299), antialias=True), [1, 1, 1, 3])
    pool3 = keras.Model(reference.input, reference.get_layer("avg_pool").output)
    np.testing.assert_allclose(features, pool3(resized), atol=1e-5)
    np.testing.assert_allclose(tf.nn.softmax(logits), reference(resized), atol=1e-6)
    assert features.shape == (2, 2048) and logits.shape == (2, 1000)


# ---- evaluate ---------------------------------------------------------------------------


def sampler(images):
    """sample_fn that cycles through ``images``."""
    position = [0]

    def sample(batch_size):
        index = np.arange(position[0], position[0] + batch_size) % len(images)
        position[0] += batch_size
        return images[index]

    return sample


def noise(batch_size):
    return np.random.default_rng(batch_size).uniform(-1, 1, (batch_size, 32, 32, 1))


@pytest.fixture(scope="module")
def real_train():
    x, y = digits_classifier.digits_images("train")
    return tf.data.Dataset.from_tensor_slices((x, y)).batch(128)


def test_evaluate_separates_real_digits_from_noise(digits, test_digits, real_train):
    x_test, _ = test_digits
    real = evaluation.evaluate(sampler(x_test), real_train, digits, n=400, batch_size=64)
    fake = evaluation.evaluate(noise, real_train, digits, n=400, batch_size=64)
    json.dumps(real)
    assert real["n_real"] == real["n_generated"] == 400
    assert real["extractor"] == "digits" and real["extractor_sha256"] == digits.hash
    assert real["resize"] == "bilinear"
    assert real["fid"] * 20 < fake["fid"]
    assert real["kid"] * 20 < fake["kid"]
    assert real["precision"] > 0.7 and real["recall"] > 0.7 and fake["precision"] < 0.1
    assert real["is"] > 7 and fake["is"] < 3


def test_reference_stats_cache(tmp_path, digits, real_train):
    key = ("digits", "train", 32)
    first = evaluation.reference_stats(real_train, digits, n=300, cache_dir=tmp_path, ref_key=key)
    assert os.listdir(tmp_path) == [os.path.basename(
        evaluation.reference_path(tmp_path, key, digits, 300))]
    cached = evaluation.reference_stats(None, digits, n=300, cache_dir=tmp_path, ref_key=key)
    assert cached.count == 300
    np.testing.assert_array_equal(cached.covariance, first.covariance)
    np.testing.assert_array_equal(cached.features, first.features)


def test_evaluate_under_a_distribution_strategy(test_digits, real_train):
    x_test, _ = test_digits
    strategy = tf.distribute.MirroredStrategy(["/cpu:0"])
    with strategy.scope():
        digits = extractors.get_extractor("digits")
        scores = evaluation.evaluate(
            sampler(x_test), real_train, digits, metrics=("fid", "is"), n=200, batch_size=50
        )
    plain = evaluation.evaluate(
        sampler(x_test), real_train, extractors.DigitsExtractor(), ("fid", "is"), 200, 50
    )
    assert scores["fid"] == pytest.approx(plain["fid"], rel=1e-4)
    assert scores["is"] == pytest.approx(plain["is"], rel=1e-4)


def test_unknown_metric_lists_choices(digits):
    with pytest.raises(ValueError, match="Valid choices: accuracy, fid, is, kid, pr"):
        evaluation.evaluate(noise, None, digits, metrics=("fd",), n=10)
