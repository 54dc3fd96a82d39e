"""The formula's names never reach generated code: keywords prove and verify, names that Python would
merge after Unicode normalisation are refused by name, and the exact evaluators rename everything."""

from __future__ import annotations

import numpy as np
import pytest
import sympy

import linop
from linop import from_formula
from linop.formula import FormulaError
from linop.symbolic import AffineSum, SumTerm, formula_entries, lambdify_formula
from tests.support.formula_brute_force import evaluate


@pytest.mark.parametrize("name", ["lambda", "def", "class", "None", "range", "_emit", "math", "builtins"])
def test_a_variable_named_like_python_syntax_or_generated_names_proves_and_verifies(name):
    A = from_formula(f"y[{name}] = x[{name} + 1] - x[{name}] for {name} = 0..n-2", sizes={"n": 6})
    assert A.symbolic().prove().holds
    assert linop.verify(A, seed=0).passed


def test_sums_and_coefficient_arrays_named_like_keywords_prove_and_verify():
    A = from_formula(
        "y[i] = sum(if=0..2) lambda[if] * x[i + if] for i = 0..3", arrays={"lambda": np.array([0.5, -1.0, 2.0])}
    )
    np.testing.assert_allclose(A @ np.arange(6.0), [3.0, 4.5, 6.0, 7.5])
    assert A.symbolic().prove().holds
    assert linop.verify(A, seed=0).passed


def test_a_fullwidth_name_on_its_own_is_an_ordinary_variable():
    A = from_formula("y[ｉ] = x[ｉ + 1] for ｉ = 0..3")
    assert A.symbolic().prove().holds and linop.verify(A, seed=0).passed


@pytest.mark.parametrize(
    ("text", "kw", "second"),
    [
        ("y[i] = sum(ｉ=0..1) x[i + ｉ] for i = 0..3", {}, "ｉ"),
        ("y[i] = x[i] for ｉ = 0..3", {}, "ｉ"),
        ("y[i] = x[i + ｎ] for i = 0..3", {"sizes": {"n": 2}}, "ｎ"),
        ("y[i] = ｋ[i] * x[i] for i = 0..1", {"arrays": {"k": [1.0, 2.0]}}, "ｋ"),
        ("y[i] = x[i] ｆor i = 0..1", {}, "ｆor"),
    ],
)
def test_names_equal_after_unicode_normalisation_are_refused_by_name(text, kw, second):
    with pytest.raises(FormulaError) as info:
        from_formula(text, **kw)
    e = info.value
    assert "NFKC" in e.reason and e.formula[e.column : e.end] == second


def _confusable_formula() -> AffineSum:
    """``y[i] = sum(ｉ = 0..1) c * x[i + ｉ]`` built in Python, where the two names are distinct symbols
    (Python's identifier normalisation would merge them), with a variable called ``lambda`` too."""
    i, fullwidth, keyword = (sympy.Symbol(n, integer=True) for n in ("i", "ｉ", "lambda"))
    y, x, k = sympy.IndexedBase("y"), sympy.IndexedBase("x"), sympy.IndexedBase("lambda", real=True)
    term = SumTerm(
        y,
        (i,),
        x,
        (i + fullwidth + keyword,),
        (fullwidth + 1) * k[keyword],
        ((i, 0, 3),),
        ((fullwidth, 0, 1), (keyword, 0, 1)),
    )
    return AffineSum((term,), (4,), (7,))


def test_exact_entries_of_a_formula_with_confusable_and_keyword_names_are_right():
    formula = _confusable_formula()
    k = np.array([2.0, -3.0])
    entries = formula_entries(formula, {"lambda": k})
    dense = np.zeros((4, 7))
    for ((row,), (col,)), value in entries.items():
        dense[row, col] = float(value)
    columns = [evaluate(formula, np.eye(7)[c], {"lambda": k}).real for c in range(7)]
    np.testing.assert_allclose(dense, np.stack(columns, axis=1))


def test_the_lambdified_formula_with_confusable_and_keyword_names_is_right():
    formula = _confusable_formula()
    k = np.array([2.0, -3.0])
    x = np.arange(7.0)
    np.testing.assert_allclose(lambdify_formula(formula)(x, **{"lambda": k}), evaluate(formula, x, {"lambda": k}).real)


def test_an_operator_from_a_formula_with_confusable_names_derives_its_adjoint_and_verifies():
    A = from_formula(_confusable_formula(), arrays={"lambda": np.array([2.0, -3.0])})
    assert A.symbolic().prove().holds
    assert linop.verify(A, seed=0).passed
