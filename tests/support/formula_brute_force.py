"""Brute-force evaluation of formulas: nested Python loops over the defining sum.

Deliberately independent of linop's formula compiler and of its lambdified evaluator.
:func:`evaluate` takes an ``AffineSum`` and evaluates every bound, condition, index and
coefficient by SymPy substitution at each index tuple, one tuple at a time;
:func:`described_matrix` takes a formula as described by a test (not its text) and builds
its matrix with Python's fractions, applying the documented meaning of ranges (``lo..hi``
holds the integers between the bounds) and of inferred ranges. Only for small sizes.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import sympy


def _value(expr, env, arrays):
    expr = sympy.sympify(expr).xreplace(env)
    atoms = {}
    for a in expr.atoms(sympy.Indexed):
        index = tuple(int(i) for i in a.indices)
        array = arrays[str(a.base.label)]
        assert all(0 <= i < n for i, n in zip(index, array.shape)), f"{a} outside {array.shape}"
        z = complex(array[index])
        atoms[a] = sympy.Float(z.real, 30) + sympy.I * sympy.Float(z.imag, 30)
    return complex(sympy.N(expr.xreplace(atoms), 30))


def _holds(condition, env) -> bool:
    value = sympy.sympify(condition).xreplace(env)
    return bool(sympy.simplify(value))


def evaluate(formula, source: np.ndarray, arrays: dict | None = None) -> np.ndarray:
    """``target = formula(source)`` by enumerating every index tuple of every term."""
    arrays = dict(arrays or {})
    target_shape = tuple(int(n) for n in formula.target_shape)
    assert source.shape == tuple(int(n) for n in formula.source_shape)
    out = np.zeros(target_shape, dtype=complex)
    for term in formula.terms:
        free_ranges = [range(int(lo), int(hi) + 1) for _, lo, hi in term.free]
        for values in itertools.product(*free_ranges):
            env = {v: sympy.Integer(x) for (v, _, _), x in zip(term.free, values)}
            _accumulate(term, 0, env, out, source, arrays)
    return out


def _accumulate(term, level, env, out, source, arrays) -> None:
    if level < len(term.sums):
        v, lo, hi = term.sums[level]
        low = int(sympy.sympify(lo).xreplace(env))
        high = int(sympy.sympify(hi).xreplace(env))
        for value in range(low, high + 1):
            _accumulate(term, level + 1, {**env, v: sympy.Integer(value)}, out, source, arrays)
        return
    if not all(_holds(c, env) for c in term.conditions):
        return
    target = tuple(int(sympy.sympify(e).xreplace(env)) for e in term.target_index)
    index = tuple(int(sympy.sympify(e).xreplace(env)) for e in term.source_index)
    assert all(0 <= i < n for i, n in zip(target, out.shape)), f"writes {target} outside {out.shape}"
    assert all(0 <= i < n for i, n in zip(index, source.shape)), f"reads {index} outside {source.shape}"
    out[target] += _value(term.coefficient, env, arrays) * source[index]


# -- formulas given by their description (independent of linop's parser, builder and compiler) --
#
# A described formula is what a person means by the text: terms that read x at integer affine
# indices, nested sums whose bounds may be fractions (a range lo..hi is the integers v with
# lo <= v <= hi), Iverson brackets, coefficients. The matrix is built by enumerating every index
# tuple with Python's Fractions; free ranges without 'for' follow the documented inference rule,
# applied by scanning values one at a time.


@dataclass(frozen=True)
class Affine:
    """``(const + sum_v coeffs[v] * v) / divisor`` over variables and sizes, with its text."""

    const: int
    coeffs: tuple = ()
    divisor: int = 1

    def __call__(self, env: dict) -> Fraction:
        return Fraction(self.const + sum(c * env[v] for v, c in self.coeffs), self.divisor)

    def names(self) -> set:
        return {v for v, c in self.coeffs if c}

    def text(self) -> str:
        parts = [f"{c}*{v}" if c != 1 else v for v, c in self.coeffs if c]
        body = " + ".join(parts + ([str(self.const)] if self.const or not parts else [])).replace("+ -", "- ")
        return body if self.divisor == 1 else f"({body})/{self.divisor}"


@dataclass(frozen=True)
class Guard:
    """An Iverson bracket: its text and its truth value in an environment."""

    text: str
    holds: Callable[[dict], bool]


@dataclass(frozen=True)
class Coefficient:
    text: str
    value: Callable[[dict], complex]


@dataclass(frozen=True)
class Read:
    """``sign * sum(sums) [guards] coefficient * x[index]``."""

    sign: int
    sums: tuple  # ((name, lower Affine, upper Affine), ...), outermost first
    guards: tuple  # Guard, ...
    coefficient: Coefficient
    index: tuple  # Affine per axis (integer coefficients)

    def text(self) -> str:
        ranges = ", ".join(f"{v}={lo.text()}..{hi.text()}" for v, lo, hi in self.sums)
        body = " ".join(
            [g.text for g in self.guards] + [f"{self.coefficient.text} * x[{', '.join(e.text() for e in self.index)}]"]
        )
        return f"sum({ranges}) {body}" if self.sums else body


@dataclass(frozen=True)
class Described:
    """``y[free] = reads for ranges`` with the sizes, arrays and shapes given to ``from_formula``."""

    free: tuple
    ranges: dict  # {variable: (lower Affine, upper Affine)}; the others are inferred
    reads: tuple
    sizes: dict
    arrays: dict
    input_shape: tuple | None = None
    output_shape: tuple | None = None

    def text(self) -> str:
        rhs = ""
        for n, r in enumerate(self.reads):
            sign = "-" if r.sign < 0 else "+"
            rhs += (("-" if r.sign < 0 else "") if n == 0 else f" {sign} ") + r.text()
        text = f"y[{', '.join(self.free)}] = {rhs}"
        if self.ranges:
            text += " for " + ", ".join(f"{v} = {lo.text()}..{hi.text()}" for v, (lo, hi) in self.ranges.items())
        return text


class Refused(Exception):
    """The formula has no operator; ``words`` are expected in linop's FormulaError."""

    def __init__(self, words: str):
        super().__init__(words)
        self.words = words


