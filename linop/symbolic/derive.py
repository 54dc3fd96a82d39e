"""Derivation of the adjoint of a linear map written as an affine-index sum.

The forward map scatters ``c(v) x[a(v)]`` into ``y[t(v)]`` for every index tuple ``v``,
so its matrix is ``A = sum_v c(v) e_{t(v)} e_{a(v)}^T`` and the adjoint is

.. math::

    A^H = \\sum_v \\overline{c(v)}\\; e_{a(v)}\\, e_{t(v)}^T ,
    \\qquad (A^H y)[i] = \\sum_{v:\\ a(v) = i} \\overline{c(v)}\\; y[t(v)] .

:func:`derive_adjoint` writes the right-hand side as nested sums again, by SymPy:

1. every axis of the source index becomes an index of the adjoint's output: an axis
   indexed by an injective mixed-radix combination of variables (``c``, ``g*C + c``)
   keeps those variables; any other axis gets a fresh variable ``i`` and the equation
   ``a(v) = i``;
2. each equation is solved (``sympy.solve``) for one variable, the kernel index first:
   ``s j + d m - p = i`` gives ``m = (i + p - s j)/d``, an integer only when
   ``d | (i + p - s j)`` (the divisibility condition);
3. the range of the eliminated variable and every condition of the forward term become
   linear constraints on the remaining variables, and these become summation bounds with
   ``floor``/``ceiling`` (:mod:`linop.symbolic.bounds`): for ``0 <= m <= K-1``,
   ``ceiling((i + p - d(K-1))/s) <= j <= floor((i + p)/s)``;
4. constraints on the new free variables alone are Iverson brackets (a folded boundary
   piece ``[1 <= i <= p]``); those that always hold are dropped, terms that can never
   contribute are dropped;
5. the coefficient is conjugated.
"""

from __future__ import annotations

from collections.abc import Sequence

import sympy
from sympy import Expr, Symbol

from .affine_sum import AffineSum, Range, SumTerm
from .bounds import range_constraints, tighten
from .steps import Formula, Step

__all__ = ["derive_adjoint"]


def _slopes(expr: Expr, variables: Sequence[Symbol]) -> dict[Symbol, Expr]:
    return {v: sympy.diff(expr, v) for v in variables if sympy.diff(expr, v) != 0}


def _mixed_radix(expr: Expr, ranges: dict[Symbol, tuple[Expr, Expr]], size: Expr) -> list[Symbol] | None:
    """The variables of ``expr`` if it is ``sum_v w_v v`` with ``v`` in ``[0, n_v)`` and weights
    ``1, n_1, n_1 n_2, ...`` covering ``[0, size)`` exactly (each index once); else ``None``.
    With several variables each must take at least two values (a single-valued variable
    would make the decomposition ambiguous to read, ``j + m`` with ``j = m = 0``)."""
    slopes = _slopes(expr, list(ranges))
    if not slopes or expr.subs({v: 0 for v in slopes}) != 0:
        return None
    if len(slopes) == 1:
        ((v, w),) = slopes.items()
        lo, hi = ranges[v]
        return [v] if w == 1 and lo == 0 and sympy.simplify(hi + 1 - size) == 0 else None
    if not all(w.is_Integer and w > 0 for w in slopes.values()):
        return None
    order = sorted(slopes, key=lambda v: int(slopes[v]))
    weight = sympy.Integer(1)
    for v in order:
        lo, hi = ranges[v]
        if slopes[v] != weight or lo != 0 or not hi.is_Integer or hi < 1:
            return None
        weight = weight * (hi + 1)
    if sympy.simplify(weight - size) != 0:
        return None
    return list(reversed(order))


