"""Parity of the fid_inception extractor with pytorch-fid's InceptionV3 (src/pytorch_fid/
inception.py), on the seeded weights of ../shared/fixtures/fid_inception_reference.json,
read from a torch.save file as the official ``pt_inception-2015-12-05-6726825d.pth`` is."""

import json
import pickle
import zipfile

import keras
import numpy as np
import pytest
from conftest import shared_fixture

from ganzoo.metrics import extractors, fid_inception, get_extractor

SIZES = (32, 64, 512)


def seeded_state_dict(spec):
    """The fixture's weights_rule: entry i of spec drawn from default_rng(1000 + i)."""
    state = {}
    for i, (key, shape) in enumerate(spec):
        n = np.random.default_rng(1000 + i).standard_normal(shape)
        if key.endswith("conv.weight"):
            value = n * np.sqrt(2 / np.prod(shape[1:]))
        elif key.endswith("bn.weight"):
            value = 1 + 0.1 * n
        elif key.endswith(("bn.bias", "bn.running_mean")):
            value = 0.1 * n
        elif key.endswith("bn.running_var"):
            value = np.exp(0.2 * n)
        elif key == "fc.weight":
            value = n * np.sqrt(1 / shape[1])
        elif key == "fc.bias":
            value = 0.1 * n
        else:
            raise KeyError(f"the weights_rule does not cover {key}")
        state[key] = value.astype(np.float32)
    return state


def _op(value):
    """Pickle opcodes that push ``value`` (no protocol header, no STOP)."""
    return pickle.dumps(value, protocol=2)[2:-1]


def _global(module, name):
    return f"c{module}\n{name}\n".encode()


def write_torch_zip(path, state):
    """``state`` (float32 arrays) as torch.save writes a state dict, without torch:
    ``archive/data.pkl`` builds an OrderedDict of ``torch._utils._rebuild_tensor_v2(storage,
    0, size, stride, False, OrderedDict())``, each storage a persistent id ``('storage',
    torch.FloatStorage, key, 'cpu', numel)`` whose bytes are ``archive/data/<key>``."""
    ordered_dict = _global("collections", "OrderedDict") + b")R"
    ops = [b"\x80\x02", ordered_dict]
    with zipfile.ZipFile(path, "w") as archive:
        for key, (name, array) in enumerate(state.items()):
            storage_id = (b"(" + _op("storage") + _global("torch", "FloatStorage")
                          + _op(str(key)) + _op("cpu") + _op(array.size) + b"tQ")
            stride = tuple(s // array.itemsize for s in array.strides)
            ops += [_op(name), _global("torch._utils", "_rebuild_tensor_v2"), b"(",
                    storage_id, _op(0), _op(array.shape), _op(stride), _op(False),
                    ordered_dict, b"tR", b"s"]
            archive.writestr(f"archive/data/{key}", np.ascontiguousarray(array).tobytes())
        archive.writestr("archive/data.pkl", b"".join(ops) + b".")
        archive.writestr("archive/byteorder", "little")


@pytest.fixture(scope="module")
def seeded_state():
    with open(shared_fixture("fid_inception_reference.json")) as f:
        return seeded_state_dict(json.load(f)["spec"])


@pytest.fixture(scope="module")
def reference():
    with np.load(shared_fixture("fid_inception_reference.npz")) as arrays:
        return dict(arrays)


@pytest.fixture(scope="module")
def weights_file(tmp_path_factory, seeded_state):
    path = tmp_path_factory.mktemp("fid_weights") / "seeded_fid_inception.pth"
    write_torch_zip(path, seeded_state)
    return str(path)


@pytest.fixture(scope="module")
def extractor(weights_file):
    return get_extractor("fid_inception", weights_path=weights_file)


def ganzoo_images(reference, size):
    """The fixture's NCHW [0, 1] inputs as ganzoo images: NHWC in [-1, 1]."""
    return 2 * reference[f"x{size}"].transpose(0, 2, 3, 1) - 1


def assert_close(ours, ref, name):
    diff = float(np.abs(ours - ref).max())
    assert diff <= 2e-4 * max(1.0, float(np.abs(ref).max())), f"{name}: max |diff| {diff:.3g}"


@pytest.mark.parametrize("size", SIZES)
def test_pool3_and_logits_match_pytorch_fid(extractor, reference, size):
    features, logits = extractor.outputs(ganzoo_images(reference, size))
    assert features.shape == (4, 2048) and logits.shape == (4, 1008)
    assert_close(features, reference[f"pool3_{size}"], f"pool3_{size}")
    assert_close(logits, reference[f"logits_{size}"], f"logits_{size}")


def test_block_channel_means_match_pytorch_fid(extractor, reference):
    """The spatial means after pytorch-fid's blocks 0-2: where a mismatch starts."""
    model = extractor._model
    blocks = keras.Model(model.input, [model.get_layer(name).output
                                       for name in fid_inception.BLOCK_ENDS])
    for size in SIZES:
        resized = extractor._resize(ganzoo_images(reference, size))
        for index, output in enumerate(blocks(resized, training=False)):
            name = f"block{index}_channel_mean_{size}"
            assert_close(np.mean(output, axis=(1, 2)), reference[name], name)


def test_npz_weights_give_the_same_network(extractor, seeded_state, reference, tmp_path):
    path = tmp_path / "seeded_fid_inception.npz"
    np.savez(path, **seeded_state)
    images = ganzoo_images(reference, 32)
    from_npz = get_extractor("fid_inception", weights_path=str(path))
    np.testing.assert_array_equal(from_npz.features(images), extractor.features(images))


def test_weights_are_recorded_and_recognised(extractor, weights_file, monkeypatch):
    assert extractor.hash == extractors.sha256_of(weights_file)
    assert extractor.protocol == "custom weights" and extractor.resolution == 299
    monkeypatch.setattr(extractors, "FID_WEIGHTS_SHA256_PREFIX", extractor.hash[:8])
    official = get_extractor("fid_inception", weights_path=weights_file)
    assert official.protocol == extractors.FID_PROTOCOL
    assert official.protocol == "pytorch-fid Inception (TTUR 2015-12-05 graph)"


def test_gray_images_of_any_size_are_tiled(extractor):
    gray = np.random.default_rng(3).uniform(-1, 1, (2, 20, 28, 1)).astype(np.float32)
    np.testing.assert_allclose(extractor.features(gray),
                               extractor.features(np.tile(gray, [1, 1, 1, 3])), atol=1e-5)


def test_missing_weights_say_where_to_put_them(tmp_path, monkeypatch):
    monkeypatch.setenv("GANZOO_HOME", str(tmp_path / "ganzoo"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    assert extractors.find_fid_weights() is None
    with pytest.raises(FileNotFoundError) as error:
        get_extractor("fid_inception")
    message = str(error.value)
    for path in extractors.fid_weights_candidates():
        assert path in message
    assert "--fid-weights" in message and extractors.FID_WEIGHTS_URL in message


def test_a_state_dict_without_a_layer_is_refused(tmp_path):
    path = tmp_path / "partial.npz"
    np.savez(path, **{"fc.bias": np.zeros(1008, np.float32)})
    with pytest.raises(ValueError, match="no 'Conv2d_1a_3x3.conv.weight'"):
        get_extractor("fid_inception", weights_path=str(path))
