"""The ganzoo command as a new user meets it: quiet start, --version, help with defaults,
the family's recipe for a dataset, run-directory names, "did you mean", a readable list."""

import argparse
import os
import subprocess
import sys

import pytest
from PIL import Image

import ganzoo
from ganzoo import cli

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _subparsers(parser, path=()):
    """(command path, parser) of the main parser and every subcommand's."""
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from _subparsers(child, (*path, name))


def test_every_option_has_help_and_defaults_are_shown():
    for path, parser in _subparsers(cli.parser()):
        for action in parser._actions:
            if not isinstance(action, argparse._SubParsersAction):
                assert action.help, f"ganzoo {' '.join(path)} {action.dest} has no help"
    help_text = dict(_subparsers(cli.parser()))[("sample",)].format_help()
    assert "(default: 64)" in help_text and "(default: 0)" in help_text


def test_version_and_typo_suggestions(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--version"])
    assert exit_info.value.code == 0 and capsys.readouterr().out.strip() == (
        f"ganzoo {ganzoo.__version__}")
    with pytest.raises(SystemExit):
        cli.main(["trian"])
    assert "Did you mean 'train'?" in capsys.readouterr().err
    assert cli.main(["train", "dcgna"]) == 2
    assert "Did you mean 'dcgan'?" in capsys.readouterr().err


def test_help_needs_no_tensorflow():
    code = ("import sys\nfrom ganzoo.cli import main\ntry:\n    main(['--help'])\n"
            "except SystemExit:\n    pass\nprint('tensorflow' in sys.modules)")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert run.stdout.strip().endswith("False"), run.stdout + run.stderr


@pytest.mark.slow
def test_commands_start_without_tensorflow_messages():
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    run = subprocess.run([sys.executable, "-m", "ganzoo.cli", "list", "networks"], env=env,
                         capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0 and "dcgan_generator" in run.stdout
    assert run.stderr == "", run.stderr


def _resolve(*argv):
    return cli.resolve_config(cli.parser(converters=False).parse_args(["train", *argv]))


def test_family_trains_its_recipe_for_the_dataset():
    recipe, config = _resolve("stylegan", "--dataset", "digits")
    assert (recipe, config.data.name, config.data.resolution) == ("stylegan_digits_32",
                                                                  "digits", 32)
    assert _resolve("stylegan")[0] == "stylegan_celeb_a_64"
    assert _resolve("wgan_gp", "--dataset", "ring")[0] == "wgan_gp_ring"
    recipe, config = _resolve("dcgan", "--dataset", "mnist")
    assert (recipe, config.data.name) == ("dcgan_digits", "mnist")


def test_dataset_paths_and_run_directory_names():
    home = os.path.expanduser("~")
    assert cli.expand_dataset("folder:~/faces") == f"folder:{home}/faces"
    assert cli.expand_dataset("folders:~/a,~/b") == f"folders:{home}/a,{home}/b"
    assert cli.dataset_short_name("folder:/a/faces/") == "faces"
    assert cli.dataset_short_name("cycle_gan/horse2zebra") == "horse2zebra"
    assert cli.dataset_short_name("digits") == "digits"


def test_list_fits_100_columns(capsys):
    assert cli.main(["list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert max(map(len, lines)) <= 100
    assert any(line.split()[:2] == ["stylegan_celeb_a_128", "stylegan"] for line in lines)


def test_sample_takes_a_preset_name(tmp_path):
    assert cli.main(["sample", "dcgan_digits", "--n", "4", "--out", str(tmp_path / "g.png")]) == 0
    assert Image.open(tmp_path / "g.png").size[0] >= 64
