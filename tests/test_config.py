"""Strict configs: unknown keys, wrong types and unknown names fail with the valid choices."""

import os

import pytest
import yaml

from ganzoo import config as config_lib
from ganzoo.registry import zoo_configs


def _write(tmp_path, values):
    path = tmp_path / "recipe.yaml"
    path.write_text(yaml.safe_dump(values))
    return str(path)


@pytest.mark.parametrize("values, message", [
    ({"family": "dcgan", "trian": {}}, "Unknown key .*trian.* Valid keys: family, latent_dim"),
    ({"train": {"stpes": 3}}, "Unknown key .*train.stpes.* Valid keys: steps"),
    ({"train": {"steps": "many"}}, "train.steps must be int, got str"),
    ({"family": "stylegun"}, "Unknown family 'stylegun'.* Valid choices: acgan"),
    ({"generator": {"arch": "vit"}}, "Unknown network 'vit_generator'"),
    ({"discriminator": {"args": {"widht": 3}}}, "discriminator.args.widht.*Valid keys: .*width"),
    ({"family": "wgan_gp", "family_args": {"lambda": 3}}, "family_args.lambda.*gp_weight"),
    ({"train": {"precision": "fp8"}}, "Unknown train.precision 'fp8'.* Valid choices: float32"),
])
def test_bad_config_fails_clearly(tmp_path, values, message):
    with pytest.raises(config_lib.ConfigError if "Unknown family" not in message
                       and "Unknown network" not in message else ValueError, match=message):
        config_lib.load_yaml(_write(tmp_path, values))


def test_invalid_yaml_names_the_file(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("family: [dcgan\n")
    with pytest.raises(config_lib.ConfigError, match="broken.yaml is not valid YAML"):
        config_lib.load_yaml(str(path))


def test_defaults_then_recipe_then_flags():
    config = config_lib.load_yaml(zoo_configs()["wgan_gp_digits"])
    assert {"d_steps": 5, "ema_decay": 0.0, "gp_weight": 10.0}.items() <= config.family_args.items()
    assert config.family_args["unrolled_steps"] == 0  # base-class defaults resolve too
    assert config.train.optimizer == "adam"  # a default the recipe does not touch
    config = config_lib.override(config, {"train.steps": 7, "family_args.gp_weight": 1})
    assert config.train.steps == 7 and config.family_args["gp_weight"] == 1.0


def test_family_network_defaults_resolve_into_config():
    config = config_lib.from_dict({"family": "sngan"})
    assert config.discriminator.args["spectral_norm"] is True
    config = config_lib.from_dict(
        {"family": "sngan", "discriminator": {"args": {"spectral_norm": False}}})
    assert config.discriminator.args["spectral_norm"] is False


@pytest.mark.parametrize("name", sorted(zoo_configs()))
def test_resolved_config_round_trips_through_yaml(tmp_path, name):
    config = config_lib.load_yaml(zoo_configs()[name])
    path = tmp_path / "resolved.yaml"
    path.write_text(config.to_yaml())
    assert config_lib.load_yaml(str(path)) == config


@pytest.mark.parametrize("name", sorted(zoo_configs()))
def test_every_zoo_config_loads(name):
    path = zoo_configs()[name]  # zoo_configs/<family>/<preset>.yaml
    assert config_lib.load_yaml(path).family == os.path.basename(os.path.dirname(path))


def test_fid_extractor_choices_are_the_registered_extractors():
    from ganzoo.metrics.extractors import EXTRACTORS

    assert sorted(config_lib.FID_EXTRACTORS) == sorted(EXTRACTORS.names())
