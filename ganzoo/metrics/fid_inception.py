"""The Inception-v3 of FID: the 2015-12-05 TF graph of the TTUR code, as pytorch-fid runs it.

FID (Heusel et al. 2017, "GANs Trained by a Two Time-Scale Update Rule Converge to a Local
Nash Equilibrium") is defined on the 2048-d pool3 features of this network, Inception-v3
(Szegedy et al. 2016, "Rethinking the Inception Architecture for Computer Vision") as
exported in 2015. A Keras port of ``InceptionV3`` / ``fid_inception_v3`` in
mseitzer/pytorch-fid ``src/pytorch_fid/inception.py`` (the standard blocks as in
torchvision ``models/inception.py``), with that graph's quirks:

- input: x in [0, 1], resized to 299x299 by bilinear interpolation with half-pixel centres
  (align_corners=False) and no antialiasing, then mapped to 2x - 1 in [-1, 1];
- each BasicConv2d is relu(BN(conv(x))), BN(y) = gamma (y - mean) / sqrt(var + 0.001) + beta.
  It is folded into the convolution: kernel * s and bias beta - mean * s, s = gamma /
  sqrt(var + 0.001), computed in float64;
- the 3x3 stride-1 average pools of Mixed_5b-5d, 6b-6e and 7b divide by the number of
  pixels inside the image (TF's SAME average pool; count_include_pad=False in torch);
- Mixed_7c pools its input with a 3x3 stride-1 max pool instead (a bug of the 2015 graph);
- pool3 = spatial mean of Mixed_7c [N, 2048]; logits = fc(pool3) [N, 1008] (Inception Score).

Layers carry the torch module names (``Mixed_6b.branch7x7_2``), so a state dict maps onto
them by name: ``<name>.conv.weight`` [out, in, kh, kw] and ``<name>.bn.{weight, bias,
running_mean, running_var}`` per convolution, ``fc.weight`` [1008, 2048] and ``fc.bias``.
"""

import numpy as np
from keras import Input, Model, layers

INPUT_SIZE = 299
BN_EPSILON = 1e-3
NUM_LOGITS = 1008
BLOCK_ENDS = ("maxpool1", "maxpool2", "Mixed_6e")  # pytorch-fid's blocks 0, 1, 2


def _conv(x, name, filters, kernel, strides=1, padding="same"):
    """BasicConv2d with its BatchNorm folded in: relu(conv(x) + bias)."""
    return layers.Conv2D(filters, kernel, strides, padding, activation="relu", name=name)(x)


def _avg_pool(x):
    return layers.AveragePooling2D(3, 1, "same")(x)


def _concat(name, tensors):
    return layers.Concatenate(name=name)(tensors)


def _inception_a(x, name, pool_features):
    """Mixed_5b-5d: 1x1 | 1x1-5x5 | 1x1-3x3-3x3 | avg pool-1x1."""
    b5 = _conv(x, f"{name}.branch5x5_1", 48, 1)
    d3 = _conv(x, f"{name}.branch3x3dbl_1", 64, 1)
    d3 = _conv(d3, f"{name}.branch3x3dbl_2", 96, 3)
    return _concat(name, [
        _conv(x, f"{name}.branch1x1", 64, 1),
        _conv(b5, f"{name}.branch5x5_2", 64, 5),
        _conv(d3, f"{name}.branch3x3dbl_3", 96, 3),
        _conv(_avg_pool(x), f"{name}.branch_pool", pool_features, 1),
    ])


def _inception_b(x, name):
    """Mixed_6a, 35 -> 17: 3x3/2 | 1x1-3x3-3x3/2 | max pool 3x3/2."""
    d3 = _conv(x, f"{name}.branch3x3dbl_1", 64, 1)
    d3 = _conv(d3, f"{name}.branch3x3dbl_2", 96, 3)
    return _concat(name, [
        _conv(x, f"{name}.branch3x3", 384, 3, 2, "valid"),
        _conv(d3, f"{name}.branch3x3dbl_3", 96, 3, 2, "valid"),
        layers.MaxPooling2D(3, 2)(x),
    ])


def _inception_c(x, name, c7):
    """Mixed_6b-6e: 1x1 | 1x1-1x7-7x1 | 1x1-7x1-1x7-7x1-1x7 | avg pool-1x1."""
    b7 = _conv(x, f"{name}.branch7x7_1", c7, 1)
    b7 = _conv(b7, f"{name}.branch7x7_2", c7, (1, 7))
    d7 = x
    for i, (filters, kernel) in enumerate(
            [(c7, 1), (c7, (7, 1)), (c7, (1, 7)), (c7, (7, 1)), (192, (1, 7))], 1):
        d7 = _conv(d7, f"{name}.branch7x7dbl_{i}", filters, kernel)
    return _concat(name, [
        _conv(x, f"{name}.branch1x1", 192, 1),
        _conv(b7, f"{name}.branch7x7_3", 192, (7, 1)),
        d7,
        _conv(_avg_pool(x), f"{name}.branch_pool", 192, 1),
    ])


