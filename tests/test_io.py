"""The safe readers of third-party checkpoints (ganzoo/io): the reference files of the original
authors' code read exactly, and hostile or broken files refused with one line, unexecuted."""

import io
import json
import os
import pickle
import shutil
import struct
import sys
import types
import zipfile

import ml_dtypes
import numpy as np
import pytest
from conftest import shared_fixture

from ganzoo.io.errors import CheckpointFormatError, UnsafeFileError
from ganzoo.io.network_pickle import network_globals, read_network_pickle
from ganzoo.io.tensors import read_state_dict
from ganzoo.io.torch_files import LEGACY_MAGIC, read_torch_file
from ganzoo.io.unpickler import ReadContext, unpickle

TORCH_FIXTURES = ["cyclegan_basic_D", "cyclegan_resnet_6blocks_G", "cyclegan_resnet_9blocks_G",
                  "cyclegan_resnet_9blocks_G_legacy_format", "pix2pix_basic_D",
                  "pix2pix_unet_128_G", "pix2pix_unet_128_G_legacy_format"]


def assert_equals_reference(tensors, reference, prefix):
    """Every ``prefix``-key of the npz equals the tensor: values, dtype and shape; the npz
    writer stored 0-d tensors (num_batches_tracked, noise_strength) with shape (1,)."""
    keys = [key[len(prefix):] for key in reference.files
            if key.startswith(prefix) and "/io/" not in key and not key.startswith("io/")]
    assert list(tensors) == keys
    for key in keys:
        expected, value = reference[prefix + key], tensors[key]
        assert value.dtype == expected.dtype and value.flags.c_contiguous, key
        assert value.shape == expected.shape or (value.shape == () and expected.shape == (1,))
        assert np.array_equal(value.reshape(expected.shape), expected), key


@pytest.mark.parametrize("name", TORCH_FIXTURES)
def test_torch_fixtures_equal_reference(name):
    reference = np.load(shared_fixture("cyclegan_pix2pix_reference.npz"))
    state = read_torch_file(shared_fixture(f"{name}.pth"))
    assert isinstance(state, dict)
    assert_equals_reference(state, reference, name.replace("_legacy_format", "") + "/")


@pytest.mark.parametrize("variant", ["uncond", "cond"])
def test_network_pickle_records_and_weights(variant):
    networks = read_network_pickle(shared_fixture(f"stylegan2_ada_{variant}.pkl"))
    with open(shared_fixture(f"stylegan2_ada_reference_{variant}.json")) as stream:
        config = json.load(stream)["configs"][variant]
    reference = np.load(shared_fixture(f"stylegan2_ada_reference_{variant}.npz"))
    assert {"G", "D", "G_ema", "augment_pipe", "training_set_kwargs"} <= set(networks)
    assert networks["G"].class_name == networks["G_ema"].class_name == "Generator"
    assert networks["D"].class_name == "Discriminator"
    assert networks["G"].init_kwargs == config["G"] and networks["D"].init_kwargs == config["D"]
    assert networks["G"].modules["mapping"].class_name == "MappingNetwork"
    assert len(networks["G"].module_src_sha256) == 64
    assert_equals_reference(networks["G"].state_dict(), reference, "G/")
    assert_equals_reference(networks["D"].state_dict(), reference, "D/")
    g_ema = networks["G_ema"].state_dict()
    g = networks["G"].state_dict()
    assert list(g_ema) == list(g) and all(np.array_equal(g_ema[key], g[key]) for key in g)
    flat = read_state_dict(shared_fixture(f"stylegan2_ada_{variant}.pkl"), prefix="G_ema/")
    assert list(flat) == list(g_ema)


def test_read_state_dict_goes_by_content_not_extension(tmp_path):
    reference = np.load(shared_fixture("cyclegan_pix2pix_reference.npz"))
    for name in ("cyclegan_basic_D.pth", "cyclegan_resnet_9blocks_G_legacy_format.pth"):
        renamed = tmp_path / (name + ".bin")
        shutil.copy(shared_fixture(name), renamed)
        net = name.replace("_legacy_format", "").replace(".pth", "")
        assert_equals_reference(read_state_dict(renamed), reference, net + "/")
    picked = read_state_dict(shared_fixture("cyclegan_pix2pix_reference.npz"),
                             prefix="pix2pix_basic_D/")
    assert np.array_equal(picked["model.0.weight"], reference["pix2pix_basic_D/model.0.weight"])


