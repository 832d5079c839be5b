"""Feature extractors behind one interface: ``features(images)`` and ``logits(images)``.

Images go in as the generators emit them: NHWC float in [-1, 1], any height/width, 1 or 3
channels. Each extractor resizes to its own input size (bilinear, antialiased) itself.

- ``inception``: keras.applications.InceptionV3 with ImageNet weights read from a local file
  (never downloaded); features = pool3 (2048-d), logits = the 1000 ImageNet classes. Note these
  are the Keras weights, not the TF1 graph of the FID paper (Heusel et al. 2017), so absolute
  values are comparable within ganzoo, not with published tables.
- ``digits``: the tiny classifier of ``digits_classifier.py`` (128-d features, 10 logits), its
  shipped weights checked against a sha256 before loading, so evaluation works offline.

Extractors are plain Keras calls on batches: build one inside ``strategy.scope()`` and call it
from the cross-replica context (e.g. a training callback) as usual.
"""

import os

import keras
import tensorflow as tf

from ganzoo.hashing import sha256_of
from ganzoo.metrics import digits_classifier
from ganzoo.registry import Registry

EXTRACTORS = Registry("feature extractor")

RESIZE_METHOD = "bilinear"
INCEPTION_WEIGHTS_FILE = "inception_v3_weights_tf_dim_ordering_tf_kernels.h5"
INCEPTION_WEIGHTS_URL = (
    "https://storage.googleapis.com/tensorflow/keras-applications/inception_v3/"
    + INCEPTION_WEIGHTS_FILE
)
DIGITS_WEIGHTS_PATH = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "weights", "digits_classifier.weights.h5"
)
DIGITS_WEIGHTS_SHA256 = "00985c575fb31cf25f14cf54273836022dfe5a90e0e09e5124a78d419a6a87d9"


class FeatureExtractor:
    """A Keras model with two outputs (features, logits) and the resizing in front of it.

    Attributes: ``name``, ``hash`` (sha256 of the weights file), ``resolution`` (model input
    size), ``channels`` (model input channels), ``feature_dim``, ``resize_method``.
    """

    name = None
    channels = None

    def __init__(self, model, weights_sha256):
        self._model = model
        self.hash = weights_sha256
        self.resolution = model.input_shape[1]
        self.feature_dim = model.output_shape[0][-1]
        self.resize_method = RESIZE_METHOD
        self._forward = tf.function(self._forward_impl, reduce_retracing=True)

    def _forward_impl(self, images):
        size = (self.resolution, self.resolution)
        if tuple(images.shape[1:3]) != size:
            images = tf.image.resize(images, size, method=RESIZE_METHOD, antialias=True)
        if images.shape[-1] == 1 and self.channels == 3:
            images = tf.tile(images, [1, 1, 1, 3])
        features, logits = self._model(images, training=False)
        return features, logits

    def outputs(self, images):
        """(features [B, D], logits [B, C]) as float32 numpy arrays, in one forward pass."""
        images = tf.cast(tf.convert_to_tensor(images), tf.float32)
        channels = sorted({1, self.channels})
        if images.shape.rank != 4 or images.shape[-1] not in channels:
            raise ValueError(
                f"{self.name} extractor expects NHWC images with {' or '.join(map(str, channels))}"
                f" channel(s), got shape {images.shape}."
            )
        if tf.reduce_min(images) < -1.01 or tf.reduce_max(images) > 1.01:
            raise ValueError(f"{self.name} extractor expects images in [-1, 1].")
        features, logits = self._forward(images)
        return features.numpy(), logits.numpy()

    def features(self, images):
        return self.outputs(images)[0]

    def logits(self, images):
        return self.outputs(images)[1]


@EXTRACTORS.register("inception")
class InceptionExtractor(FeatureExtractor):
    """InceptionV3 pool3 features (2048-d) and ImageNet logits, weights from a local file."""

    name = "inception"
    channels = 3

    def __init__(self, weights_path=None):
        path = weights_path or default_inception_weights_path()
        if not os.path.isfile(path):
            raise FileNotFoundError(
                f"InceptionV3 ImageNet weights not found at {path}. ganzoo never downloads "
                f"them: fetch {INCEPTION_WEIGHTS_URL} on a machine with network access, then "
                f"put it at {default_inception_weights_path()} (the Keras cache) or pass its "
                f"path with --inception-weights PATH (InceptionExtractor(weights_path=PATH)). "
                f"For digits models, --extractor digits works offline."
            )
        base = keras.applications.InceptionV3(weights=path, classifier_activation=None)
        model = keras.Model(base.input, [base.get_layer("avg_pool").output, base.output])
        super().__init__(model, sha256_of(path))


def default_inception_weights_path():
    keras_home = os.environ.get("KERAS_HOME", os.path.join(os.path.expanduser("~"), ".keras"))
    return os.path.join(keras_home, "models", INCEPTION_WEIGHTS_FILE)


@EXTRACTORS.register("digits")
class DigitsExtractor(FeatureExtractor):
    """The shipped digits classifier: 128-d features and 10 logits at 32x32, 1 channel."""

    name = "digits"
    channels = 1

    def __init__(self, weights_path=None):
        weights_path = weights_path or DIGITS_WEIGHTS_PATH
        found = sha256_of(weights_path)
        if found != DIGITS_WEIGHTS_SHA256:
            raise ValueError(
                f"Refusing to load {weights_path}: sha256 {found} does not match the expected "
                f"{DIGITS_WEIGHTS_SHA256}. Restore the file shipped with ganzoo (or retrain it "
                f"with ganzoo.metrics.digits_classifier.train_digits_classifier and update "
                f"DIGITS_WEIGHTS_SHA256)."
            )
        model = digits_classifier.build_digits_classifier(digits_classifier.RESOLUTION)
        model.load_weights(weights_path)
        super().__init__(model, found)


def get_extractor(name, **kwargs):
    """Builds the extractor registered as ``name`` ("inception" or "digits")."""
    return EXTRACTORS.get(name)(**kwargs)
