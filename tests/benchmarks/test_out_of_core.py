"""The out-of-core benchmark runs (quick mode) and its Dask result equals the in-memory one."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.support.paths import BENCHMARKS

pytest.importorskip("distributed")
pytest.importorskip("zarr")

SCRIPT = BENCHMARKS / "out_of_core.py"


def test_quick_out_of_core_benchmark_runs_and_agrees_with_numpy(tmp_path):
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--workdir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "MISMATCH" not in out
    for row in ("numpy (compute only)", "numpy (Zarr read + write)", "dask"):
        assert row in out
    assert "max |dask - numpy| on the fitting volume" in out and "peak worker memory" in out
    assert list(tmp_path.iterdir()) == []  # the volumes are removed
