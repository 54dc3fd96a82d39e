"""A range means the integers between its bounds, in both directions; ranges inferred from the shapes
take every unguarded read into account."""

from __future__ import annotations

import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, given, settings

import linop
from linop import from_formula
from linop.formula import FormulaError
from linop.symbolic import AffineSum, SumTerm, index_symbols
from tests.support.formula_brute_force import Refused, described_matrix
from tests.support.formula_strategies import described_formulas


def test_a_fractional_for_bound_means_the_integers_between_the_bounds():
    A = from_formula("y[i] = x[i] for i = n/2..n-1", sizes={"n": 7})  # i = 4, 5, 6 (3.5 <= i <= 6)
    expected = np.diag([0.0, 0, 0, 0, 1, 1, 1])
    np.testing.assert_array_equal(A.to_dense(), expected)
    np.testing.assert_array_equal(A.H.to_dense(), expected)
    assert A.symbolic().prove().holds and linop.verify(A, seed=0).passed


def test_a_fractional_upper_bound_is_rounded_down_in_both_directions():
    A = from_formula("y[i] = x[2*i] for i = 0..7/3", input_shape=(6,))  # i = 0, 1, 2
    assert A.output_shape == (3,)
    np.testing.assert_array_equal(A.H.to_dense(), A.to_dense().T)
    assert linop.verify(A, seed=0).passed


def test_fractional_sum_bounds_are_the_integers_between_them():
    A = from_formula("y[i] = sum(m = 1/2..5/2) x[i + m] for i = 0..1")  # m = 1, 2
    np.testing.assert_array_equal(A.to_dense(), [[0, 1, 1, 0], [0, 0, 1, 1]])
    np.testing.assert_array_equal(A.H.to_dense(), A.to_dense().T)


def test_sum_bounds_that_are_fractions_of_a_variable_are_rounded_inward():
    A = from_formula("y[i] = sum(m = (i + 1)/2..i) x[m] for i = 0..4")  # ceil((i+1)/2) <= m <= i
    expected = np.zeros((5, 5))
    for i in range(5):
        expected[i, -(-(i + 1) // 2) : i + 1] = 1
    np.testing.assert_array_equal(A.to_dense(), expected)
    np.testing.assert_array_equal(A.H.to_dense(), expected.T)


def test_a_range_holding_no_integer_is_refused_where_it_is_written():
    with pytest.raises(FormulaError) as info:
        from_formula("y[i] = x[i] for i = 0..-1/2")
    e = info.value
    assert "holds no integer" in e.reason and e.formula[e.column : e.end] == "i = 0..-1/2"


def test_three_dots_are_an_error_not_a_range_to_a_fraction():
    with pytest.raises(FormulaError) as info:
        from_formula("y[i] = x[i] for i = 0...3")
    e = info.value
    assert "'...'" in e.reason and e.formula[e.column : e.end] == "..."


def test_an_affine_sum_with_fractional_free_bounds_is_refused_not_truncated():
    (i,) = index_symbols("i")
    y, x = sympy.IndexedBase("y"), sympy.IndexedBase("x")
    term = SumTerm(y, (i,), x, (i,), 1, ((i, sympy.Rational(7, 2), 6),))
    with pytest.raises(ValueError, match="integer bounds"):
        from_formula(AffineSum((term,), (7,), (7,)))


@pytest.mark.parametrize(
    ("text", "output_shape"),
    [
        ("y[i] = x[i + 1] - x[i]", (10,)),  # np.diff: every read inside x
        ("y[i] = sum(m=0..1) x[i+m] - x[i]", (10,)),
        ("y[i] = x[i] - x[i + 1]", (10,)),  # the first read alone would allow i = 10
        ("y[i] = sum(m=0..K-1) x[i + m]", (9,)),  # a sum bounded by a size
        ("y[i] = x[n - 1 - i] + x[i]", (11,)),  # a negative slope
        ("y[i] = [i >= 1] x[i - 1] + x[2*i]", (6,)),  # the guarded read does not bound i
    ],
)
def test_a_range_inferred_from_input_shape_keeps_every_unguarded_read_inside(text, output_shape):
    A = from_formula(text, input_shape=(11,), sizes={"K": 3, "n": 11})
    assert A.output_shape == output_shape
    np.testing.assert_array_equal(A.H.to_dense(), A.to_dense().T)
    assert linop.verify(A, seed=0).passed


def test_without_an_unguarded_read_the_range_comes_from_the_axis_the_variable_indexes():
    A = from_formula("y[i] = [i >= 1] (x[i] - x[i - 1])", input_shape=(5,))
    assert A.output_shape == (5,)


def test_a_range_no_value_satisfies_is_unknown_and_says_why():
    with pytest.raises(FormulaError) as info:
        from_formula("y[i] = x[i - 1]", input_shape=(5,))
    assert "range of i is unknown" in info.value.reason and "i = 0 reads x outside" in info.value.reason


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(described_formulas())
def test_random_formulas_with_fractional_and_inferred_ranges_match_the_brute_force_matrix(d):
    text = d.text()

    def build():
        return from_formula(
            text, sizes=d.sizes, arrays=d.arrays, input_shape=d.input_shape, output_shape=d.output_shape
        )

    try:
        matrix, input_shape, output_shape = described_matrix(d)
    except Refused as refused:
        with pytest.raises(FormulaError) as info:
            build()
        assert refused.words in info.value.reason, (text, info.value.reason)
        return
    A = build()
    assert (A.input_shape, A.output_shape) == (input_shape, output_shape), text
    np.testing.assert_allclose(A.to_dense(), matrix, atol=1e-12, err_msg=text)
    np.testing.assert_allclose(A.H.to_dense(), matrix.conj().T, atol=1e-12, err_msg=text)
