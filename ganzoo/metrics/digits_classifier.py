"""A tiny conv net on scikit-learn's digits: the offline feature extractor for digits GANs.

The shipped weights (``weights/digits_classifier.weights.h5``) were produced by
``train_digits_classifier("ganzoo/metrics/weights/digits_classifier.weights.h5")``:
held-out accuracy 0.989 on the 450-image test split (bilinear upsampling), and
0.987 with nearest-neighbour upsampling.
Retraining writes a new file: paste the sha256 it prints into
``extractors.DIGITS_WEIGHTS_SHA256``.

Images follow the zoo's convention: NHWC, 1 channel, values in [-1, 1]; the 8x8 digits are
resized to 32x32. Training sees both bilinear and nearest upsampling and +-2 px shifts, so
the features do not hinge on one data pipeline's resize choice.
"""

import keras
import numpy as np
import sklearn.datasets
import sklearn.model_selection
import tensorflow as tf

from ganzoo.hashing import sha256_of

RESOLUTION = 32
FEATURE_DIM = 128


def digits_images(split, resolution=RESOLUTION, method="bilinear"):
    """(images [N, r, r, 1] float32 in [-1, 1], labels [N]) of a fixed 75/25 stratified split."""
    digits = sklearn.datasets.load_digits()
    images = digits.images.astype(np.float32) / 8.0 - 1.0
    train, test = sklearn.model_selection.train_test_split(
        np.arange(len(images)), test_size=0.25, stratify=digits.target, random_state=0
    )
    index = {"train": train, "test": test}[split]
    x = tf.image.resize(images[index, :, :, None], (resolution, resolution), method=method)
    return np.clip(x.numpy(), -1.0, 1.0), digits.target[index]


def build_digits_classifier(resolution=RESOLUTION):
    """Conv net with two outputs: 128-d penultimate features and 10 class logits.

    Convolutions and global pooling keep the weights independent of ``resolution``.
    """
    inputs = keras.Input((resolution, resolution, 1))
    x = keras.layers.Conv2D(16, 3, padding="same", activation="relu")(inputs)
    for filters in (32, 48, 64):
        x = keras.layers.Conv2D(filters, 3, strides=2, padding="same", activation="relu")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    features = keras.layers.Dense(FEATURE_DIM, activation="relu", name="features")(x)
    logits = keras.layers.Dense(10, name="logits")(keras.layers.Dropout(0.3)(features))
    return keras.Model(inputs, [features, logits], name="digits_classifier")


def train_digits_classifier(path, resolution=RESOLUTION, epochs=40, seed=0):
    """Trains the classifier, saves weights-only to ``path``, returns (test accuracy, sha256)."""
    keras.utils.set_random_seed(seed)
    x_bilinear, y = digits_images("train", resolution, "bilinear")
    x_nearest, _ = digits_images("train", resolution, "nearest")
    x_train, y_train = np.concatenate([x_bilinear, x_nearest]), np.concatenate([y, y])

    model = build_digits_classifier(resolution)
    shift = keras.layers.RandomTranslation(2 / resolution, 2 / resolution, fill_value=-1.0)
    inputs = keras.Input((resolution, resolution, 1))
    trainer = keras.Model(inputs, model(shift(inputs))[1])
    trainer.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    trainer.fit(x_train, y_train, batch_size=64, epochs=epochs, verbose=2)
    model.save_weights(path)

    accuracies = []
    for method in ("bilinear", "nearest"):
        x_test, y_test = digits_images("test", resolution, method)
        predicted = np.argmax(model.predict(x_test, verbose=0)[1], axis=1)
        accuracies.append(float(np.mean(predicted == y_test)))
    sha256 = sha256_of(path)
    print(f"test accuracy bilinear={accuracies[0]:.4f} nearest={accuracies[1]:.4f}")
    print(f"sha256 {sha256}")
    return accuracies[0], sha256
