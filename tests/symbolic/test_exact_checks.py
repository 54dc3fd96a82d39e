"""Exact checks: they hold for the derived adjoint and report wrong formulas as false with a counterexample."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import sympy

from linop import symbolic
from linop.symbolic import AffineSum, ProofResult
from linop.symbolic.certificate import certificate, print_certificate
from linop.symbolic.exact_checks import (
    check_linearity,
    check_matrix_equals,
    check_matrix_vector_product,
    check_shape_reversal,
)


def lecture(**kw) -> symbolic.Convolution:
    return symbolic.Convolution(input_shape=7, kernel_shape=3, stride=2, **kw)


def layer() -> symbolic.Convolution:
    return symbolic.Convolution(
        input_shape=(5, 4, 2), kernel_shape=(3, 2, 2, 3), stride=2, dilation=(1, 2), padding=1, boundary="reflect"
    )


# -- wrong formulas, built from the derived one ---------------------------------------------
def without_conjugation(formula: AffineSum) -> AffineSum:
    terms = tuple(
        dataclasses.replace(t, coefficient=t.coefficient.replace(sympy.conjugate, lambda e: e)) for t in formula.terms
    )
    return dataclasses.replace(formula, terms=terms, steps=())


def with_unflipped_kernel(formula: AffineSum, kernel_size: tuple) -> AffineSum:
    """Read k[K-1-m] where the derived formula reads k[m] (a transposed convolution that forgot to flip);
    ``kernel_size`` holds the spatial sizes, channel indices stay."""

    def flip(e):
        index = tuple(kernel_size[a] - 1 - ix if a < len(kernel_size) else ix for a, ix in enumerate(e.indices))
        return e.base[index]

    terms = tuple(
        dataclasses.replace(t, coefficient=t.coefficient.replace(lambda e: isinstance(e, sympy.Indexed), flip))
        for t in formula.terms
    )
    return dataclasses.replace(formula, terms=terms, steps=())


def with_upper_bound_off_by_one(formula: AffineSum) -> AffineSum:
    def shift(t):
        (v, lo, hi), *rest = t.sums
        return dataclasses.replace(t, sums=((v, lo, hi + 1), *rest))

    return dataclasses.replace(formula, terms=tuple(shift(t) if t.sums else t for t in formula.terms), steps=())


def with_lower_bound_off_by_one(formula: AffineSum) -> AffineSum:
    def shift(t):
        (v, lo, hi), *rest = t.sums
        return dataclasses.replace(t, sums=((v, lo + 1, hi), *rest))

    return dataclasses.replace(formula, terms=tuple(shift(t) if t.sums else t for t in formula.terms), steps=())


# -- the true statements --------------------------------------------------------------------
def test_every_check_holds_for_the_lecture_example():
    report = lecture().prove()
    assert report.holds
    assert [r.name for r in report] == ["linearity", "shape reversal", "adjoint identity", "adjoint formula"]
    assert all(r.holds and r.counterexample is None and r.steps for r in report)


def test_every_check_holds_for_a_multichannel_strided_dilated_padded_layer():
    A = layer()
    report = A.prove()
    assert report.holds, report.text()
    assert A.check_transposed_convolution().holds


def test_adjoint_identity_agrees_with_expanding_both_inner_products_in_full():
    A = lecture()
    x = sympy.Matrix(sympy.symbols("x_0:7"))
    y = sympy.Matrix(sympy.symbols("y_0:3"))
    Ax = sympy.Matrix(list(A.apply(list(x))))
    AHy = sympy.Matrix(list(A.apply_adjoint(list(y))))
    left = sum(Ax[r] * sympy.conjugate(y[r]) for r in range(3))
    right = sum(x[c] * sympy.conjugate(AHy[c]) for c in range(7))
    assert sympy.expand(left - right) == 0
    assert A.check_adjoint_identity().holds


def test_missing_conjugation_is_harmless_for_a_real_kernel():
    A = lecture(real=True)
    assert A.check_adjoint_identity(without_conjugation(A.adjoint_formula)).holds


# -- wrong formulas are reported false, with a counterexample entry -------------------------
def test_missing_conjugation_is_reported_with_the_first_monomial_that_differs():
    A = lecture()
    result = A.check_adjoint_identity(without_conjugation(A.adjoint_formula))
    assert not result.holds
    k0 = A.kernel[0]
    assert result.counterexample.left == k0 and result.counterexample.right == sympy.conjugate(k0)
    assert "x[0]" in result.counterexample.location and "y[0]" in result.counterexample.location


@pytest.mark.parametrize(
    "wrong",
    [
        without_conjugation,
        lambda f: with_unflipped_kernel(f, (3,)),
        with_upper_bound_off_by_one,
        with_lower_bound_off_by_one,
    ],
    ids=["missing conjugation", "unflipped kernel", "upper bound + 1", "lower bound + 1"],
)
def test_wrong_lecture_formulas_fail_both_checks_with_a_counterexample(wrong):
    A = lecture()
    formula = wrong(A.adjoint_formula)
    identity = A.check_adjoint_identity(formula)
    entrywise = A.check_adjoint_formula(formula)
    for result in (identity, entrywise):
        assert not result.holds
        assert result.counterexample is not None
        assert "counterexample" in result.text() and "FAILS" in result.text()


@pytest.mark.parametrize(
    "wrong",
    [without_conjugation, lambda f: with_unflipped_kernel(f, (3, 2)), with_upper_bound_off_by_one],
    ids=["missing conjugation", "unflipped kernel", "upper bound + 1"],
)
def test_wrong_layer_formulas_fail_the_adjoint_identity(wrong):
    A = layer()
    result = A.check_adjoint_identity(wrong(A.adjoint_formula))
    assert not result.holds and result.counterexample is not None


def test_the_transpose_without_conjugation_is_not_the_adjoint_of_a_complex_kernel():
    A = lecture()
    result = A.check_adjoint_identity(A.matrix.T)
    assert not result.holds and result.counterexample is not None
    assert A.check_adjoint_identity(A.adjoint_matrix).holds


def test_the_forward_formula_is_not_its_own_adjoint():
    A = lecture()
    with pytest.raises(ValueError):
        A.check_adjoint_identity(sympy.zeros(3, 7))
    result = A.check_adjoint_identity(sympy.zeros(7, 3))
    assert not result.holds


def test_shape_reversal_reports_a_wrong_adjoint_shape():
    A = lecture()
    result = check_shape_reversal((3, 7), (3, 7), A.adjoint_formula, (7,), (3,))
    assert not result.holds and "A^H" in result.counterexample.location


def test_linearity_reports_a_layer_with_bias():
    A = lecture()

    def with_bias(x):
        return A.apply(x) + 1

    result = check_linearity(with_bias, (7,), (3,))
    assert not result.holds
    a, b = sympy.symbols("a b")
    assert sympy.expand(result.counterexample.left - (1 - a - b)) == 0


def test_linearity_holds_for_the_exact_map_given_as_a_function():
    A = lecture()
    assert check_linearity(A.apply, (7,), (3,)).holds


def test_matrix_checks():
    A = lecture()
    assert check_matrix_vector_product(A.apply, A.matrix, (7,), (3,)).holds
    assert not check_matrix_vector_product(A.apply, A.matrix.applyfunc(lambda e: 2 * e), (7,), (3,)).holds
    assert check_matrix_equals(A.matrix, A.matrix).holds
    assert not check_matrix_equals(A.matrix, A.matrix.T).holds


# -- layer statements -----------------------------------------------------------------------
@pytest.mark.parametrize("boundary", ["constant", "wrap", "reflect", "symmetric", "edge"])
def test_adjoint_is_a_convolution_of_the_zero_inserted_output(boundary):
    A = symbolic.Convolution(
        input_shape=(6, 2), kernel_shape=(3, 2, 2), stride=2, dilation=2, padding=[(2, 1)], boundary=boundary, flip=True
    )
    assert A.check_transposed_convolution().holds


def test_backpropagation_gradients_are_the_adjoints_for_real_and_complex_layers():
    assert lecture(real=True).check_backpropagation().holds
    complex_layer = symbolic.Convolution(
        input_shape=(4, 2), kernel_shape=(2, 2, 2), stride=2, padding=1, boundary="wrap"
    )
    assert complex_layer.check_backpropagation().holds


def test_backpropagation_on_an_exact_kernel_uses_symbols():
    A = symbolic.Convolution([1, 2, 3], 6, stride=2)
    assert A.check_backpropagation().holds


def test_all_sizes_proof_holds_with_every_step_confirmed():
    result = symbolic.prove_all_sizes(corroborate=5)
    assert result.holds
    assert not any(s.description.startswith("NOT CONFIRMED") for s in result.steps)
    assert any("bijection" in s.description for s in result.steps)


# -- output ---------------------------------------------------------------------------------
def test_results_render_as_text_markdown_and_latex():
    result = lecture().check_adjoint_identity()
    assert result.text().startswith("adjoint identity: holds") and "  1. " in result.text()
    assert "**Verdict.** holds" in result.markdown() and "$" in result.markdown()
    assert result.latex().startswith(r"\paragraph{Adjoint identity (holds).}")
    assert bool(result)


def test_certificate_says_proved_only_when_every_check_holds(capsys):
    good = lecture().check_linearity()
    bad = ProofResult("made up", symbolic.Formula("false", r"\text{false}"), False)
    assert "**Verdict: proved.**" in certificate("t", "s", [good])
    assert "NOT proved" in certificate("t", "s", [good, bad])
    assert print_certificate("t", "s", [good]) == 0
    assert print_certificate("t", "s", [good, bad]) == 1
    assert "failing: made up" in capsys.readouterr().out


def test_pretty_latex_and_markdown_show_matrix_transpose_and_formulas():
    A = lecture()
    text = A.pretty()
    assert "k₀  k₁  k₂  0   0   0   0" in text and "A^T: 7 x 3 matrix" in text
    assert "adjoint formula (derived)" in text
    assert r"\begin{matrix}" in A.latex() and "$$" in A.markdown()


def test_numeric_kernel_is_real_for_real_symbols_and_complex_otherwise():
    assert not np.iscomplexobj(lecture(real=True).numeric_kernel())
    assert np.iscomplexobj(lecture().numeric_kernel())
