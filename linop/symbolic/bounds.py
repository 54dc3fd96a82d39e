"""Summation bounds from linear constraints: the floor/ceiling arithmetic of index sets.

A linear constraint ``a v + r >= 0`` on an integer variable ``v`` (``a`` of known sign,
``r`` free of ``v``) is a bound:

* ``a > 0``:  ``v >= -r/a``, i.e. ``v >= ceiling(-r/a)``;
* ``a < 0``:  ``v <= r/(-a)``, i.e. ``v <= floor(r/(-a))``

(for integer ``v``: ``v >= t`` iff ``v >= ceiling(t)`` and ``v <= t`` iff ``v <= floor(t)``).
Each constraint is assigned to the innermost summation variable it involves, so nested
sums with these bounds run over exactly the constrained index set (an empty inner range
contributes zero).
"""

from __future__ import annotations

from collections.abc import Sequence

import sympy
from sympy import Expr, Symbol

from .affine_sum import Range
from .steps import Step

__all__ = [
    "as_nonnegative",
    "bound_from_constraint",
    "integer_form",
    "is_always_true",
    "range_constraints",
    "tighten",
]


def integer_form(expr: Expr) -> Expr:
    """``expr`` multiplied by its positive denominator (``(i + 1)/d -> i + 1`` for ``d > 0``).

    The sign of ``expr >= 0`` is kept; a denominator of unknown sign is left in place.
    """
    together = sympy.together(sympy.expand(expr))
    num, den = sympy.fraction(together)
    if den.is_positive:
        return sympy.expand(num)
    return sympy.expand(expr)


def as_nonnegative(condition: sympy.Basic) -> Expr | None:
    """A linear inequality over the integers as ``e >= 0`` (``a > b`` is ``a - b - 1 >= 0``).

    Returns ``None`` for anything that is not an inequality (equalities, divisibility).
    """
    if isinstance(condition, (sympy.GreaterThan, sympy.StrictGreaterThan)):
        big, small = condition.lhs, condition.rhs
    elif isinstance(condition, (sympy.LessThan, sympy.StrictLessThan)):
        big, small = condition.rhs, condition.lhs
    else:
        return None
    expr = integer_form(big - small)
    if isinstance(condition, (sympy.StrictGreaterThan, sympy.StrictLessThan)):
        expr = expr - 1
    return expr


def _strip_rounding(bound: Expr, rounding: type[sympy.Basic]) -> Expr:
    """``ceiling(e) + c -> e + c`` (``floor`` for upper bounds): for an integer ``v``,
    ``v >= ceiling(e) + c`` iff ``v >= e + c`` (``c`` an integer)."""
    expanded = sympy.expand(bound)
    atoms = list(expanded.atoms(sympy.floor, sympy.ceiling))
    if not atoms:
        return bound
    if len(atoms) == 1 and isinstance(atoms[0], rounding):
        slot = sympy.Dummy()
        replaced = expanded.xreplace({atoms[0]: slot})
        if sympy.diff(replaced, slot) == 1:
            return replaced.subs(slot, atoms[0].args[0])
    raise ValueError(f"cannot use {bound} as a {'lower' if rounding is sympy.ceiling else 'upper'} bound: not affine")


def range_constraints(value: Expr, lower: Expr, upper: Expr) -> list[sympy.Basic]:
    """``lower <= value <= upper`` as linear inequalities, for an integer-valued ``value``.

    A ``Max`` lower bound gives one inequality per argument, a ``Min`` upper bound too, and
    ``ceiling``/``floor`` around them is dropped (for an integer ``v``, ``v >= ceiling(e)``
    iff ``v >= e``): derived formulas can be derived again.
    """
    lows = lower.args if isinstance(lower, sympy.Max) else (lower,)
    highs = upper.args if isinstance(upper, sympy.Min) else (upper,)
    out: list[sympy.Basic] = [sympy.Ge(value, _strip_rounding(b, sympy.ceiling)) for b in lows]
    out += [sympy.Le(value, _strip_rounding(b, sympy.floor)) for b in highs]
    return [c for c in out if c is not sympy.true]


def bound_from_constraint(expr: Expr, variable: Symbol) -> tuple[str, Expr]:
    """Solve ``expr >= 0`` (linear in ``variable``) for a bound on ``variable``.

    Returns ``("lower", ceiling(-r/a))`` or ``("upper", floor(r/(-a)))``.

    Raises
    ------
    ValueError
        If the slope ``a`` is zero or of unknown sign (declare symbolic sizes positive).
    """
    slope = sympy.diff(expr, variable)
    rest = sympy.expand(expr - slope * variable)
    if slope.is_positive:
        return "lower", sympy.ceiling(sympy.cancel(-rest / slope))
    if slope.is_negative:
        return "upper", sympy.floor(sympy.cancel(rest / -slope))
    raise ValueError(
        f"cannot turn {expr} >= 0 into a bound on {variable}: the sign of its coefficient {slope} "
        f"is unknown (declare symbolic sizes positive=True)"
    )


