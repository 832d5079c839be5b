"""Every registered network round-trips get_config/from_config and keeps its outputs."""

import numpy as np
import pytest

from ganzoo.networks.base import ImageGenerator
from ganzoo.registry import NETWORKS

CASES = {
    "dcgan_generator": dict(latent_dim=8, data_shape=(16, 16, 3), num_classes=3, width=4),
    "dcgan_discriminator": dict(data_shape=(16, 16, 3), num_classes=3, width=4,
                                spectral_norm=True, norm="layer"),
    "mlp_generator": dict(latent_dim=8, data_shape=(2,), units=8),
    "mlp_discriminator": dict(data_shape=(2,), aux_classes=4, units=8),
    "progan_generator": dict(latent_dim=8, data_shape=(16, 16, 3), num_classes=3, width=4,
                             max_width=8),
    "progan_discriminator": dict(data_shape=(16, 16, 3), aux_classes=3, width=4, max_width=8),
    "stylegan_generator": dict(latent_dim=8, data_shape=(16, 16, 3), num_classes=3, w_dim=6,
                               mapping_layers=2, channel_base=64, channel_max=8),
    "stylegan_discriminator": dict(data_shape=(16, 16, 3), num_classes=3, channel_base=64,
                                   channel_max=8, mapping_layers=2, mbstd_num_channels=2),
    "resnet_generator": dict(data_shape=(8, 8, 3), ngf=4, n_blocks=2, dropout=0.5),
    "unet_generator": dict(data_shape=(64, 64, 1), ngf=2, depth=6, norm="instance"),
    "patchgan_discriminator": dict(data_shape=(16, 16, 3), ndf=4, n_layers=2, norm="batch",
                                   spectral_norm=True),
    "srgan_generator": dict(data_shape=(16, 16, 3), scale=4, width=4, n_blocks=2),
    "inpaint_generator": dict(data_shape=(16, 16, 1), ngf=4, norm="instance"),
    "stackgan_generator": dict(latent_dim=8, data_shape=(16, 16, 1), width=2, embed_dim=4,
                               text_dim=4, condition_dim=3, residual_blocks=1),
    "stackgan_discriminator": dict(data_shape=(16, 16, 1), width=2, embed_dim=4, text_dim=4),
}
# networks that take more than x (and labels): (net, rng) -> their inputs
EXAMPLE_INPUTS = {
    "stackgan_generator": lambda net, rng: net.sample_inputs(2, rng),
    "stackgan_discriminator": lambda net, rng: [
        rng.standard_normal((2, 8, 8, 1)).astype("float32"),
        rng.standard_normal((2, 16, 16, 1)).astype("float32"), np.array([[2, 5, 0], [3, 0, 0]])],
}


def test_every_network_has_a_case():
    assert sorted(CASES) == NETWORKS.names()


@pytest.mark.parametrize("name", sorted(CASES))
def test_config_round_trip(name):
    cls = NETWORKS.get(name)
    net = cls(**CASES[name]).build_for_data()
    clone = cls.from_config(net.get_config())
    clone.build_for_data()
    assert clone.get_config() == net.get_config()
    clone.set_weights(net.get_weights())
    rng = np.random.default_rng(0)
    noise = name.endswith("generator") and not isinstance(net, ImageGenerator)
    shape = ((2, net.latent_dim) if noise else (2, *net.input_shape_of_data())
             if isinstance(net, ImageGenerator) else (2, *net.data_shape))
    x = rng.standard_normal(shape).astype("float32")
    inputs = [x, np.array([0, 1], "int32")] if net.num_classes else x
    if name in EXAMPLE_INPUTS:
        inputs = EXAMPLE_INPUTS[name](net, rng)
    outputs, clone_outputs = net(inputs), clone(inputs)
    if not isinstance(outputs, list):
        outputs, clone_outputs = [outputs], [clone_outputs]
    for a, b in zip(outputs, clone_outputs):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), atol=1e-6)


@pytest.mark.parametrize("resolution", [8, 16, 32, 64, 128])
def test_dcgan_resolutions(resolution):
    g = NETWORKS.get("dcgan_generator")(latent_dim=4, data_shape=(resolution, resolution, 3),
                                        width=2, max_width=8)
    out = g(np.zeros((1, 4), "float32"))
    assert out.shape == (1, resolution, resolution, 3)
    assert out.dtype == "float32"


def test_dcgan_rejects_bad_resolution():
    with pytest.raises(ValueError, match="power of two in 8..128"):
        NETWORKS.get("dcgan_generator")(data_shape=(24, 24, 1))


def test_conditional_network_needs_labels():
    g = NETWORKS.get("dcgan_generator")(latent_dim=4, data_shape=(8, 8, 1), num_classes=2,
                                        width=2)
    with pytest.raises(ValueError, match="call it with \\[inputs, labels\\]"):
        g(np.zeros((1, 4), "float32"))


def test_labels_are_checked_in_eager_calls():
    conditional = NETWORKS.get("mlp_generator")(latent_dim=3, data_shape=(2,), num_classes=4)
    plain = NETWORKS.get("mlp_generator")(latent_dim=3, data_shape=(2,), num_classes=0)
    z = np.zeros((1, 3), "float32")
    for labels in (np.array([-1]), np.array([4]), np.array([0.5], "float32")):
        with pytest.raises(ValueError, match=r"integer class labels in \[0, 4\)"):
            conditional([z, labels])
    assert conditional([z, np.array([3])]).shape == (1, 2)
    with pytest.raises(ValueError, match="unconditional: call it with x alone"):
        plain([z, np.array([1])])
