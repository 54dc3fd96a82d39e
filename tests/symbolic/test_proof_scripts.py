"""Every proof script in proofs/ runs, exits 0 and prints a proved certificate."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.support.paths import PROOFS, ROOT

SCRIPTS = sorted(PROOFS.glob("[0-9][0-9]_*.py"))


def test_there_are_six_proof_scripts():
    assert [p.name[:2] for p in SCRIPTS] == ["01", "02", "03", "04", "05", "06"]


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_proof_script_proves_its_statement(script):
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = done.stdout
    assert out.startswith("# Proof ")
    assert out.rstrip().splitlines()[-1].startswith("**Verdict: proved.**")
    assert "FAILS" not in out and "NOT CONFIRMED" not in out
