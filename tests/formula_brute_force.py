"""Brute-force evaluation of an affine-index sum: nested Python loops over the defining sum.

Deliberately independent of linop's formula compiler and of its lambdified evaluator:
every bound, condition, index and coefficient is evaluated by SymPy substitution at each
index tuple, one tuple at a time. Only for small sizes.
"""

from __future__ import annotations

import itertools

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
