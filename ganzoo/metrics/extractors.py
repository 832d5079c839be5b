"""Feature extractors behind one interface: ``features(images)`` and ``logits(images)``.

Images go in as the generators emit them: NHWC float in [-1, 1], any height/width, 1 or 3
channels. Each extractor resizes to its own input size itself (bilinear; antialiased except
for ``fid_inception``, which resizes exactly as pytorch-fid does).

- ``fid_inception``: the Inception network that FID is defined on (Heusel et al. 2017; the
  TTUR 2015-12-05 graph as pytorch-fid runs it, ``fid_inception.py``); features = pool3
  (2048-d), logits = its 1008 classes. Weights from ``pt_inception-2015-12-05-6726825d.pth``
  (or an .npz with the same names), found by ``find_fid_weights`` or given; never downloaded.
  With that file (sha256 starting 6726825d) FID/KID/IS compare with published numbers.
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
from ganzoo.io.tensors import read_state_dict
from ganzoo.metrics import digits_classifier, fid_inception
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
FID_WEIGHTS_FILE = "pt_inception-2015-12-05-6726825d.pth"
FID_WEIGHTS_SHA256_PREFIX = "6726825d"  # torch hub names files by their sha256's start
FID_WEIGHTS_URL = ("https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/"
                   + FID_WEIGHTS_FILE)
FID_PROTOCOL = "pytorch-fid Inception (TTUR 2015-12-05 graph)"


class FeatureExtractor:
    """A Keras model with two outputs (features, logits) and the resizing in front of it.

    Attributes: ``name``, ``hash`` (sha256 of the weights file), ``resolution`` (model input
    size), ``channels`` (model input channels), ``feature_dim``, ``resize_method``,
    ``protocol`` (what the numbers compare with).
    """

    name = None
    channels = None
    protocol = None

    def __init__(self, model, weights_sha256):
        self._model = model
        self.hash = weights_sha256
        self.resolution = model.input_shape[1]
        self.feature_dim = model.output_shape[0][-1]
        self.resize_method = RESIZE_METHOD
        self._forward = tf.function(self._forward_impl, reduce_retracing=True)

    def _resize(self, images):
        size = (self.resolution, self.resolution)
        if tuple(images.shape[1:3]) != size:
            images = tf.image.resize(images, size, method=RESIZE_METHOD, antialias=True)
        return images

    def _forward_impl(self, images):
        features, logits = self._model(self._resize(images), training=False)
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
        if images.shape[-1] == 1 and self.channels == 3:
            # Here, not in the traced function: with reduce_retracing its channels are unknown.
            images = tf.tile(images, [1, 1, 1, 3])
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
    protocol = "Keras ImageNet InceptionV3 (comparable within ganzoo only)"

    def __init__(self, weights_path=None):
        path = weights_path or default_inception_weights_path()
        if not os.path.isfile(path):
            raise FileNotFoundError(
                f"InceptionV3 ImageNet weights not found at {path}. ganzoo never downloads "
                f"them: fetch {INCEPTION_WEIGHTS_URL} on a machine with network access, then "
                f"put it at {default_inception_weights_path()} (the Keras cache) or pass its "
                f"path with --inception-weights PATH (InceptionExtractor(weights_path=PATH)). "
                f"For FID comparable with papers, put {FID_WEIGHTS_FILE} in "
                f"{fid_weights_candidates()[0]} instead (or pass --fid-weights PATH); for "
                f"digits models, --extractor digits works offline."
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
    protocol = "ganzoo digits classifier (comparable within ganzoo only)"

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


@EXTRACTORS.register("fid_inception")
class FIDInceptionExtractor(FeatureExtractor):
    """The FID Inception: pool3 (2048-d) and 1008 logits, weights read from a local file.

    Args:
        weights_path: str, default None (the first of ``fid_weights_candidates()`` that
            exists): pytorch-fid's ``pt_inception-2015-12-05-6726825d.pth`` or a .pth/.npz
            state dict with the same names. ``protocol`` says whether its sha256 is the
            official file's (``FID_PROTOCOL``) or not ("custom weights").
    """

    name = "fid_inception"
    channels = 3

    def __init__(self, weights_path=None):
        path = weights_path or find_fid_weights()
        if not path or not os.path.isfile(path):
            where = path or " or ".join(fid_weights_candidates())
            raise FileNotFoundError(
                f"FID Inception weights not found at {where}. ganzoo never downloads them: fetch {FID_WEIGHTS_URL} on a machine with "
                f"network access, then put it at {fid_weights_candidates()[0]} or pass its path "
                f"with --fid-weights PATH (get_extractor('fid_inception', weights_path=PATH)).")
        digest = sha256_of(path)
        official = digest.startswith(FID_WEIGHTS_SHA256_PREFIX)
        model = fid_inception.build_fid_inception()
        fid_inception.load_state_dict(model, read_state_dict(path))
        super().__init__(model, digest)
        self.protocol = FID_PROTOCOL if official else "custom weights"
        self.resize_method = "bilinear, no antialias (pytorch-fid)"

    def _resize(self, images):
        """pytorch-fid's input path: [-1, 1] -> [0, 1] (the range it takes), bilinear resize to
        299 with half-pixel centres (align_corners=False) and no antialiasing, then 2x - 1."""
        unit = (images + 1) / 2
        size = (self.resolution, self.resolution)
        return 2 * tf.image.resize(unit, size, method=RESIZE_METHOD, antialias=False) - 1


def fid_weights_candidates():
    """Where ganzoo looks for ``pt_inception-2015-12-05-6726825d.pth``, in order:
    $GANZOO_HOME/weights (default ~/.ganzoo/weights), then torch hub's checkpoint cache
    ($TORCH_HOME/hub/checkpoints, default ~/.cache/torch/hub/checkpoints)."""
    home = os.path.expanduser("~")
    ganzoo_home = os.environ.get("GANZOO_HOME") or os.path.join(home, ".ganzoo")
    torch_home = os.environ.get("TORCH_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(home, ".cache"), "torch")
    return [os.path.join(ganzoo_home, "weights", FID_WEIGHTS_FILE),
            os.path.join(torch_home, "hub", "checkpoints", FID_WEIGHTS_FILE)]


def find_fid_weights():
    """The first of ``fid_weights_candidates()`` that exists, else None."""
    return next((path for path in fid_weights_candidates() if os.path.isfile(path)), None)


def get_extractor(name, **kwargs):
    """Builds the extractor registered as ``name`` ("fid_inception", "inception", "digits").

    Example: ``get_extractor("fid_inception", weights_path=PATH).features(images)``.
    """
    return EXTRACTORS.get(name)(**kwargs)