# A tiny writer of torch's formats, from pickle opcodes (torch is not installed).

def plain(value):
    """The opcodes that push a plain value (protocol 3, without PROTO and STOP)."""
    return pickle.dumps(value, protocol=3)[2:-1]


def global_op(module, name):
    return b"c" + f"{module}\n{name}\n".encode()


def tensor_op(key, numel, offset, size, stride, storage="FloatStorage", legacy=False):
    """Pushes ``_rebuild_tensor_v2(storage id, offset, size, stride, False, OrderedDict())``."""
    pid = (b"(" + plain("storage") + global_op("torch", storage) + plain(key) + plain("cpu")
           + plain(numel) + (plain(None) if legacy else b"") + b"tQ")
    return (global_op("torch._utils", "_rebuild_tensor_v2") + b"(" + pid + plain(offset)
            + plain(size) + plain(stride) + plain(False)
            + global_op("collections", "OrderedDict") + b")R" + b"tR")


def state_dict_pickle(entries):
    """A pickle of {name: tensor op bytes}, as torch writes a state_dict."""
    body = b"".join(plain(name) + op for name, op in entries.items())
    return b"\x80\x02}(" + body + b"u."


def write_torch_zip(path, pickle_bytes, storages, names=None):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", pickle_bytes)
        archive.writestr("archive/byteorder", "little")
        for key, array in storages.items():
            archive.writestr((names or {}).get(key, f"archive/data/{key}"), array.tobytes())
    return path


def write_torch_legacy(path, object_pickle, storages, counts=None, protocol=2):
    parts = [pickle.dumps(LEGACY_MAGIC, protocol=protocol), pickle.dumps(1001, protocol=2),
             pickle.dumps({"protocol_version": 1001, "little_endian": True}, protocol=2),
             object_pickle, pickle.dumps(list(storages), protocol=2)]
    for key, array in storages.items():
        parts.append(struct.pack("<q", (counts or {}).get(key, array.size)) + array.tobytes())
    path.write_bytes(b"".join(parts))
    return path


def strided_case(legacy):
    data = np.arange(12, dtype=np.float32)
    longs = np.array([7, -3], dtype=np.int64)
    entries = {"transposed": tensor_op("0", 12, 1, (2, 3), (1, 2), legacy=legacy),
               "scalar": tensor_op("1", 2, 1, (), (), "LongStorage", legacy=legacy),
               "half": tensor_op("2", 4, 0, (4,), (1,), "HalfStorage", legacy=legacy),
               "bfloat16": tensor_op("3", 2, 0, (2,), (1,), "BFloat16Storage", legacy=legacy)}
    storages = {"0": data, "1": longs, "2": np.array([1, 2, 3, 4], np.float16),
                "3": np.array([1.5, -2], ml_dtypes.bfloat16)}
    expected = {"transposed": data[1:].reshape(1, -1)[0, :6].reshape(3, 2).T.copy(),
                "scalar": np.array(-3, np.int64), "half": storages["2"], "bfloat16": storages["3"]}
    return state_dict_pickle(entries), storages, expected


@pytest.mark.parametrize("legacy_protocol", [None, 2, 4])
def test_strided_tensors_rebuilt_as_contiguous_arrays(tmp_path, legacy_protocol):
    pickle_bytes, storages, expected = strided_case(legacy=legacy_protocol is not None)
    path = tmp_path / "model.pth"
    if legacy_protocol:
        write_torch_legacy(path, pickle_bytes, storages, protocol=legacy_protocol)
    else:
        write_torch_zip(path, pickle_bytes, storages)
    assert list(read_state_dict(path)) == list(expected)
    state = read_torch_file(path)
    assert list(state) == list(expected)
    for key, value in expected.items():
        assert state[key].dtype == value.dtype and state[key].shape == value.shape, key
        assert np.array_equal(state[key], value) and state[key].flags.c_contiguous, key


# Hostile and broken files: each refused with one line; nothing in them runs.

class RunsCommand:
    def __init__(self, function, command):
        self.function, self.command = function, command

    def __reduce__(self):
        return self.function, (self.command,)


