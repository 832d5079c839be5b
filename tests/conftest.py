"""Test set-up: two logical CPUs (for 2-replica MirroredStrategy tests) before TF starts,
ganzoo's cache (remembered folder scans) in a temporary folder, and helpers that build tiny
configs."""

import json
import os
import socket
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ["GANZOO_CACHE"] = tempfile.mkdtemp(prefix="ganzoo_cache_")  # not the user's

import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

tf.config.set_logical_device_configuration(
    tf.config.list_physical_devices("CPU")[0],
    [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()],
)

import ganzoo  # noqa: E402,F401
from ganzoo import config as config_lib  # noqa: E402
from ganzoo.registry import FAMILIES  # noqa: E402

# the smallest arguments of each network architecture
TINY_NET = {"dcgan": {"width": 4, "max_width": 8}, "mlp": {"units": 8, "depth": 1},
            "progan": {"width": 4, "max_width": 8},
            "stylegan": {"channel_base": 32, "channel_max": 8},
            "resnet": {"ngf": 4, "n_blocks": 1}, "unet": {"ngf": 4},
            "patchgan": {"ndf": 4, "n_layers": 1},
            "srgan": {"width": 4, "n_blocks": 1, "scale": 2}, "inpaint": {"ngf": 4},
            "stackgan": {"width": 2, "embed_dim": 4, "text_dim": 4}}
# families that need their own networks, and those that need their own dataset
FAMILY_ARCH = {"progan": "progan", "stylegan": "stylegan", "stackgan": "stackgan"}
FAMILY_DATA = {"stackgan": "digits_captions"}
# image-to-image families: (their two-domain toy dataset, generator arch, discriminator arch)
IMAGE_TO_IMAGE = {"cyclegan": ("digits_inverted", "resnet", "patchgan"),
                  "pix2pix": ("digits_edges", "unet", "patchgan"),
                  # restoration families: one-domain data, degraded in the step
                  "srgan": ("digits", "srgan", "dcgan"),
                  "inpaint": ("digits", "inpaint", "patchgan")}


def _critic_steps(family):
    """The family's default discriminator steps per generator step."""
    return config_lib.constructor_defaults(FAMILIES.get(family)).get("d_steps", 1)


def tiny_config(family, dataset="digits", arch=None, **overrides):
    """A config small enough that one step takes well under a second."""
    arch = arch or FAMILY_ARCH.get(family, "dcgan")
    d_arch = arch
    dataset = FAMILY_DATA.get(family, dataset)
    if family in IMAGE_TO_IMAGE:
        dataset, arch, d_arch = IMAGE_TO_IMAGE[family]
    values = {
        "family": family,
        "latent_dim": 4,
        "data": {"name": dataset, "resolution": 8, "batch_size": 4},
        "generator": {"arch": arch, "args": dict(TINY_NET[arch])},
        "discriminator": {"arch": d_arch, "args": dict(TINY_NET[d_arch])},
        "family_args": {"d_steps": 2} if _critic_steps(family) > 1 else {},
        "train": {"steps": 2, "steps_per_epoch": 1, "checkpoint_every": 1, "sample_grid": 4},
    }
    config = config_lib.from_dict(values)
    return config_lib.override(config, overrides) if overrides else config


@pytest.fixture(params=FAMILIES.names())
def family_name(request):
    return request.param


@pytest.fixture(autouse=True, scope="module")
def fresh_keras_state():
    """Each test module ends by dropping Keras' global state and the graphs its models
    traced, so the suite's memory does not grow module after module."""
    yield
    import keras

    keras.backend.clear_session()  # with free_memory=True: one full garbage collection


@pytest.fixture(autouse=True)
def float32_policy():
    """Each test starts (and leaves) the global dtype policy at float32."""
    import keras

    keras.mixed_precision.set_global_policy("float32")
    yield
    keras.mixed_precision.set_global_policy("float32")


SHARED_FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                               "shared", "fixtures")


def shared_fixture(name):
    """Path of a reference file in ``../shared/fixtures`` (numbers from the original
    authors' code); skips the test with the reason when that folder is absent."""
    path = os.path.normpath(os.path.join(SHARED_FIXTURES, name))
    if not os.path.exists(path):
        pytest.skip(f"reference fixture {path} is absent (it lives in the project's shared "
                    "folder beside the checkout, not in a user's clone)")
    return path


def localhost_cluster(n=2):
    """The environments of ``n`` worker processes forming one localhost
    MultiWorkerMirroredStrategy cluster on free ports (``TF_CONFIG``, worker i in the i-th)."""
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    workers = [f"127.0.0.1:{s.getsockname()[1]}" for s in sockets]
    for s in sockets:
        s.close()
    return [{**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "TF_CONFIG": json.dumps(
        {"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}})}
        for index in range(n)]
