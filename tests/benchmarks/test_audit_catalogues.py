"""The audit of other libraries' catalogues runs, and reports what linop.verify and the libraries' own checks say."""

from __future__ import annotations

import importlib.util
import sys

from tests.support.paths import BENCHMARKS

SCRIPT = BENCHMARKS / "audit_catalogues.py"


def _audit_module():
    spec = importlib.util.spec_from_file_location("audit_catalogues", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


AUDIT = _audit_module()


def test_the_audit_script_prints_its_table_and_summary_for_a_few_operators(capsys):
    assert AUDIT.main(["--libraries", "pylops", "--only", "FFT2D real=True"]) == 0
    out = capsys.readouterr().out
    rows = [line.split() for line in out.splitlines() if line.startswith("PyLops ")]
    assert len(rows) == 2 and all(row[-2:] == ["pass", "FAIL"] for row in rows)  # in its real spaces / Euclidean
    assert "PyLops: 2 operators, 2 pass, 0 FAIL, 2 false alarms removed" in out


def test_a_known_upstream_defect_is_reported_failing_and_confirmed_by_the_library():
    audit = AUDIT
    entry = next(e for e in audit.pylops_entries() if e.name == "Convolve1D complex kernel")
    row = audit.audit_entry(entry)
    assert row.verdict == "FAIL" and "adjoint" in row.failed
    assert "PyLops dottest fails" in row.confirmed


def test_an_odl_operator_between_spaces_is_audited_in_its_spaces():
    audit = AUDIT
    entry = next(e for e in audit.odl_entries() if e.name == "SamplingOperator")
    row = audit.audit_entry(entry)
    assert (row.verdict, row.euclidean) == ("pass", "FAIL")
    assert "weights" in row.spaces


def test_an_unknown_library_exits_2(capsys):
    assert AUDIT.main(["--libraries", "numpy"]) == 2
    assert "unknown library 'numpy'" in capsys.readouterr().err
