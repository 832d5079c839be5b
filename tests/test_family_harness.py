"""Every registered family through the shared harness (``harness.py``): steps on 1 and 2
replicas, mixed precision, checkpoint, preset and export round trips."""

import pytest

import harness


def test_steps_on_one_and_two_replicas(family_name):
    harness.run_step_test(family_name)


def test_mixed_precision_step(family_name):
    harness.run_precision_test(family_name)


def test_checkpoint_round_trip(family_name, tmp_path):
    harness.run_checkpoint_test(family_name, tmp_path)


def test_preset_round_trip(family_name, tmp_path):
    harness.run_preset_test(family_name, tmp_path)


def test_export_parity(family_name, tmp_path):
    harness.run_export_test(family_name, tmp_path)


@pytest.mark.slow
def test_bfloat16_step(family_name):
    harness.run_precision_test(family_name, "mixed_bfloat16")