def _fresh_names(forward: AffineSum, count: int) -> list[Symbol]:
    taken = {str(v) for t in forward.terms for v in t.variables} | {str(s) for s in forward.parameters}
    taken |= {str(forward.target.label), str(forward.source.label)}
    taken |= {str(b.label) for b in forward.coefficient_arrays}
    if count == 1:
        candidates = [["i"], ["i_"], ["ii"]]
    else:
        candidates = [[f"i_{a + 1}" for a in range(count)], [f"ii_{a + 1}" for a in range(count)]]
    for names in candidates:
        if not taken & set(names):
            return [Symbol(n, integer=True) for n in names]
    base = 0
    while True:
        names = [f"i{base}_{a + 1}" for a in range(count)]
        if not taken & set(names):
            return [Symbol(n, integer=True) for n in names]
        base += 1


def _kept_ranges(term: SumTerm, variables: list[Symbol]) -> set:
    """The ranges of ``term`` whose variable is one of ``variables``."""
    return {r for r in term.free + term.sums if r[0] in variables}


def _plan_axes(forward: AffineSum) -> tuple[list[list[Symbol] | None], list[Symbol | None]]:
    """Per source axis: the mixed-radix variables shared by all terms, or a fresh variable."""
    n_axes = len(forward.source_shape)
    keep: list[list[Symbol] | None] = []
    for a in range(n_axes):
        exprs = {t.source_index[a] for t in forward.terms}
        choice = None
        if len(exprs) == 1:
            term = forward.terms[0]
            ranges = {v: (lo, hi) for v, lo, hi in term.free + term.sums}
            choice = _mixed_radix(next(iter(exprs)), ranges, forward.source_shape[a])
            if choice is not None:
                others = [term.source_index[b] for b in range(n_axes) if b != a]
                if any(e.has(v) for e in others for v in choice):
                    choice = None
                if choice is not None and any(
                    _kept_ranges(t, choice) != _kept_ranges(term, choice) for t in forward.terms
                ):
                    choice = None
        keep.append(choice)
    fresh_needed = sum(1 for c in keep if c is None)
    names = iter(_fresh_names(forward, fresh_needed)) if fresh_needed else iter(())
    fresh = [next(names) if c is None else None for c in keep]
    return keep, fresh


def _divisibility(numerator: Expr, divisor: Expr) -> sympy.Basic:
    return sympy.Eq(sympy.Mod(numerator, divisor), 0)


def _integral_divisibility(condition: sympy.Basic) -> sympy.Basic:
    """``Mod(p/q, d) = 0`` as ``Mod(p, q d) = 0``: the same integers satisfy both (a non-integer
    ``p/q`` satisfies neither), and the second has integer arguments only (a forward condition
    ``[i % 2 == 0]`` with ``i`` solved as ``(1 - u)/2``)."""
    if isinstance(condition, sympy.Eq) and isinstance(condition.lhs, sympy.Mod) and condition.rhs == 0:
        e, d = condition.lhs.args
        _, q = sympy.fraction(sympy.together(e))
        if q.is_Integer and q != 1:
            return _divisibility(sympy.expand(e * q), d * q)
    return condition


