"""``linop derive --formula`` turns every bad formula into exit status 2 and a located message, never a
traceback; an operator it builds passes ``linop verify``."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from linop.cli import main
from tests.support.paths import ROOT

BAD_FORMULAS = [
    ("", "the formula is empty"),
    ("y[i] = [i % 0 == 0] x[i] for i = 0..3", "division by zero"),
    ("y[i] = x[i + 1e400] for i = 0..3", "outside the range of float64"),
    ("y[i] = log(0) * x[i] for i = 0..3", "not a finite"),
    ("y[i] = x[i]² for i = 0..3", "unexpected character"),
    ("y[i] = " + "(" * 200 + "x[i]" + ")" * 200 + " for i = 0..3", "nest more than"),
    ("y[i] = 1e300 * 1e300 * x[i] for i = 0..3", "not a finite"),
    ("y[i] = x[i] for i = 0..10**9", "268,435,456"),
    ("y[i] = 9**9**9 * x[i] for i = 0..3", "bits"),
    ("y[i] = x[i + 2**2**40] for i = 0..3", "bits"),
    ("y[i] = " + "".join(f"sum(m{k}=0..1) " for k in range(40)) + "x[i] for i = 0..3", "nest more than"),
    ("y[i] = x[i] for i = 0...3", "'...'"),
    ("y[i] = x[i] for i = 0..3, i = 0..2", "two ranges"),
    ("y[i] = x[i] + x[ｉ] for i = 0..3", "NFKC"),
]


def _run(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run(
        [sys.executable, "-m", "linop", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
        check=False,
    )


@pytest.mark.parametrize(("text", "words"), [BAD_FORMULAS[0], BAD_FORMULAS[5]])
def test_a_bad_formula_exits_with_status_2_and_a_located_message_on_stderr(text, words):
    result = _run("derive", "--formula", text)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and words in result.stderr
    assert result.stderr.rstrip().endswith("^") and result.stdout == ""


@pytest.mark.parametrize(("text", "words"), BAD_FORMULAS)
def test_every_class_of_bad_formula_is_a_usage_error_with_a_caret(text, words, capsys):
    assert main(["derive", "--formula", text]) == 2
    err = capsys.readouterr().err
    assert words in err and err.rstrip().endswith("^") and "Traceback" not in err


def test_a_formula_with_a_keyword_variable_is_derived_and_proved_on_the_command_line():
    result = _run("derive", "--formula", "y[lambda] = x[lambda + 1] - x[lambda] for lambda = 0..n-2", "--sizes", "n=6")
    assert result.returncode == 0, result.stderr
    assert "adjoint identity: holds" in result.stdout and "adjoint formula: holds" in result.stdout


def test_verify_passes_a_formula_operator_with_fractional_bounds_and_keyword_names(tmp_path):
    module = tmp_path / "ops.py"
    module.write_text(
        "import linop\n"
        "OPERATORS = [linop.from_formula('y[lambda] = x[lambda] for lambda = n/2..n-1', sizes={'n': 7}),\n"
        "             linop.from_formula('y[i] = x[i + 1] - x[i]', input_shape=(11,))]\n"
    )
    result = _run("verify", f"{module}:OPERATORS", "--seed", "0")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "all 2 operators passed" in result.stdout