def _sum_values(sums, env):
    """Every assignment of the sums' variables (bounds: ceiling of the lower, floor of the upper)."""
    if not sums:
        yield env
        return
    (v, lo, hi), rest = sums[0], sums[1:]
    for value in range(math.ceil(lo(env)), math.floor(hi(env)) + 1):
        yield from _sum_values(rest, {**env, v: value})


def _inferred_upper(d: Described, var: str) -> int:
    """The documented rule: the largest U such that for var = 0..U every unguarded read stays inside
    x, for every value of its sums (reads whose axis depends on var alone and whose sums have
    constant bounds); without such reads, the size of an input axis indexed by var alone."""
    others = set(d.free) - {var}

    def fixed_window(r: Read) -> bool:  # sums with constant bounds, none empty
        constant = all(not (lo.names() | hi.names()) - set(d.sizes) for _, lo, hi in r.sums)
        return constant and all(math.ceil(lo(d.sizes)) <= math.floor(hi(d.sizes)) for _, lo, hi in r.sums)

    axes = [
        (r, a)
        for r in d.reads
        if not r.guards and fixed_window(r)
        for a, e in enumerate(r.index)
        if var in e.names() and not e.names() & others
    ]
    if axes:
        upper = -1
        while upper < 10 * max(d.input_shape) + 100:
            env = {**d.sizes, var: upper + 1}
            inside = all(0 <= int(r.index[a](e)) < d.input_shape[a] for r, a in axes for e in _sum_values(r.sums, env))
            if not inside:
                break
            upper += 1
        return upper
    direct = [
        d.input_shape[a]
        for r in d.reads
        for a, e in enumerate(r.index)
        if e.names() == {var} and dict(e.coeffs)[var] == 1 and e.const == 0 and e.divisor == 1
    ]
    if not direct:
        raise Refused("is unknown")
    return min(direct) - 1


def described_matrix(d: Described) -> tuple[np.ndarray, tuple, tuple]:
    """``(matrix, input_shape, output_shape)`` of a described formula, by enumeration.

    Raises
    ------
    Refused
        Where linop must refuse the formula (an empty range, no range, a read outside x, a zero map).
    """
    for lo, hi in d.ranges.values():  # the stated ranges first, then the inferred ones
        if math.ceil(lo(d.sizes)) > math.floor(hi(d.sizes)):
            raise Refused("holds no integer")
    box = []
    for a, v in enumerate(d.free):
        if v in d.ranges:
            lo, hi = d.ranges[v]
            low, high = math.ceil(lo(d.sizes)), math.floor(hi(d.sizes))
        elif d.output_shape is not None:
            low, high = 0, d.output_shape[a] - 1
        elif d.input_shape is not None:
            low, high = 0, _inferred_upper(d, v)
            if high < 0:
                raise Refused("is unknown")
        else:
            raise Refused("is unknown")
        box.append(range(low, high + 1))
    output_shape = d.output_shape or tuple(r[-1] + 1 for r in box)
    entries = []
    for values in itertools.product(*box):
        env = {**d.sizes, **dict(zip(d.free, values))}
        for r in d.reads:
            for e in _sum_values(r.sums, env):
                if all(g.holds(e) for g in r.guards):
                    source = tuple(int(a(e)) for a in r.index)
                    entries.append((values, source, r.sign * complex(r.coefficient.value(e))))
    if not entries:
        raise Refused("ever contributes")
    ndim = len(d.reads[0].index)
    highs = [max(s[a] for _, s, _ in entries) for a in range(ndim)]
    if any(min(s[a] for _, s, _ in entries) < 0 for a in range(ndim)):
        raise Refused("out of declared range")
    input_shape = d.input_shape or tuple(h + 1 for h in highs)
    if any(h >= n for h, n in zip(highs, input_shape)):
        raise Refused("out of declared range")
    matrix = np.zeros((math.prod(output_shape), math.prod(input_shape)), dtype=complex)
    for target, source, c in entries:
        matrix[np.ravel_multi_index(target, output_shape), np.ravel_multi_index(source, input_shape)] += c
    return matrix, tuple(input_shape), tuple(output_shape)
