"""Bad formulas give a FormulaError that shows the formula with a caret under the offending part."""

from __future__ import annotations

import numpy as np
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
    return error.formula[error.column : error.end]


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


# -- every problem is a located FormulaError, found before the work is done ------------------
def caret_columns(error: FormulaError) -> tuple[int, int]:
    """Display columns of the formula line's underlined part and of the caret line's carets, as a
    terminal shows them (tabs to multiples of 8, East Asian wide characters two columns)."""
    import unicodedata

    def cells(text: str) -> list[int]:
        out, col = [], 0
        for ch in text:
            out.append(col)
            col = (col // 8 + 1) * 8 if ch == "\t" else col + (2 if unicodedata.east_asian_width(ch) in "WF" else 1)
        return out + [col]

    formula_line, caret_line = str(error).splitlines()[-2:]
    return cells(formula_line)[formula_line.index(error.formula) + error.column], cells(caret_line)[
        caret_line.index("^")
    ]


@pytest.mark.parametrize(
    ("text", "kw", "words", "marked"),
    [
        ("y[i] = [i % 0 == 0] x[i] for i = 0..3", {}, "division by zero", "0"),
        ("y[i] = [i % n == 0] x[i] for i = 0..3", {"sizes": {"n": 0}}, "division by zero", "n"),
        ("y[i] = x[i / n] for i = 0..3", {"sizes": {"n": 0}}, "division by zero", "n"),
        ("y[i] = x[i + 1e400] for i = 0..3", {}, "outside the range of float64", "1e400"),
        ("y[i] = 1e400 * x[i] for i = 0..3", {}, "outside the range of float64", "1e400"),
        ("y[i] = 1e-999999999 * x[i] for i = 0..3", {}, "too many digits", "1e-999999999"),
        ("y[i] = log(0) * x[i] for i = 0..3", {}, "not a finite", "log(0)"),
        ("y[i] = log(n - 3) * x[i] for i = 0..3", {"sizes": {"n": 3}}, "not a finite", "log(n - 3)"),
        ("y[i] = exp(exp(exp(10))) * x[i] for i = 0..3", {}, "not a finite", "exp(exp(10))"),
        ("y[i] = 0**(-1) * x[i] for i = 0..3", {}, "not a finite", "0**(-1)"),
        ("y[i] = 1e300 * 1e300 * x[i] for i = 0..3", {}, "not a finite", "1e300 * 1e300 * x[i]"),
        ("y[i] = 1/(i - 1) * x[i] for i = 0..3", {}, "not a finite", "1/(i - 1) * x[i]"),
        ("y[i] = x[i]² for i = 0..3", {}, "unexpected character '²'", "²"),
        ("y[i] = x[i + ٣] for i = 0..3", {}, "digits 0-9", "٣"),
        ("y[i] = 9**9**9 * x[i] for i = 0..3", {}, "bits", "9**9**9"),
        ("y[i] = x[i + 2**2**40] for i = 0..3", {}, "bits", "2**2**40"),
        ("y[i] = 2**n * x[i] for i = 0..3", {"sizes": {"n": 10**9}}, "bits", "2**n"),
        ("y[i] = x[i] for i = 0..10**9", {}, "268,435,456", "i = 0..10**9"),
        ("y[i, j] = x[i, j] for i = 0..10**5, j = 0..10**5", {}, "268,435,456", "y[i, j]"),
        ("y[i] = x[i + 1e300] for i = 0..3", {}, "beyond any array", "x[i + 1e300]"),
        ("y[i] = exp(1, 2) * x[i] for i = 0..3", {}, "takes 1 argument", "exp(1, 2)"),
    ],
)
def test_arithmetic_and_size_problems_are_located_errors(text, kw, words, marked):
    e = located(text, **kw)
    assert words in e.reason and underlined(e) == marked


def test_a_flat_sum_of_500_terms_is_an_ordinary_formula():
    A = from_formula("y[i] = " + " + ".join(["x[i]"] * 500) + " for i = 0..2")
    np.testing.assert_array_equal(A.to_dense(), 500 * np.eye(3))
    assert A.symbolic().prove().holds


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("y[i] = " + "(" * 200 + "x[i]" + ")" * 200 + " for i = 0..3", "nest more than"),
        ("y[i] = " + "-" * 200 + "x[i] for i = 0..3", "nest more than"),
        ("y[i] = " + "2**" * 200 + "1 * x[i] for i = 0..3", "nest more than"),
        ("y[i] = " + " * ".join(["2"] * 200) + " * x[i] for i = 0..3", "more than 50 factors"),
        ("y[i] = " + "[i >= 0] " * 200 + "x[i] for i = 0..3", "more than 50 factors"),
        ("y[i] = " + "".join(f"sum(m{k}=0..1) " for k in range(40)) + "x[i] for i = 0..3", "nest more than"),
        ("y[i] = " + "".join(f"sum(m{k}=0..1) " for k in range(15)) + "x[i] for i = 0..3", "index variables"),
        ("y[i] = sum(" + ", ".join(f"m{k}=0..1" for k in range(15)) + ") x[i] for i = 0..3", "index variables"),
        (
            "y[i] = sum(a=0..9, b=0..9, c=0..9, d=0..9, e=0..9, f=0..9) x[i + a + b + c + d + e + f] for i = 0..3",
            "steps",
        ),
        ("y[i] = " + "([i >= 0] + [i >= 1]) " * 12 + "* x[i] for i = 0..3", "terms"),
    ],
)
def test_work_that_would_exhaust_python_or_the_machine_is_refused_where_it_starts(text, words):
    e = located(text)
    assert words in e.reason and e.column >= 0


def test_a_signed_bracket_multiplies_what_follows_it():
    A = from_formula("y[i] = -[i >= 1] x[i] for i = 0..3")
    np.testing.assert_array_equal(A.to_dense(), -np.diag([0.0, 1, 1, 1]))


def test_a_variable_ranged_twice_is_refused_at_the_second_range():
    e = located("y[i] = x[i] for i = 0..3, i = 0..2")
    assert "two ranges" in e.reason and underlined(e) == "i = 0..2"


def test_the_empty_formula_gets_a_located_message_with_an_example():
    for text in ("", "   "):
        e = located(text)
        assert "empty" in e.reason and "y[i] = " in e.reason and e.column == len(text)


@pytest.mark.parametrize(
    "text",
    [
        "y[i] =\tx[i] + z[i] for i = 0..3",
        "y[i] = x[i]\t\t+ z[i] for i = 0..3",
        "y[i] = 中x[i] + z[i] for i = 0..3",
        "y[i] = ｘ中[i]\t+ z[i] for i = 0..3",
    ],
)
def test_the_carets_stand_under_the_marked_part_after_tabs_and_wide_characters(text):
    e = located(text)
    assert underlined(e) == "z"
    formula_column, caret_column = caret_columns(e)
    assert caret_column == formula_column
