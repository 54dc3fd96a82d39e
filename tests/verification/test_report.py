"""The verification report: verdict, per-check entries, the text table and the JSON form."""

from __future__ import annotations

import json

import pytest

import linop
from linop.verification import CheckResult, VerificationReport
from tests.support import planted_defects as defects


def _report(*checks: CheckResult) -> VerificationReport:
    return VerificationReport(operator="<op>", checks=checks, seed=7)


def test_report_passes_when_no_check_failed_and_one_passed():
    report = _report(CheckResult("adjoint", True, error=1e-17, tolerance=1e-14), CheckResult.skip("symbolic", "none"))
    assert report.passed and bool(report)
    assert report.failed == () and [c.name for c in report.skipped] == ["symbolic"]


def test_report_fails_when_any_check_failed():
    report = _report(CheckResult("adjoint", True), CheckResult("linearity", False, message="A 0 != 0"))
    assert not report.passed
    assert [c.name for c in report.failed] == ["linearity"]


def test_report_of_skipped_checks_only_does_not_pass():
    assert not _report(CheckResult.skip("symbolic", "no symbolic twin")).passed


def test_skipped_check_is_neither_passed_nor_failed():
    result = CheckResult.skip("matrix", "too large")
    assert result.status == "skipped" and not result.passed and result.skipped


def test_report_is_indexed_by_check_name():
    report = linop.verify(linop.Identity((3,)), checks=("adjoint", "purity"), seed=0)
    assert report["adjoint"].name == "adjoint"
    assert "purity" in report and "matrix" not in report
    with pytest.raises(KeyError, match="no check named 'matrix'"):
        report["matrix"]


def test_str_is_a_table_with_one_row_per_check_and_the_verdict():
    report = linop.verify(defects.scaled_adjoint(), seed=3)
    text = str(report)
    assert text.splitlines()[0].startswith("Verification of <adjoint off by a factor 1.0001>: FAILED")
    assert "seed 3" in text.splitlines()[0]
    for name in report.names:
        assert any(line.split()[:1] == [name] for line in text.splitlines())
    assert "FAILED" in text and "skipped" in text


def test_failure_message_lists_each_failed_check_with_its_reason():
    message = linop.verify(defects.with_bias(), seed=0).failure_message()
    assert "[linearity] A is not linear" in message


def test_to_dict_round_trips_through_json():
    report = linop.verify(defects.missing_conjugation(), seed=0)
    data = json.loads(json.dumps(report.to_dict()))
    assert data["passed"] is False and data["seed"] == 0
    assert data["shape"] == list(report.shape) and data["input_shape"] == [6, 5]
    assert [c["name"] for c in data["checks"]] == list(report.names)
    adjoint = data["checks"][report.names.index("adjoint")]
    assert set(adjoint) == {"name", "status", "passed", "skipped", "error", "tolerance", "message", "details"}
    assert adjoint["status"] == "failed" and adjoint["error"] > adjoint["tolerance"]


def test_non_finite_errors_become_strings_in_json():
    data = _report(CheckResult("linearity", False, error=float("inf"), tolerance=1e-14)).to_dict()
    assert data["checks"][0]["error"] == "inf"
    json.dumps(data)
