"""from_formula: random affine formulas derive, prove, compile and verify; batches, dtypes, pickling,
AffineSum input, the command line, and no SymPy on import."""

from __future__ import annotations

import pickle
import subprocess
import sys

import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, given, settings

import linop
from linop import from_formula
from linop.cli import main
from linop.formula import FormulaError
from linop.symbolic import AffineSum, SumTerm, index_symbols
from tests.support.formula_brute_force import evaluate
from tests.support.formula_strategies import affine_formulas
from tests.support.paths import BENCHMARKS


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(affine_formulas())
def test_random_affine_formulas_derive_prove_compile_and_pass_verify(case):
    text, input_shape, arrays = case
    try:
        A = from_formula(text, arrays=arrays, input_shape=input_shape)
    except FormulaError as exc:  # every guard false: a zero map is refused, as documented
        assert "ever contributes" in exc.reason, exc
        return
    assert A.symbolic().check_adjoint_identity().holds
    rng = np.random.default_rng(0)
    x = rng.standard_normal(A.input_shape) + 1j * rng.standard_normal(A.input_shape)
    y = rng.standard_normal(A.output_shape) + 1j * rng.standard_normal(A.output_shape)
    np.testing.assert_allclose(A.apply(x), evaluate(A._formulas["forward_numeric"], x, arrays), atol=1e-12)
    np.testing.assert_allclose(A.apply_adjoint(y), evaluate(A._formulas["adjoint_numeric"], y, arrays), atol=1e-12)
    np.testing.assert_allclose(A.H.to_dense(), A.to_dense().conj().T, atol=1e-12)
    assert linop.verify(A, seed=1).passed
    for program in A._programs:
        program.block_bytes = 1  # the same values computed one output row at a time
    np.testing.assert_allclose(A.apply(x), evaluate(A._formulas["forward_numeric"], x, arrays), atol=1e-12)
    np.testing.assert_allclose(A.apply_adjoint(y), evaluate(A._formulas["adjoint_numeric"], y, arrays), atol=1e-12)


POOL = "y[i, j] = sum(m=0..1, n=0..1) x[2*i + m, 2*j + n] / 4"


@pytest.fixture(scope="module")
def pooling():
    return from_formula(POOL, input_shape=(6, 8))


def test_pooling_from_the_issue_has_the_derived_scatter_as_adjoint(pooling):
    assert pooling.output_shape == (3, 4)
    assert str(pooling.adjoint_formula) == "Eq(x[2*i + m, 2*j + n], y[i, j]/4)"
    assert pooling.steps == (4, 4)


def test_the_adjoint_runs_the_derived_formula_not_a_transpose(pooling):
    y = np.arange(12.0).reshape(3, 4)
    expected = evaluate(pooling._formulas["adjoint_numeric"], y)
    np.testing.assert_array_equal(pooling.H.apply(y), expected.real)
    assert pooling._programs[1] is not pooling._programs[0]


def test_leading_batch_axes_apply_sample_by_sample(pooling):
    x = np.random.default_rng(0).standard_normal((2, 3, 6, 8))
    out = pooling.apply(x)
    assert out.shape == (2, 3, 3, 4)
    np.testing.assert_allclose(out[1, 2], pooling.apply(x[1, 2]))
    back = pooling.apply_adjoint(out)
    np.testing.assert_allclose(back[0, 1], pooling.apply_adjoint(out[0, 1]))


def test_float32_operator_stays_float32_and_complex_input_gives_complex(pooling):
    x = np.ones((6, 8), np.float32)
    assert pooling.apply(x).dtype == np.float64  # promoted to the operator's float64, as scipy does
    A32 = from_formula(POOL, input_shape=(6, 8), dtype=np.float32)
    assert A32.dtype == np.float32 and A32.apply_adjoint(np.ones((3, 4), np.float32)).dtype == np.float32
    assert A32.apply(x).dtype == np.float32
    assert pooling.apply(x + 1j).dtype == np.complex128


def test_pickle_stores_the_formula_and_compiles_again(pooling):
    again = pickle.loads(pickle.dumps(pooling))
    x = np.random.default_rng(1).standard_normal((6, 8))
    np.testing.assert_array_equal(again.apply(x), pooling.apply(x))
    assert again.text == POOL


def test_user_arrays_are_copied_and_never_modified():
    k = np.array([1.0, 2.0, 3.0])
    A = from_formula("y[i] = sum(m=0..2) k[m] * x[i + m] for i = 0..3", arrays={"k": k})
    k[0] = 100.0
    assert A.apply(np.eye(6)[0])[0] == 1.0


def test_complex_coefficients_are_conjugated_in_the_adjoint():
    A = from_formula("y[k] = sum(m=0..N-1) exp(-2*pi*I*k*m/N) * x[m] for k = 0..N-1", sizes={"N": 5})
    assert A.dtype == np.complex128
    assert "exp(2*I*pi*k*m/N)" in str(A.adjoint_formula)
    np.testing.assert_allclose(A.H.to_dense(), np.conj(np.fft.fft(np.eye(5))).T)
    with pytest.raises(ValueError, match="complex coefficients"):
        from_formula("y[k] = exp(I*k) * x[k] for k = 0..3", dtype=np.float64)