def hostile_pickle(marker, how):
    """A pickle that, loaded the usual way, creates ``marker`` (protocol 4: STACK_GLOBAL)."""
    if how == "system":
        return pickle.dumps(RunsCommand(os.system, f"touch {marker}"), protocol=4)
    if how == "exec":
        return pickle.dumps(RunsCommand(exec, f"open({str(marker)!r}, 'w').close()"), protocol=4)
    return pickle.dumps(RunsCommand(eval, f"open({str(marker)!r}, 'w')"), protocol=4)


def network_pickle_loading(payload):
    """A network-pickle-like dict whose tensor storage is ``_load_from_bytes(payload)``."""
    call = global_op("torch.storage", "_load_from_bytes") + plain((payload,)) + b"R"
    return b"\x80\x02}(" + plain("G") + call + b"u."


def hostile_files(tmp_path, marker):
    """{name: (path, expected error)} of files that must be refused."""
    legacy_evil = write_torch_legacy(tmp_path / "legacy_evil.pth",
                                     hostile_pickle(marker, "system"), {})
    tensor = state_dict_pickle({"w": tensor_op("0", 4, 0, (4,), (1,))})
    good_zip = write_torch_zip(tmp_path / "good.pth", tensor, {"0": np.zeros(4, np.float32)})
    raw = good_zip.read_bytes()
    files = {
        "os_system.pkl": (hostile_pickle(marker, "system"), UnsafeFileError),
        "builtins_exec.pkl": (hostile_pickle(marker, "exec"), UnsafeFileError),
        "builtins_eval.bin": (hostile_pickle(marker, "eval"), UnsafeFileError),
        "load_from_bytes.pkl": (network_pickle_loading(legacy_evil.read_bytes()),
                                UnsafeFileError),
        "truncated.pth": (raw[: len(raw) // 2], CheckpointFormatError),
        "random.pth": (np.random.default_rng(0).bytes(4096), CheckpointFormatError),
        "empty.pth": (b"", CheckpointFormatError),
        "legacy_magic_only.pth": (pickle.dumps(LEGACY_MAGIC, protocol=2), CheckpointFormatError),
        "numpy_array.pkl": (pickle.dumps({"G": np.zeros(2)}, protocol=4), UnsafeFileError),
        "numpy_object_dtype.pkl": (b"\x80\x02" + global_op("numpy", "dtype")
                                   + plain(("O8", False, True)) + b"R.", CheckpointFormatError),
    }
    paths = {name: (tmp_path / name, error) for name, (content, error) in files.items()}
    for name, (content, _) in files.items():
        (tmp_path / name).write_bytes(content)
    paths["zip_evil.pth"] = (write_torch_zip(tmp_path / "zip_evil.pth",
                                             hostile_pickle(marker, "system"), {}),
                             UnsafeFileError)
    paths["legacy_evil.pth"] = (legacy_evil, UnsafeFileError)
    paths["legacy_count.pth"] = (write_torch_legacy(
        tmp_path / "legacy_count.pth", state_dict_pickle({"w": tensor_op("0", 4, 0, (4,), (1,),
                                                                          legacy=True)}),
        {"0": np.zeros(4, np.float32)}, counts={"0": 1 << 40}), CheckpointFormatError)
    paths["storage_short.pth"] = (write_torch_zip(tmp_path / "storage_short.pth", tensor,
                                                  {"0": np.zeros(3, np.float32)}),
                                  CheckpointFormatError)
    paths["extent.pth"] = (write_torch_zip(
        tmp_path / "extent.pth", state_dict_pickle({"w": tensor_op("0", 4, 2, (4,), (1,))}),
        {"0": np.zeros(4, np.float32)}), CheckpointFormatError)
    paths["expanded.pth"] = (write_torch_zip(
        tmp_path / "expanded.pth", state_dict_pickle({"w": tensor_op("0", 1, 0, (10 ** 6,),
                                                                     (0,))}),
        {"0": np.zeros(1, np.float32)}), CheckpointFormatError)
    paths["escaping.pth"] = (write_torch_zip(tmp_path / "escaping.pth", tensor,
                                             {"0": np.zeros(4, np.float32)},
                                             names={"0": "../data/0"}), CheckpointFormatError)
    np.savez(tmp_path / "objects.npz", a=np.array([{"x": 1}], dtype=object))
    paths["objects.npz"] = (tmp_path / "objects.npz", CheckpointFormatError)
    paths["offsets.safetensors"] = (write_safetensors(
        tmp_path / "offsets.safetensors", {"w": np.zeros(4, np.float32)},
        shift=8), CheckpointFormatError)
    return paths


HOSTILE = ["os_system.pkl", "builtins_exec.pkl", "builtins_eval.bin", "load_from_bytes.pkl",
           "truncated.pth", "random.pth", "empty.pth", "legacy_magic_only.pth", "numpy_array.pkl",
           "numpy_object_dtype.pkl", "zip_evil.pth",
           "legacy_evil.pth", "legacy_count.pth", "storage_short.pth", "extent.pth",
           "expanded.pth", "escaping.pth", "objects.npz", "offsets.safetensors"]


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_or_broken_file_refused_in_one_line(tmp_path, name):
    marker = tmp_path / "executed"
    path, error = hostile_files(tmp_path, marker)[name]
    readers = [read_state_dict]
    if name.endswith((".pth", ".pt")):
        readers.append(read_torch_file)
    if name.endswith(".pkl"):
        readers.append(read_network_pickle)
    for reader in readers:
        with pytest.raises(error) as caught:
            reader(path)
        message = str(caught.value)
        assert "\n" not in message and str(path) in message, message
        if error is UnsafeFileError:
            assert "refused: it asks to run" in message and "nothing in it was executed" in message
    assert not marker.exists()


def test_npz_round_trip(tmp_path):
    arrays = {"G/w": np.arange(6, dtype=np.float32).reshape(2, 3), "G/n": np.array(3, np.int64),
              "D/b": np.ones(2, np.float16)}
    np.savez(tmp_path / "weights.npz", **arrays)
    read = read_state_dict(tmp_path / "weights.npz")
    assert all(np.array_equal(read[key], value) and read[key].dtype == value.dtype
               for key, value in arrays.items())
    assert list(read_state_dict(tmp_path / "weights.npz", prefix="G/")) == ["w", "n"]


def write_safetensors(path, arrays, shift=0):
    """A .safetensors file (8-byte header length, JSON header, data); ``shift`` moves every
    data offset that many bytes on, past the data when positive."""
    codes = {"float32": "F32", "int64": "I64", "float16": "F16", "bool": "BOOL"}
    header, data, start = {"__metadata__": {"format": "np"}}, b"", 0
    for name, array in arrays.items():
        raw = np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": codes[array.dtype.name], "shape": list(array.shape),
                        "data_offsets": [start + shift, start + len(raw) + shift]}
        data, start = data + raw, start + len(raw)
    encoded = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(encoded)) + encoded + data)
    return path