def _box_extremes(expr: Expr, box: Sequence[Range]) -> tuple[Expr, Expr] | None:
    """Minimum and maximum of an affine ``expr`` over a box of variables (``None``: not decidable)."""
    lo_val = hi_val = expr.subs({v: 0 for v, _, _ in box})
    for v, lo, hi in box:
        a = sympy.diff(expr, v)
        if a == 0:
            continue
        if a.is_nonnegative:
            lo_val, hi_val = lo_val + a * lo, hi_val + a * hi
        elif a.is_nonpositive:
            lo_val, hi_val = lo_val + a * hi, hi_val + a * lo
        else:
            return None
    return sympy.expand(lo_val), sympy.expand(hi_val)


def is_always_true(condition: sympy.Basic, box: Sequence[Range]) -> bool | None:
    """Whether a linear inequality holds on the whole box (``True``), nowhere (``False``),
    or neither / cannot tell (``None``)."""
    expr = as_nonnegative(condition)
    if expr is None:
        return None
    if any(expr.has(v) and sympy.diff(expr, v).has(*(w for w, _, _ in box)) for v, _, _ in box):
        return None
    extremes = _box_extremes(expr, box)
    if extremes is None:
        return None
    low, high = extremes
    if (low >= 0) is sympy.true:
        return True
    if (high < 0) is sympy.true:
        return False
    return None


def tighten(
    free: Sequence[Range], sums: Sequence[Range], conditions: Sequence[sympy.Basic]
) -> tuple[tuple[Range, ...], tuple[sympy.Basic, ...], tuple[sympy.Basic, ...], tuple[Step, ...]]:
    """Turn linear conditions on summation variables into their bounds.

    Returns ``(sums, inner, outer, steps)``: the summation ranges with ``Max``/``Min``
    bounds, the conditions left inside the sums (divisibility, non-linear ones), the
    conditions on free variables only (always-true ones dropped), and one step per bound.
    ``outer`` contains ``sympy.false`` when a condition can never hold on the free box.
    """
    sum_vars = [v for v, _, _ in sums]
    lower = {v: [lo] for v, lo, _ in sums}
    upper = {v: [hi] for v, _, hi in sums}
    inner: list[sympy.Basic] = []
    outer: list[sympy.Basic] = []
    steps: list[Step] = []
    for cond in _split_equalities(conditions, sum_vars):
        involved = [v for v in sum_vars if cond.has(v)]
        expr = as_nonnegative(cond)
        if expr is not None:
            involved = [v for v in involved if sympy.diff(expr, v) != 0]
        if not involved:
            verdict = is_always_true(cond, free)
            if verdict is True:
                continue
            if expr is not None:
                cond = _tidy_inequality(expr)
            outer.append(sympy.false if verdict is False else cond)
            continue
        if expr is None:
            inner.append(cond)
            continue
        v = involved[-1]
        side, bound = bound_from_constraint(expr, v)
        (lower if side == "lower" else upper)[v].append(bound)
        rel = sympy.Ge(v, bound, evaluate=False) if side == "lower" else sympy.Le(v, bound, evaluate=False)
        steps.append(Step(f"a constraint bounds {v}", (cond, rel)))
    ranges = tuple((v, sympy.Max(*lower[v]), sympy.Min(*upper[v])) for v in sum_vars)
    return ranges, tuple(inner), tuple(outer), tuple(steps)


def _split_equalities(conditions: Sequence[sympy.Basic], sum_vars: Sequence[Symbol]) -> list[sympy.Basic]:
    """An equality of affine expressions that involves a summation variable, ``[c == 0]``, as the two
    inequalities ``c >= 0`` and ``c <= 0``: they become bounds, and a variable pinned to one value
    is then substituted (divisibility ``Eq(Mod(...), 0)`` stays a condition)."""
    out: list[sympy.Basic] = []
    for cond in conditions:
        if (
            isinstance(cond, sympy.Eq)
            and cond.has(*sum_vars)
            and not cond.has(sympy.Mod)
            and not cond.atoms(sympy.floor, sympy.ceiling)
        ):
            out += [sympy.Ge(cond.lhs, cond.rhs), sympy.Le(cond.lhs, cond.rhs)]
        else:
            out.append(cond)
    return out


def _tidy_inequality(expr: Expr) -> sympy.Basic:
    """``e >= 0`` written with the variable part on the left when it has a single variable."""
    syms = [s for s in expr.free_symbols if isinstance(s, Symbol) and s.is_integer]
    if len(syms) == 1:
        v = syms[0]
        slope = sympy.diff(expr, v)
        rest = sympy.expand(expr - slope * v)
        if slope == 1:
            return sympy.Ge(v, -rest)
        if slope == -1:
            return sympy.Le(v, rest)
    return sympy.Ge(expr, 0)
