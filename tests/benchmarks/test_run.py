"""The benchmark script runs (quick mode) and its implementations compute the same numbers."""

from __future__ import annotations

import subprocess
import sys

from tests.support.paths import BENCHMARKS

SCRIPT = BENCHMARKS / "run.py"


def test_quick_benchmark_runs_and_every_implementation_agrees_with_linop():
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--cases", "C2,C4,C5", "--only", "linop,sparse,scipy.signal"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "MISMATCH" not in out
    for case in ("C2:", "C4:", "C5:"):
        assert case in out
    rows = [line.split() for line in out.splitlines() if line.startswith("  ")]
    agreeing = [row[0] for row in rows if "agrees" in " ".join(row)]
    assert agreeing.count("sparse") == 3  # the explicit matrix on all three cases
    assert agreeing.count("scipy.signal") == 2  # single images without padding: C4 and C5
    assert "load average" in out and "GEMM probe" in out


def test_benchmark_rejects_an_unknown_case():
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--cases", "C9"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "unknown case 'C9'" in result.stderr
