"""Bad formulas give a FormulaError that shows the formula with a caret under the offending part."""

from __future__ import annotations

import pytest

from linop import from_formula
from linop.formula import FormulaError
from linop.formula.grammar import parse, tokenize


def located(text: str, **kw) -> FormulaError:
    with pytest.raises(FormulaError) as info:
        from_formula(text, **kw)
    return info.value


def underlined(error: FormulaError) -> str:
    """The part of the formula the caret line marks."""
    return error.formula[error.column:error.end]


def test_non_affine_index_points_at_the_product_of_variables():
    e = located("y[i] = x[i*i] for i = 0..3", input_shape=(16,))
    assert "not affine" in e.reason and underlined(e) == "i*i"
    assert str(e).splitlines()[-1].strip() == "^^^"


def test_non_affine_index_through_a_function_is_located():
    e = located("y[i] = x[2 + exp(i)] for i = 0..3", input_shape=(16,))
    assert underlined(e) == "exp(i)"


def test_unknown_array_points_at_its_name():
    e = located("y[i] = z[i] + x[i] for i = 0..3")
    assert "unknown array 'z'" in e.reason and underlined(e) == "z" and e.column == 7


def test_read_outside_the_declared_input_shape_points_at_the_read():
    e = located("y[i] = x[i] - x[i + 1] for i = 0..n-1", sizes={"n": 4}, input_shape=(4,))
    assert "out of declared range" in e.reason and "index 4" in e.reason
    assert underlined(e) == "x[i + 1]"


def test_negative_read_points_at_the_read():
    e = located("y[i] = x[i - 1] for i = 0..3")
    assert "index -1" in e.reason and underlined(e) == "x[i - 1]"


def test_write_outside_the_declared_output_shape_is_reported():
    e = located("y[2*i] = x[i] for i = 0..3", output_shape=(6,))
    assert "y is written at index 6" in e.reason


def test_coefficient_array_read_outside_its_size_points_at_it():
    e = located("y[i] = sum(m=0..3) k[m] * x[i + m] for i = 0..2", arrays={"k": [1.0, 2.0, 3.0]})
    assert "'k' is read at index 3" in e.reason and underlined(e) == "k[m]"


@pytest.mark.parametrize(
    ("text", "column", "words"),
    [
        ("y[i] = (x[i] for i = 0..3", 7, "never closed"),
        ("y[i] = x[i)] for i = 0..3", 10, "closed by ')'"),
        ("y[i] = x[i]] for i = 0..3", 11, "closes nothing"),
        ("y[i = x[i] for i = 0..3", 1, "never closed"),
    ],
)
def test_unbalanced_brackets_point_at_the_bracket(text, column, words):
    e = located(text)
    assert "unbalanced brackets" in e.reason and words in e.reason and e.column == column


def test_unknown_name_names_the_ways_to_define_it():
    e = located("y[i] = x[i + q] for i = 0..3", input_shape=(9,))
    assert "unknown name 'q'" in e.reason and "sizes=" in e.reason and underlined(e) == "q"


def test_a_part_that_does_not_read_the_input_is_not_linear():
    e = located("y[i] = x[i] + 1 for i = 0..3")
    assert "does not read the input" in e.reason and underlined(e) == "1"


def test_product_of_two_inputs_is_not_linear():
    e = located("y[i] = x[i] * x[i + 1] for i = 0..3")
    assert "product of two entries" in e.reason and underlined(e) == "x[i] * x[i + 1]"


def test_missing_range_asks_for_it():
    e = located("y[i] = x[2*i]")
    assert "range of i is unknown" in e.reason and underlined(e) == "i"


def test_grammar_errors_say_what_was_expected():
    e = located("y[i] = x[i] for i 0..3")
    assert "expected '='" in e.reason
    e = located("y[i] = sum(m=0..2)")
    assert "summand" in e.reason


def test_unexpected_character_is_located():
    with pytest.raises(FormulaError) as info:
        tokenize("y[i] = x[i] $ 2")
    assert info.value.column == 12


def test_errors_are_value_errors_without_sympy_tracebacks():
    e = located("y[i] = x[i*i] for i = 0..3", input_shape=(16,))
    assert isinstance(e, ValueError) and "sympy" not in str(e).lower()


def test_parse_keeps_the_columns_of_every_part():
    tree = parse("y[i] = [i >= 1] x[i - 1] for i = 0..4")
    assert tree.target.name == "y" and tree.ranges[0].variable == "i"
    assert (tree.rhs.start, tree.rhs.end) == (7, 24)