def _inception_d(x, name):
    """Mixed_7a, 17 -> 8: 1x1-3x3/2 | 1x1-1x7-7x1-3x3/2 | max pool 3x3/2."""
    b3 = _conv(x, f"{name}.branch3x3_1", 192, 1)
    b7 = _conv(x, f"{name}.branch7x7x3_1", 192, 1)
    b7 = _conv(b7, f"{name}.branch7x7x3_2", 192, (1, 7))
    b7 = _conv(b7, f"{name}.branch7x7x3_3", 192, (7, 1))
    return _concat(name, [
        _conv(b3, f"{name}.branch3x3_2", 320, 3, 2, "valid"),
        _conv(b7, f"{name}.branch7x7x3_4", 192, 3, 2, "valid"),
        layers.MaxPooling2D(3, 2)(x),
    ])


def _inception_e(x, name, pool):
    """Mixed_7b/7c: 1x1 | 1x1-(1x3, 3x1) | 1x1-3x3-(1x3, 3x1) | pool-1x1."""
    b3 = _conv(x, f"{name}.branch3x3_1", 384, 1)
    d3 = _conv(x, f"{name}.branch3x3dbl_1", 448, 1)
    d3 = _conv(d3, f"{name}.branch3x3dbl_2", 384, 3)
    return _concat(name, [
        _conv(x, f"{name}.branch1x1", 320, 1),
        _conv(b3, f"{name}.branch3x3_2a", 384, (1, 3)),
        _conv(b3, f"{name}.branch3x3_2b", 384, (3, 1)),
        _conv(d3, f"{name}.branch3x3dbl_3a", 384, (1, 3)),
        _conv(d3, f"{name}.branch3x3dbl_3b", 384, (3, 1)),
        _conv(pool(x), f"{name}.branch_pool", 192, 1),
    ])


def build_fid_inception():
    """The network on 299x299x3 inputs in [-1, 1] (NHWC); outputs [pool3, logits].

    Weights are uninitialised until ``load_state_dict``.
    """
    inputs = Input((INPUT_SIZE, INPUT_SIZE, 3), name="images")
    x = _conv(inputs, "Conv2d_1a_3x3", 32, 3, 2, "valid")
    x = _conv(x, "Conv2d_2a_3x3", 32, 3, 1, "valid")
    x = _conv(x, "Conv2d_2b_3x3", 64, 3)
    x = layers.MaxPooling2D(3, 2, name="maxpool1")(x)
    x = _conv(x, "Conv2d_3b_1x1", 80, 1)
    x = _conv(x, "Conv2d_4a_3x3", 192, 3, 1, "valid")
    x = layers.MaxPooling2D(3, 2, name="maxpool2")(x)
    for name, pool_features in [("Mixed_5b", 32), ("Mixed_5c", 64), ("Mixed_5d", 64)]:
        x = _inception_a(x, name, pool_features)
    x = _inception_b(x, "Mixed_6a")
    for name, c7 in [("Mixed_6b", 128), ("Mixed_6c", 160), ("Mixed_6d", 160),
                     ("Mixed_6e", 192)]:
        x = _inception_c(x, name, c7)
    x = _inception_d(x, "Mixed_7a")
    x = _inception_e(x, "Mixed_7b", _avg_pool)
    x = _inception_e(x, "Mixed_7c", layers.MaxPooling2D(3, 1, "same"))
    pool3 = layers.GlobalAveragePooling2D(name="pool3")(x)
    logits = layers.Dense(NUM_LOGITS, name="fc")(pool3)
    return Model(inputs, [pool3, logits], name="fid_inception")


def load_state_dict(model, state):
    """Sets ``model``'s weights from pytorch-fid state-dict arrays ``{name: ndarray}``.

    Every convolution and ``fc`` must be present with its torch shape; other keys
    (``num_batches_tracked``) are ignored. Raises ValueError naming what is missing or wrong.
    """
    for layer in model.layers:
        if isinstance(layer, layers.Conv2D):
            kernel, gamma, beta, mean, var = (_take(state, f"{layer.name}.{key}") for key in (
                "conv.weight", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var"))
            scale = gamma / np.sqrt(var + BN_EPSILON)
            weights = [kernel.transpose(2, 3, 1, 0) * scale, beta - mean * scale]
        elif isinstance(layer, layers.Dense):
            weights = [_take(state, "fc.weight").T, _take(state, "fc.bias")]
        else:
            continue
        expected = [tuple(w.shape) for w in layer.get_weights()]
        if [w.shape for w in weights] != expected:
            raise ValueError(f"Weights of {layer.name} have shapes {[w.shape for w in weights]}"
                             f" (Keras layout), expected {expected}.")
        layer.set_weights([w.astype(np.float32) for w in weights])


def _take(state, key):
    if key not in state:
        raise ValueError(f"The FID Inception weights have no '{key}': not a pytorch-fid "
                         f"Inception state dict ({len(state)} tensors).")
    return np.asarray(state[key], np.float64)