def _derive_term(term: SumTerm, forward: AffineSum, keep: list, fresh: list, label: str) -> tuple[SumTerm, list[Step]]:
    steps: list[Step] = []
    ranges = {v: (lo, hi) for v, lo, hi in term.free + term.sums}
    adjoint_free: list[Range] = []
    target_index: list[Expr] = []
    equations: list[tuple[Expr, Symbol]] = []
    for a, e in enumerate(term.source_index):
        if keep[a] is not None:
            adjoint_free += [(v, *ranges[v]) for v in keep[a]]
            target_index.append(e)
        else:
            i = fresh[a]
            adjoint_free.append((i, sympy.Integer(0), forward.source_shape[a] - 1))
            target_index.append(i)
            equations.append((e, i))
    free_names = {v for v, _, _ in adjoint_free}
    solved: dict[Symbol, Expr] = {}
    constraints: list[sympy.Basic] = []
    preference = list(term.sum_variables) + list(term.free_variables)
    for e, i in equations:
        e = sympy.expand(e.subs(solved))
        candidates = [v for v in preference if v not in free_names and v not in solved and sympy.diff(e, v) != 0]
        if not candidates:
            constraints.append(sympy.Eq(e, i))
            steps.append(
                Step(f"{label}no variable left to solve for: the index equation is a condition", sympy.Eq(i, e))
            )
            continue
        # Solve for a summation variable (the kernel index) when there is one, preferring
        # a unit coefficient, which needs no divisibility condition.
        pool = [c for c in candidates if c in term.sum_variables] or candidates
        unit = [c for c in pool if sympy.diff(e, c) in (1, -1)]
        v = (unit or pool)[0]
        # e = slope v + rest is affine (SumTerm checks it): v = (i - rest) / slope, directly (sympy.solve
        # gives the same expression, at a hundred times the cost for a formula of many terms)
        slope = sympy.diff(e, v)
        rest = sympy.expand(e - slope * v)
        if slope.has(v) or rest.has(v) or slope == 0:
            raise ValueError(f"cannot solve {e} = {i} for {v}")
        value = sympy.expand((i - rest) / slope) if slope.is_number else sympy.expand(i - rest) / slope
        steps.append(
            Step(f"{label}solve the index equation for {v}", (sympy.Eq(e, i, evaluate=False), sympy.Eq(v, value)))
        )
        if slope not in (1, -1):
            if slope.is_positive:
                numerator, divisor = sympy.expand(value * slope), slope
            elif slope.is_negative:
                numerator, divisor = sympy.expand(-value * slope), -slope
            else:
                raise ValueError(
                    f"cannot decide the sign of {slope}, the coefficient of {v} in {e}; declare "
                    f"symbolic sizes positive=True"
                )
            condition = _divisibility(numerator, divisor)
            if condition is not sympy.true:
                constraints.append(condition)
                steps.append(Step(f"{label}{v} is an integer exactly when", condition))
        solved = {w: sympy.expand(x.subs(v, value)) for w, x in solved.items()}
        solved[v] = value
        lo, hi = ranges[v]
        constraints += range_constraints(value, lo, hi)
    constraints = [c.subs(solved) for c in constraints]
    constraints += [_integral_divisibility(c.subs(solved)) for c in term.conditions]
    constraints = [c for c in constraints if c is not sympy.true]
    remaining = [v for v in _summation_order(term) if v not in free_names and v not in solved]
    sums: Sequence[Range] = [(v, ranges[v][0].subs(solved), ranges[v][1].subs(solved)) for v in remaining]
    inner: Sequence[sympy.Basic]
    outer: Sequence[sympy.Basic]
    sums, inner, outer, bound_steps = tighten(adjoint_free, sums, constraints)
    steps += [Step(label + s.description, s.math) for s in bound_steps]
    if any(c is sympy.false for c in outer):
        steps.append(Step(f"{label}this term never contributes (its conditions cannot hold)"))
        outer, inner = [sympy.false], []
    for c in outer:
        steps.append(Step(f"{label}the term contributes only where", c))
    sums, inner, single = _collapse_single_values(sums, inner)
    source_index = tuple(sympy.expand(x.subs(solved).subs(single)) for x in term.target_index)
    coefficient = sympy.conjugate(term.coefficient.subs(solved).subs(single))
    derived = SumTerm(
        forward.source,
        tuple(target_index),
        forward.target,
        source_index,
        coefficient,
        tuple(adjoint_free),
        tuple(sums),
        tuple(outer) + tuple(inner),
    )
    return derived, steps


def _summation_order(term: SumTerm) -> list[Symbol]:
    """Order of the adjoint's summation variables: the forward's free variables (output
    positions, then channels) outermost, its summation variables inside."""
    return list(term.free_variables) + list(term.sum_variables)


