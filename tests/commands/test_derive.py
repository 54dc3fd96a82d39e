"""``linop derive``: the lecture's matrix, its transpose, both formulas and the proof verdicts."""

from __future__ import annotations

import pytest

from linop.cli import main


def run(capsys, *argv):
    status = main(["derive", *argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_lecture_example_prints_matrix_transpose_formulas_and_verdicts(capsys):
    status, out, _ = run(capsys, "--input", "7", "--kernel", "3", "--stride", "2")
    assert status == 0
    assert "⎡k₀  k₁  k₂  0   0   0   0 ⎤" in out
    assert "⎢0   0   k₀  k₁  k₂  0   0 ⎥" in out
    assert "⎣0   0   0   0   k₀  k₁  k₂⎦" in out
    assert "A^T: 7 x 3 matrix, maps 3 entries to 7" in out
    assert "forward formula" in out and "adjoint formula (derived)" in out
    for name in ("linearity", "shape reversal", "adjoint identity", "adjoint formula", "transposed convolution"):
        assert f"  {name}: holds" in out


def test_latex_output(capsys):
    status, out, _ = run(capsys, "--input", "7", "--kernel", "3", "--stride", "2", "--latex")
    assert status == 0
    assert r"k_{0} & k_{1} & k_{2} & 0 & 0 & 0 & 0" in out and r"\sum_{m=0}^{2}" in out and r"\begin{itemize}" in out


def test_markdown_output_with_details(capsys):
    status, out, _ = run(capsys, "--input", "7", "--kernel", "3", "--stride", "2", "--markdown", "--details")
    assert status == 0
    assert out.startswith("## convolution 7 -> 3") and "$$" in out and "**Verdict.** holds" in out


def test_exact_values(capsys):
    status, out, _ = run(capsys, "--input", "7", "--values", "1/2,1,1/2", "--stride", "2", "--no-proofs")
    assert status == 0 and "1/2" in out and "k₀" not in out


def test_every_keyword_has_an_option(capsys):
    status, out, _ = run(
        capsys,
        "--input",
        "6,5",
        "--kernel",
        "3,2",
        "--in-channels",
        "2",
        "--out-channels",
        "4",
        "--groups",
        "2",
        "--stride",
        "2,1",
        "--dilation",
        "1,2",
        "--padding",
        "1:0,2:1",
        "--boundary",
        "reflect",
        "--flip",
    )
    assert status == 0, out
    assert "convolution 6x5x2 -> " in out and "groups 2" in out and "flipped" in out and "reflect" in out


def test_real_and_indexed_symbols(capsys):
    status, out, _ = run(capsys, "--input", "5", "--kernel", "2", "--real", "--indexed", "--no-proofs")
    assert status == 0 and "k[0]" in out and "A^H = A^T" in out


def test_all_sizes_proof(capsys):
    status, out, _ = run(capsys, "--input", "5", "--kernel", "2", "--no-proofs", "--all-sizes")
    assert status == 0 and "adjoint formula for all sizes: holds" in out


@pytest.mark.parametrize(
    "argv",
    [
        ["--input", "7"],
        ["--input", "7", "--kernel", "x"],
        ["--input", "7", "--kernel", "3", "--padding", "1:2,3"],
        ["--input", "7", "--kernel", "3", "--values", "1,2"],
        ["--input", "7", "--kernel", "3", "--stride", "0"],
        ["--input", "7", "--values", "1/0"],
    ],
)
def test_bad_usage_exits_2_with_a_message(capsys, argv):
    status, _, err = run(capsys, *argv)
    assert status == 2 and err.startswith("linop derive: error:")


def test_too_large_prints_formulas_then_points_to_the_numeric_checks(capsys):
    status, out, err = run(capsys, "--input", "64,64", "--kernel", "3,3", "--in-channels", "8", "--out-channels", "16")
    assert status == 2
    assert "adjoint formula (derived)" in out
    assert "linop.verify" in err and "MAX_SYMBOLIC_ENTRIES" in err