def test_an_affine_sum_built_in_python_is_accepted():
    i, m = index_symbols("i m")
    n = sympy.Symbol("n", integer=True, positive=True)
    x, y = sympy.IndexedBase("x"), sympy.IndexedBase("y")
    term = SumTerm(y, (i,), x, (i + m,), 1, ((i, 0, n - 2),), ((m, 0, 1),))
    A = from_formula(AffineSum((term,), (n - 1,), (n,)), sizes={"n": 6})
    np.testing.assert_allclose(A.apply(np.arange(6.0)), [1, 3, 5, 7, 9])
    with pytest.raises(ValueError, match="sizes must give exactly"):
        from_formula(AffineSum((term,), (n - 1,), (n,)))


def test_bad_arguments_name_the_parameter():
    with pytest.raises(TypeError, match="sizes\\['n'\\] must be an int"):
        from_formula("y[i] = x[i] for i = 0..n-1", sizes={"n": 2.5})
    with pytest.raises(TypeError, match="formula must be a string"):
        from_formula(3)
    with pytest.raises(ValueError, match="dtype must be"):
        from_formula("y[i] = x[i] for i = 0..2", dtype=np.int32)
    with pytest.raises(ValueError, match="arrays\\['k'\\] must be finite"):
        from_formula("y[i] = k[i] * x[i] for i = 0..1", arrays={"k": [1.0, np.nan]})


def test_derive_command_shows_the_derived_adjoint_and_proofs(capsys):
    status = main(["derive", "--formula", "y[i] = x[i + 1] - x[i] for i = 0..n-2", "--sizes", "n=7"])
    out = capsys.readouterr().out
    assert status == 0
    assert "adjoint formula (derived)" in out and "for u = 0..n - 1" in out
    assert "adjoint identity: holds" in out and "compiled to 2 forward and 2 adjoint" in out


def test_derive_command_shows_a_catalogue_formula(capsys):
    assert main(["derive", "--catalogue", "DFT", "--no-proofs"]) == 0
    assert "2⋅ⅈ⋅π⋅k⋅m" in capsys.readouterr().out


def test_derive_command_reports_a_bad_formula_with_a_caret(capsys):
    status = main(["derive", "--formula", "y[i] = x[i*i] for i = 0..3", "--input", "16"])
    err = capsys.readouterr().err
    assert status == 2 and "not affine" in err and err.rstrip().endswith("^^^")


def test_import_linop_and_linop_formula_do_not_import_sympy():
    code = "import sys, linop, linop.formula, linop.formula.catalogue; print('sympy' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_adjoint_contraction_broadcasts_an_output_variable_the_input_lacks():
    # the adjoint sums over m for x[u] with y read at one row only: u labels no operand of the sum
    text = (
        "y[i] = [0 <= 1 - 2*i < 2] 2 * x[1 - 2*i] + sum(m=0..1) [0 <= 1 - 2*i + 2*m < 2] k[m] * x[1 - 2*i + 2*m] "
        "for i = 0..1"
    )
    k = np.array([0.25, -0.5])
    A = from_formula(text, arrays={"k": k}, input_shape=(2,))
    y = np.array([1.0, 3.0])
    np.testing.assert_allclose(A.apply_adjoint(y), evaluate(A._formulas["adjoint_numeric"], y, {"k": k}).real)
    assert linop.verify(A, seed=0).passed


def test_formula_benchmark_runs_quickly_and_checks_against_the_hand_written_maps():
    script = BENCHMARKS / "formulas.py"
    result = subprocess.run(
        [sys.executable, str(script), "--quick", "--cases", "pool,diff,toeplitz,dft", "--no-derivation"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    rows = [line for line in result.stdout.splitlines() if line.startswith("| ") and "ms" not in line]
    assert len(rows) == 4 and "np.diff" in result.stdout and "np.fft.fft" in result.stdout


def test_a_diagonal_read_derives_an_equality_and_verifies():
    A = from_formula("y[i] = x[i, i] for i = 0..3")
    assert str(A.adjoint_formula) == "Eq(x[i_1, i_2], Piecewise((y[i_1], Eq(i_1, i_2)), (0, True)))"
    np.testing.assert_array_equal(A.apply(np.arange(16.0).reshape(4, 4)), [0.0, 5.0, 10.0, 15.0])
    assert linop.verify(A, seed=0).passed


def test_numbers_may_use_scientific_notation():
    A = from_formula("y[i] = 1.5e-1 * x[i] + 2E1 * x[i + 1] for i = 0..1")
    np.testing.assert_allclose(A.apply(np.array([1.0, 2.0, 3.0])), [40.15, 60.3])


def test_the_output_spans_the_declared_range_even_where_no_term_contributes():
    A = from_formula(
        "y[i] = sum(m=0..3) [0 <= 2*i - m + 1 < 3] [m % 2 == 0] x[2*i - m + 1] for i = 0..3", input_shape=(3,)
    )
    assert A.output_shape == (4,)
    np.testing.assert_array_equal(A.apply(np.array([1.0, 2.0, 3.0]))[2:], [0.0, 0.0])
    assert linop.verify(A, seed=0).passed