def _collapse_single_values(
    sums: Sequence[Range], inner: Sequence[sympy.Basic]
) -> tuple[list[Range], list[sympy.Basic], dict[Symbol, Expr]]:
    """Replace a summation variable whose range is a single value by that value; returns the
    remaining ranges, the inner conditions and the substitution (to apply to the summand)."""
    out: list[Range] = []
    inner = list(inner)
    subs: dict[Symbol, Expr] = {}
    for v, lo, hi in sums:
        lo, hi = lo.subs(subs), hi.subs(subs)
        if sympy.expand(hi - lo) == 0 and not lo.has(*(s for s, _, _ in sums)):
            subs[v] = lo
            continue
        out.append((v, lo, hi))
    if subs:
        inner = [c.subs(subs) for c in inner]
        out = [(v, lo.subs(subs), hi.subs(subs)) for v, lo, hi in out]
    return out, inner, subs


def derive_adjoint(forward: AffineSum) -> AffineSum:
    """Derive the adjoint of a linear map given as an affine-index sum.

    Parameters
    ----------
    forward : AffineSum
        ``y[t] = sum ... c(v) x[a(v)]`` (convolution, subsampling, zero insertion,
        padding, finite differences, ...). Symbolic sizes are allowed when their signs
        are declared (``Symbol("s", integer=True, positive=True)``).

    Returns
    -------
    AffineSum
        ``x[i] = sum ... conj(c) y[...]`` with exact summation bounds, divisibility
        conditions and Iverson brackets; ``.steps`` records the derivation.

    Raises
    ------
    ValueError
        When an index equation or a constraint has a coefficient of unknown sign.

    Notes
    -----
    See the module docstring for the method. The result is checked, not trusted:
    :mod:`linop.symbolic.exact_checks` compares it with the conjugate transpose of the matrix
    and with the numeric adjoint.

    Examples
    --------
    >>> from linop import symbolic
    >>> print(symbolic.derive_adjoint(symbolic.finite_difference_formula(5)))
    Eq(x[i], Piecewise((y[i - 1], i >= 1), (0, True)) + Piecewise((-y[i], i <= 3), (0, True)))
    """
    if not isinstance(forward, AffineSum):
        raise TypeError(f"forward must be an AffineSum; got {type(forward).__name__}")
    keep, fresh = _plan_axes(forward)
    steps = [
        Step(
            "adjoint rule: the forward map adds c(v) x[a(v)] to y[t(v)] for every index tuple v, "
            "so the adjoint adds conj(c(v)) y[t(v)] to x[a(v)]; collect, for each entry of "
            f"{forward.source.label}, the index tuples that read it",
            (
                Formula("A = sum_v c(v) e_t(v) e_a(v)^T", r"A = \sum_v c(v)\, e_{t(v)} e_{a(v)}^{T}"),
                Formula(
                    "A^H = sum_v conj(c(v)) e_a(v) e_t(v)^T", r"A^{H} = \sum_v \overline{c(v)}\, e_{a(v)} e_{t(v)}^{T}"
                ),
            ),
        )
    ]
    for a, (k, _) in enumerate(zip(keep, fresh)):
        if k is not None:
            names = ", ".join(map(str, k))
            verb = "stays" if len(k) == 1 else "stay"
            steps.append(
                Step(f"axis {a} of {forward.source.label} is indexed by {names} directly: {verb} free in the adjoint")
            )
    terms: list[SumTerm] = []
    for number, term in enumerate(forward.terms):
        label = f"[term {number + 1}] " if len(forward.terms) > 1 else ""
        derived, term_steps = _derive_term(term, forward, keep, fresh, label)
        steps += term_steps
        terms.append(derived)
    contributing = [t for t in terms if sympy.false not in t.conditions]
    # A zero map keeps one (never contributing) term, so that its adjoint still has a form.
    terms = contributing or terms[:1]
    return AffineSum(tuple(terms), forward.source_shape, forward.target_shape, tuple(steps))
