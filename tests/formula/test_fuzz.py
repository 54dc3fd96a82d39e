"""Random formulas, valid or not: each gives an operator whose adjoint is its conjugate transpose and whose
exact proofs hold, or a FormulaError with a caret; never another exception, never a hang."""

from __future__ import annotations

import contextlib
import signal
import threading

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import linop
from linop import from_formula
from linop.formula import FormulaError
from linop.formula.grammar import tokenize
from linop.symbolic import SymbolicSizeError

SEEDS = [
    "y[i] = x[i + 1] - x[i] for i = 0..n-2",
    "y[i, j] = sum(m=0..1, l=0..1) x[2*i + m, 2*j + l] / 4",
    "y[i] = [i >= 1] (x[i] - x[i-1]) for i = 0..n-1",
    "y[2*i + r] = x[i] for r = 0..1",
    "y[i] = sum(m=0..2) k[m] * x[i + m] for i = 0..3",
    "y[q] = sum(m=0..n-1) exp(-2*pi*I*q*m/n) * x[m] for q = 0..n-1",
    "y[i] = [0 <= 2*i + m - 1 < n] x[2*i - 1] + [(i + 1) % 2 == 0] conj(k[i % 3]) x[i] for i = 0..n/2",
    "y[i] = -[i >= 1] x[i] + sum(m = i/2..i) (i + 1)**2 * x[m] for i = 0..4",
    "y[i, j] = [i <= n - 2] x[i + 1, j] - x[i, j] + [j >= 1] sqrt(2) * x[i, j - 1]",
    "y[3*i + r] = (r + 1)/3 * x[i] + [r >= 1] x[i + 1] for r = 0..2, i = 0..n-2",
]
# tokens of the same kind replace each other (the formula stays readable far enough to reach the
# builder, the derivation and the compiler); the vocabulary adds what breaks each stage
KINDS = [
    ["i", "j", "m", "n", "k", "q", "r", "l", "lambda", "pi", "I", "E", "ｉ"],
    ["0", "1", "2", "3", "0.5", "1e300", "1e-300", "9", "10", "2.5", "100", "1e400", "7/3"],
    ["+", "-", "*", "/", "%", "**"],
    ["<", "<=", ">", ">=", "==", "!="],
    ["exp", "log", "sqrt", "conj", "re", "im", "sin"],
]
VOCABULARY = [t for kind in KINDS for t in kind] + [
    "sum",
    "for",
    "and",
    "..",
    "...",
    "=",
    "[",
    "]",
    "(",
    ")",
    ",",
    "²",
    "\t",
    "中",
    "$",
    "٣",
    "x[i]",
    "[i >= 1]",
    "sum(m=0..1)",
    "2**",
    "9**9**9",
    "(" * 60,
    "- " * 60,
    "x[i] + " * 40,
]


def _tokens(text: str) -> list[str]:
    return [t.text for t in tokenize(text) if t.kind != "end"]


@st.composite
def mutated_formulas(draw) -> str:
    tokens = _tokens(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(tokens) - 1))
        kind = next((k for k in KINDS if tokens[at] in k), None)
        action = draw(st.sampled_from(["similar", "similar", "insert", "delete", "any"]))
        if action == "similar" and kind:
            tokens[at] = draw(st.sampled_from(kind))
        elif action == "insert":
            tokens.insert(at, draw(st.sampled_from(["-", "2 *", "[i >= 1]", "(-1)**i *", "sum(s=0..2)", "conj", "+"])))
        elif action == "delete" and len(tokens) > 1:
            del tokens[at]
        else:
            tokens[at] = draw(st.sampled_from(VOCABULARY))
    return " ".join(tokens)


FORMULAS = st.one_of(
    mutated_formulas(),
    st.lists(st.sampled_from(VOCABULARY), max_size=20).map(" ".join),
    st.text(max_size=40),
)


class Hung(Exception):
    """A formula took longer than the hang guard allows."""


@contextlib.contextmanager
def hang_guard(seconds: int):
    """Turn a hang into a failure (a guard against endless work, not a timing check: the limit is
    hundreds of times what any of these small formulas needs)."""
    if not hasattr(signal, "SIGALRM") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def hung(*_):
        raise Hung(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(FORMULAS, st.sampled_from([None, (6,), (5, 5)]))
def test_any_text_gives_a_verified_operator_or_a_located_formula_error(text, input_shape):
    with hang_guard(120):
        try:
            A = from_formula(text, sizes={"n": 5}, arrays={"k": [1.0, 2.0, 3.0]}, input_shape=input_shape)
        except FormulaError as error:
            assert error.column >= 0, f"no caret: {error}"
            return
        if A.shape[0] * A.shape[1] <= 2500:
            np.testing.assert_allclose(A.H.to_dense(), A.to_dense().conj().T, atol=1e-9, err_msg=text)
        if A.shape[0] * A.shape[1] <= 400:
            with contextlib.suppress(SymbolicSizeError):
                assert A.symbolic().prove().holds, text


def test_an_unused_coefficient_array_does_not_break_the_proofs():
    A = from_formula("y[i] = x[i + 1] - x[i] for i = 0..3", arrays={"k": [1.0, 2.0]})
    assert A.symbolic().prove().holds and linop.verify(A, seed=0).passed


def test_a_dft_of_an_astronomical_length_is_a_product_not_an_fft():
    A = from_formula("y[q] = sum(m=0..4) exp(-1e-300*pi*I*q*m) * x[m] for q = 0..4")
    np.testing.assert_allclose(A.to_dense(), np.ones((5, 5)), atol=1e-12)


@pytest.mark.parametrize(
    ("text", "words", "marked"),
    [
        ("y[i] = sum(m = i/1e300..i) x[m] for i = 0..4", "beyond 2**62", "x[m]"),
        ("y[i] = k[10**300 * i] * x[i] for i = 0..1", "beyond any array", "k[10**300 * i] * x[i]"),
        ("y[i] = [I >= 1] x[i] for i = 0..2", "not a real number", "I"),
        ("y[i] = x[i] for i = 0..I - 1", "not a real number", "I - 1"),
        ("y[i] = x[i + I] for i = 0..2", "not a real number", "i + I"),
        (
            "y[q] = sum(m=0..4) exp(-2*pi*I*q*m % 5) * x[m] for q = 0..4",
            "cannot evaluate the coefficient",
            "exp(-2*pi*I*q*m % 5) * x[m]",
        ),
    ],
)
def test_numbers_numpy_cannot_hold_and_complex_indices_are_located_errors(text, words, marked):
    with pytest.raises(FormulaError) as info:
        from_formula(text, arrays={"k": [1.0, 2.0]})
    assert words in info.value.reason and info.value.formula[info.value.column : info.value.end] == marked
