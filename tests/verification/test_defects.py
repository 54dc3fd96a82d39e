"""Every planted defect is reported as failed, by the check that should catch it, and says where."""

from __future__ import annotations

import numpy as np
import pytest

import linop
from tests.support import planted_defects as defects

SMALL_ADJOINT_DEFECTS = {
    "missing conjugation": defects.missing_conjugation,
    "kernel not flipped": defects.unflipped_kernel,
    "stride offset off by one": defects.stride_offset_off_by_one,
    "last partial window dropped": defects.last_partial_window_dropped,
    "same padding on the wrong side": defects.same_padding_on_wrong_side,
    "zero-padding adjoint for reflect": defects.zero_padding_adjoint_for_reflect,
    "adjoint off by 1 + 1e-4": defects.scaled_adjoint,
}


@pytest.mark.parametrize("factory", SMALL_ADJOINT_DEFECTS.values(), ids=SMALL_ADJOINT_DEFECTS.keys())
def test_wrong_adjoint_of_a_small_operator_fails_adjoint_matrix_and_probes(factory):
    report = linop.verify(factory(), seed=0)
    assert not report.passed
    for name in ("adjoint", "matrix", "probes"):
        assert report[name].status == "failed", report[name].message
    assert report["shapes"].passed and report["linearity"].passed and report["purity"].passed


@pytest.mark.parametrize("factory", SMALL_ADJOINT_DEFECTS.values(), ids=SMALL_ADJOINT_DEFECTS.keys())
def test_wrong_adjoint_fails_for_every_seed(factory):
    op = factory()
    for seed in range(5):
        assert linop.verify(op, checks="adjoint", seed=seed, trials=1)["adjoint"].status == "failed"


def test_missing_conjugation_matrix_failure_shows_both_values():
    result = linop.verify(defects.missing_conjugation(), checks="matrix", seed=0)["matrix"]
    entry = result.details
    assert entry["adjoint"] == pytest.approx(entry["forward"])  # equal, where the conjugate was due
    assert "should be its conjugate" in result.message


def test_adjoint_off_by_1e4_is_caught_by_the_dot_test_on_a_large_float64_operator():
    op = defects.scaled_adjoint(shape=(256, 256))
    result = linop.verify(op, checks="adjoint", seed=0)["adjoint"]
    assert result.status == "failed"
    assert result.error > 100 * result.tolerance


def test_bias_fails_linearity_as_an_affine_map():
    result = linop.verify(defects.with_bias(), checks="linearity", seed=0)["linearity"]
    assert result.status == "failed"
    assert "affine" in result.message


def test_absolute_value_fails_linearity_by_homogeneity():
    result = linop.verify(defects.absolute_value(), checks="linearity", seed=0)["linearity"]
    assert result.status == "failed"
    assert "homogeneity" in result.message


@pytest.mark.parametrize(
    "factory",
    [defects.adjoint_one_sample_short, defects.shaped_adjoint_one_sample_short],
    ids=["scipy LinearOperator", "shaped operator"],
)
def test_adjoint_one_sample_short_fails_shapes(factory):
    result = linop.verify(factory(), checks="shapes", seed=0)["shapes"]
    assert result.status == "failed"
    assert "A^H y (rmatvec)" in result.message and "8" in result.message and "9" in result.message


def test_operator_writing_into_its_input_fails_purity_only():
    report = linop.verify(defects.writes_into_input(), seed=0)
    assert report["purity"].status == "failed"
    assert "matvec(x) modified its input" in report["purity"].message
    assert [c.name for c in report.failed] == ["purity"]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_single_wrong_corner_entry_of_1024_squared_convolution_is_found_by_probes(dtype):
    result = linop.verify(defects.wrong_corner_of_adjoint(dtype=dtype), checks="probes", seed=0)["probes"]
    assert result.status == "failed"
    entry = result.details["entry"]
    assert entry["output_index"] == (0, 0) and entry["input_index"] == (0, 0)
    assert entry["adjoint"] - entry["forward"] == pytest.approx(0.5, rel=1e-5)
    assert "output index (0, 0) [corner], input index (0, 0) [corner]" in result.message


def test_dense_dot_test_cannot_see_the_float32_corner_entry_but_probes_can():
    op = defects.wrong_corner_of_adjoint(shape=(512, 512), dtype=np.float32)
    report = linop.verify(op, checks=("adjoint", "probes"), seed=0)
    assert report["adjoint"].passed  # diluted by 1/N, far below float32's tolerance
    assert report["probes"].status == "failed"


def test_wrong_last_output_sample_of_a_million_sample_convolution_is_found_by_probes():
    op = defects.wrong_last_output_sample()
    result = linop.verify(op, checks="probes", seed=0)["probes"]
    assert result.status == "failed"
    assert result.details["entry"]["row"] == op.shape[0] - 1


def test_zero_padding_adjoint_for_reflect_is_found_at_the_boundary_of_a_large_float32_image():
    op = defects.zero_padding_adjoint_for_reflect(shape=(256, 256), dtype=np.float32)
    result = linop.verify(op, checks="probes", seed=0)["probes"]
    assert result.status == "failed"
    assert result.details["entry"]["input_position"] != "interior"


def test_matrix_failure_names_the_worst_entry_with_multi_indices():
    op = defects.wrong_corner_of_adjoint(shape=(6, 5), delta=0.5)
    result = linop.verify(op, checks="matrix", seed=0)["matrix"]
    assert result.status == "failed"
    d = result.details
    assert (d["row"], d["column"]) == (0, 0)
    assert d["output_index"] == (0, 0) and d["input_index"] == (0, 0)
    assert d["adjoint"] - d["forward"] == pytest.approx(0.5)
    assert d["wrong_entries"] == 1
    assert "worst at row 0, column 0 (output index (0, 0), input index (0, 0))" in result.message
