"""Every registered family through the shared harness (``harness.py``): steps on 1 and 2
replicas, mixed precision, checkpoint, preset and export round trips.

The family is a module-scoped parameter, so pytest runs all checks of one family before
the next and frees each family's trained model when it moves on."""

import pytest

import harness
from ganzoo.registry import FAMILIES


# 10-25 s per step to trace: their two-replica and mixed_float16 steps are in the slow
# suite (with every family's bfloat16 step and TFLite export)
HEAVY = ("progan", "stylegan")


@pytest.fixture(scope="module", params=FAMILIES.names())
def family(request):
    return request.param


@pytest.fixture(scope="module")
def trained_one(family):
    return harness.trained(family)


def test_step_on_one_device(family, trained_one):
    harness.run_step_test(family, trained_one, strategies=(("default", 1),))


@pytest.mark.parametrize("name", [pytest.param(name, marks=pytest.mark.slow)
                                  if name in HEAVY else name for name in FAMILIES.names()])
def test_step_on_two_replicas(name):
    harness.run_step_test(name, strategies=(("mirrored", 2),))


@pytest.mark.parametrize("name", [pytest.param(name, marks=pytest.mark.slow)
                                  if name in HEAVY else name for name in FAMILIES.names()])
def test_mixed_precision_step(name):
    harness.run_precision_test(name)


def test_checkpoint_round_trip(trained_one, tmp_path):
    harness.run_checkpoint_test(trained_one, tmp_path)


def test_preset_round_trip(trained_one, tmp_path):
    harness.run_preset_test(trained_one, tmp_path)


def test_export_parity(trained_one, tmp_path):
    harness.run_export_test(trained_one, tmp_path)


@pytest.mark.slow
def test_tflite_export_parity(trained_one, tmp_path):
    harness.run_export_test(trained_one, tmp_path, "saved_model,tflite")


@pytest.mark.slow
def test_bfloat16_step(family):
    harness.run_precision_test(family, "mixed_bfloat16")