def test_safetensors_round_trip(tmp_path):
    arrays = {"conv.weight": np.arange(24, dtype=np.float32).reshape(2, 3, 2, 2),
              "steps": np.array(5, np.int64), "half": np.array([0.5, -2], np.float16),
              "mask": np.array([True, False])}
    read = read_state_dict(write_safetensors(tmp_path / "model.safetensors", arrays))
    assert list(read) == list(arrays)
    for key, value in arrays.items():
        assert read[key].dtype == value.dtype and read[key].shape == value.shape, key
        assert np.array_equal(read[key], value), key


def test_network_pickle_reads_easydict_arguments_as_dicts(tmp_path, monkeypatch):
    """Released pickles keep constructor arguments as dnnlib.util.EasyDict (a dict subclass
    pickled as NEWOBJ + items): allowed, and read as a plain dict."""
    module = types.ModuleType("dnnlib.util")

    class EasyDict(dict):
        pass

    EasyDict.__module__, EasyDict.__qualname__ = "dnnlib.util", "EasyDict"
    module.EasyDict = EasyDict
    monkeypatch.setitem(sys.modules, "dnnlib", types.ModuleType("dnnlib"))
    monkeypatch.setitem(sys.modules, "dnnlib.util", module)
    data = pickle.dumps({"mapping_kwargs": EasyDict(num_layers=2, lr_multiplier=0.01)},
                        protocol=4)
    assert b"EasyDict" in data
    context = ReadContext(str(tmp_path / "x.pkl"), len(data))
    read = unpickle(io.BytesIO(data), context, network_globals(context))
    assert read == {"mapping_kwargs": {"num_layers": 2, "lr_multiplier": 0.01}}
