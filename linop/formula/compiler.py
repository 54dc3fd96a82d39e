"""Compiling an affine-index sum into strided-slice multiply-adds (the steps of :mod:`.program`).

Every term of an :class:`~linop.symbolic.AffineSum` with numeric sizes adds
``c(v) x[a(v)]`` to ``y[t(v)]`` for every integer tuple ``v`` of its variables that
satisfies its bounds and conditions. The compiler

1. writes bounds and conditions as integer linear inequalities ``sum_v a_v v + b >= 0``
   and divisibilities ``d | sum_v a_v v + b`` (floor/ceiling/Max/Min bounds become one
   inequality each, :func:`linop.symbolic.bounds.range_constraints`), and encloses every
   variable in a box by propagating them;
2. *re-bases* two variables tied by a narrow window ``lo <= i - s j <= hi`` (the adjoint
   of a strided sum reads its input through such a window): ``t = i - s j`` becomes a
   variable of ``hi - lo + 1`` values and ``i = t + s j`` is substituted everywhere, so
   the window is a loop over a few taps instead of a mask over all pairs ``(i, j)``;
3. chooses the variables to *vectorise* (each indexes at most one axis of ``y`` and one
   of ``x`` with a stride, so their range is a strided slice) and *unrolls* the others,
   by a cost model: ``overhead * steps + work``;
4. emits one :class:`~linop.formula.program.Step` per value of the unrolled variables:
   the ranges of the vectorised variables after the conditions (an arithmetic
   progression each) give the slices, conditions that tie vectorised variables become a
   0/1 mask, and the coefficient is evaluated once, as a scalar or an array.

Sums over a vectorised variable that the target lacks (a DFT, a Toeplitz product) are
contractions (:func:`numpy.einsum`, BLAS for matrix products).

The work is bounded before it is done (:mod:`linop.formula.limits`): a variable ranges over
at most ``MAX_ENTRIES`` values, a term compiles to at most ``MAX_STEPS`` steps, and every coefficient must be a
finite number (a coefficient that overflows float64 is refused, as an infinite array is).
Coefficients are evaluated on floating-point grids of the variables, never on NumPy
integers (whose powers would wrap around silently).
"""

from __future__ import annotations

import cmath
import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import sympy
from sympy import Expr, Symbol

from ..errors import LinopError
from ..symbolic.affine_sum import AffineSum, SumTerm
from ..symbolic.bounds import as_nonnegative, range_constraints
from .limits import MAX_ENTRIES, MAX_STEPS
from .program import Program, Step

__all__ = ["CoefficientRangeError", "CompileError", "TermProgram", "compile_formula", "compile_term"]

#: Cost of one step in units of multiply-adds (Python and NumPy call overhead).
STEP_OVERHEAD = 4000
#: Largest number of coefficient entries a term may tabulate.
MAX_TABLE = 50_000_000
#: Largest magnitude of an index (NumPy's int64 must hold every index computed).
_MAX_INDEX = 1 << 62


class CompileError(LinopError, ValueError):
    """A formula the compiler cannot turn into vectorised steps (a condition it cannot read)."""


class CoefficientRangeError(CompileError):
    """A coefficient array read outside its shape (``k[3]`` of a 3-entry ``k``)."""

    def __init__(self, name: str, axis: int, value: int, size: int):
        self.name, self.axis, self.value, self.size = name, axis, value, size
        super().__init__(f"the formula reads {name} at index {value} on axis {axis}, outside its size {size}")


@dataclass
class _Linear:
    """``(sum_v coeffs[v] v + const) / denominator`` with integer numbers."""

    coeffs: dict
    const: int
    denominator: int = 1

    def subs(self, values: Mapping[Symbol, int]) -> _Linear:
        const = self.const + sum(a * values[v] for v, a in self.coeffs.items() if v in values)
        return _Linear({v: a for v, a in self.coeffs.items() if v not in values}, const, self.denominator)

    def substitute(self, var: Symbol, form: _Linear) -> _Linear:
        """Replace ``var`` by an integer form (denominator 1)."""
        a = self.coeffs.get(var, 0)
        if a == 0:
            return self
        coeffs = {v: c for v, c in self.coeffs.items() if v != var}
        for v, c in form.coeffs.items():
            coeffs[v] = coeffs.get(v, 0) + a * c
        return _Linear({v: c for v, c in coeffs.items() if c}, self.const + a * form.const, self.denominator)


def _linear(expr: Expr, variables: Sequence[Symbol], what: str) -> _Linear:
    expr = sympy.expand(expr)
    coeffs = {}
    for v in variables:
        a = sympy.diff(expr, v)
        if a != 0:
            if not a.is_Rational:
                raise CompileError(f"{what} {expr} is not affine in the variables (coefficient {a} of {v})")
            coeffs[v] = a
    const = expr.subs({v: 0 for v in variables})
    if not const.is_Rational:
        raise CompileError(f"{what} {expr} is not affine with numeric sizes (constant part {const})")
    den = math.lcm(*(int(sympy.Rational(a).q) for a in (*coeffs.values(), const)))
    return _Linear({v: int(a * den) for v, a in coeffs.items()}, int(const * den), den)


def _floor_div(a: int, b: int) -> int:
    return a // b


def _ceil_div(a: int, b: int) -> int:
    return -((-a) // b)


@dataclass
class _Term:
    """A term as integer linear data over its variables."""

    variables: list
    ranges: dict
    inequalities: list
    divisibilities: list
    target: list
    source: list
    coefficient: Expr
    empty: bool = False


def _conditions(term: SumTerm, variables: list[Symbol]) -> tuple[list[_Linear], list[tuple[_Linear, int]]]:
    inequalities: list[_Linear] = []
    divisibilities: list[tuple[_Linear, int]] = []
    relations: list[sympy.Basic] = []
    for v, lo, hi in term.sums:
        relations += range_constraints(v, lo, hi)
    relations += list(term.conditions)
    for c in relations:
        if c is sympy.true:
            continue
        if c is sympy.false:
            inequalities.append(_Linear({}, -1))
            continue
        if isinstance(c, sympy.Eq):
            lhs, rhs = c.lhs, c.rhs
            if isinstance(lhs, sympy.Mod) or isinstance(rhs, sympy.Mod):
                mod, other = (lhs, rhs) if isinstance(lhs, sympy.Mod) else (rhs, lhs)
                modulus = mod.args[1]
                if not modulus.is_Integer or not other.is_Integer:
                    raise CompileError(f"cannot read the condition {c}: divisibility needs numbers")
                form = _linear(mod.args[0] - other, variables, "the condition")
                divisibilities.append((_Linear(form.coeffs, form.const), int(modulus) * form.denominator))
                continue
            form = _linear(lhs - rhs, variables, "the condition")
            inequalities += [
                _Linear(form.coeffs, form.const),
                _Linear({v: -a for v, a in form.coeffs.items()}, -form.const),
            ]
            continue
        nonneg = as_nonnegative(c)
        if nonneg is None:
            raise CompileError(f"cannot read the condition {c}: only linear inequalities, equalities and divisibility")
        form = _linear(nonneg, variables, "the condition")
        # a form with a denominator D >= 1: e/D >= 0 iff e >= 0
        inequalities.append(_Linear(form.coeffs, form.const))
    return inequalities, divisibilities


def _propagate(term: _Term) -> None:
    """Shrink the variables' ranges by the inequalities until nothing changes."""
    for _ in range(50):
        changed = False
        for ineq in term.inequalities:
            for v, a in ineq.coeffs.items():
                rest = ineq.const
                bounded = True
                for w, b in ineq.coeffs.items():
                    if w == v:
                        continue
                    lo, hi = term.ranges[w]
                    end = hi if b > 0 else lo
                    if end is None:
                        bounded = False
                        break
                    rest += b * end
                if not bounded:
                    continue
                lo, hi = term.ranges[v]
                if a > 0:
                    new = _ceil_div(-rest, a)
                    if lo is None or new > lo:
                        term.ranges[v] = (new, hi)
                        changed = True
                else:
                    new = _floor_div(rest, -a)
                    if hi is None or new < hi:
                        term.ranges[v] = (lo, new)
                        changed = True
            if not ineq.coeffs and ineq.const < 0:
                term.empty = True
                return
        for lo, hi in term.ranges.values():
            if lo is not None and hi is not None and lo > hi:
                term.empty = True
                return
        if not changed:
            break
    for v, (lo, hi) in term.ranges.items():
        if lo is None or hi is None:
            raise CompileError(f"the variable {v} has no finite range (give its bounds)")


def _size(term: _Term, v: Symbol) -> int:
    lo, hi = term.ranges[v]
    return hi - lo + 1


def _windows(term: _Term) -> dict[tuple, list]:
    """Two-sided bounds ``lo <= L(v) <= hi`` of every linear form ``L`` of several variables."""
    out: dict[tuple, list] = {}
    for ineq in term.inequalities:
        if len(ineq.coeffs) < 2:
            continue
        ordered = sorted(ineq.coeffs.items(), key=lambda kv: term.variables.index(kv[0]))
        g = math.gcd(*(abs(a) for _, a in ordered))
        sign = 1 if ordered[0][1] > 0 else -1
        key = tuple((v, sign * a // g) for v, a in ordered)
        bounds = out.setdefault(key, [None, None])
        if sign > 0:  # g L + b >= 0: L >= ceil(-b/g)
            low = _ceil_div(-ineq.const, g)
            bounds[0] = low if bounds[0] is None else max(bounds[0], low)
        else:  # -g L + b >= 0: L <= floor(b/g)
            high = _floor_div(ineq.const, g)
            bounds[1] = high if bounds[1] is None else min(bounds[1], high)
    return out


def _rebase(term: _Term, counter: itertools.count) -> bool:
    """Substitute one narrow window ``t = L(v)`` (see the module docstring); False when none is left."""
    best = None
    for key, (low, high) in _windows(term).items():
        if low is None or high is None:
            continue
        width = high - low + 1
        sizes = [_size(term, v) for v, _ in key]
        units = [(v, a) for v, a in key if abs(a) == 1]
        if not units or width >= min(sizes):
            continue
        if best is None or width < best[0]:
            best = (width, key, low, high, units)
    if best is None:
        return False
    _, key, low, high, units = best
    eliminated, a = max(units, key=lambda va: _size(term, va[0]))
    t = Symbol(f"t{next(counter)}", integer=True)
    # L = a e + rest = t  =>  e = a (t - rest)
    form = _Linear({t: a, **{v: -a * c for v, c in key if v != eliminated}}, 0)
    lo_e, hi_e = term.ranges.pop(eliminated)
    term.variables = [t if v == eliminated else v for v in term.variables]
    term.ranges[t] = (low, high)
    term.inequalities = [i.substitute(eliminated, form) for i in term.inequalities]
    term.inequalities += [
        _Linear(dict(form.coeffs), -lo_e),
        _Linear({v: -c for v, c in form.coeffs.items()}, hi_e),
    ]
    term.divisibilities = [(f.substitute(eliminated, form), d) for f, d in term.divisibilities]
    term.target = [f.substitute(eliminated, form) for f in term.target]
    term.source = [f.substitute(eliminated, form) for f in term.source]
    term.coefficient = term.coefficient.xreplace({eliminated: sum(c * v for v, c in form.coeffs.items())})
    _propagate(term)
    return True


def _extremes(form: _Linear, ranges: Mapping[Symbol, tuple]) -> tuple[int, int]:
    """Lowest and highest value of an integer form over the box of its variables."""
    low = high = form.const
    for v, a in form.coeffs.items():
        lo, hi = ranges[v]
        low, high = low + a * (lo if a > 0 else hi), high + a * (hi if a > 0 else lo)
    return _floor_div(low, form.denominator), _ceil_div(high, form.denominator)


def _check_bounded(term: _Term) -> None:
    """Refuse variables of more than ``MAX_ENTRIES`` values and indices NumPy's int64 cannot hold."""
    for v, (lo, hi) in term.ranges.items():
        if hi - lo + 1 > MAX_ENTRIES:
            raise CompileError(
                f"the variable {v} takes {hi - lo + 1:,} values ({lo}..{hi}), above the limit of {MAX_ENTRIES:,} "
                f"entries per array (linop.formula.MAX_ENTRIES)"
            )
    for which, forms in (("output", term.target), ("input", term.source)):
        for axis, form in enumerate(forms):
            low, high = _extremes(form, term.ranges)
            if max(abs(low), abs(high)) > _MAX_INDEX:
                raise CompileError(
                    f"the {which} index on axis {axis} reaches {low if abs(low) > abs(high) else high}, "
                    f"beyond any array"
                )
    # conditions are evaluated on NumPy int64 grids: every intermediate must fit
    for form, modulus in [(i, 1) for i in term.inequalities] + term.divisibilities:
        size = abs(form.const) + sum(
            abs(a) * max(abs(lo), abs(hi)) for v, a in form.coeffs.items() for lo, hi in [term.ranges[v]]
        )
        if size > _MAX_INDEX or abs(modulus) > _MAX_INDEX:
            raise CompileError(
                "a bound or a condition of the formula holds numbers too large to evaluate (beyond 2**62)"
            )


def _prepare(sum_term: SumTerm) -> _Term:
    if sum_term.parameters:
        raise CompileError(f"the formula has symbolic sizes {sorted(map(str, sum_term.parameters))}; give numbers")
    variables = list(sum_term.variables)
    ranges: dict = {}
    for v, lo, hi in sum_term.free:
        if not (lo.is_Integer and hi.is_Integer):
            # one meaning of a range everywhere: the caller states it as integers (ceiling/floor), never truncated
            raise CompileError(f"the range of {v} must have integer bounds; got {lo}..{hi}")
        ranges[v] = (int(lo), int(hi))
    for v, lo, hi in sum_term.sums:
        ranges[v] = (int(lo) if lo.is_Integer else None, int(hi) if hi.is_Integer else None)
    inequalities, divisibilities = _conditions(sum_term, variables)
    target = [_linear(e, variables, "the output index") for e in sum_term.target_index]
    source = [_linear(e, variables, "the input index") for e in sum_term.source_index]
    term = _Term(variables, ranges, inequalities, divisibilities, target, source, sympy.sympify(sum_term.coefficient))
    _propagate(term)
    if term.empty:
        return term
    _check_bounded(term)
    counter = itertools.count()
    for _ in range(2 * len(variables) + 2):
        if term.empty or not _rebase(term, counter):
            break
    if not term.empty:
        _check_bounded(term)
    return term


# -- choosing what to vectorise -------------------------------------------------------------
def _diagonal(forms: list[_Linear], chosen: set) -> bool:
    seen: set = set()
    for f in forms:
        inside = [v for v in f.coeffs if v in chosen]
        if len(inside) > 1 or (inside and inside[0] in seen):
            return False
        seen.update(inside)
    return True


def _choose(term: _Term) -> list:
    coefficient_vars = {v for v in term.variables if term.coefficient.has(v)}
    indexed = {v for f in term.target + term.source for v in f.coeffs}
    # a vectorised variable must name an axis or the coefficient (a sum over a variable that
    # only appears in conditions is a count, which the unrolled loop gets right)
    candidates = [v for v in term.variables if _size(term, v) > 1 and (v in indexed or v in coefficient_vars)]
    best, best_cost = [], (True, math.inf)
    limit = min(len(candidates), 6)
    for r in range(limit + 1):
        for subset in itertools.combinations(candidates, r):
            chosen = set(subset)
            if not (_diagonal(term.target, chosen) and _diagonal(term.source, chosen)):
                continue
            steps = math.prod(_size(term, v) for v in term.variables if v not in chosen)
            work = math.prod(_size(term, v) for v in chosen)
            tied = any(sum(1 for v in i.coeffs if v in chosen) > 1 for i in term.inequalities) or any(
                sum(1 for v in f.coeffs if v in chosen) > 1 for f, _ in term.divisibilities
            )
            table = steps * math.prod(_size(term, v) for v in chosen if v in coefficient_vars or tied)
            if table > MAX_TABLE and chosen & coefficient_vars:
                continue
            # the cheapest choice within MAX_STEPS steps (compile_term refuses more)
            cost = (
                steps > MAX_STEPS,
                steps * STEP_OVERHEAD + steps * work * (2 if tied or chosen & coefficient_vars else 1),
            )
            if cost < best_cost:
                best, best_cost = list(subset), cost
    return [v for v in term.variables if v in set(best)]


# -- emitting steps -------------------------------------------------------------------------
def _progression(lo: int, hi: int, conditions: list[tuple[int, int, int]]) -> tuple[int, int, int] | None:
    """``(start, step, count)`` of the integers in ``[lo, hi]`` with ``d | a v + b`` for each
    ``(a, b, d)``: one residue class (each congruence is ``v = r (mod d/g)``, ``g = gcd(a, d)``, and
    the classes combine by the Chinese remainder theorem), found without enumerating residues."""
    residue, modulus = 0, 1
    for a, b, d in conditions:
        d = abs(d)
        g = math.gcd(a, d)
        if b % g:
            return (lo, 1, 0)
        m = d // g
        r = (-(b // g) * pow(a // g, -1, m)) % m if m > 1 else 0
        # combine v = residue (mod modulus) with v = r (mod m)
        h = math.gcd(modulus, m)
        if (r - residue) % h:
            return (lo, 1, 0)
        step = m // h
        k = ((r - residue) // h * pow(modulus // h, -1, step)) % step if step > 1 else 0
        residue, modulus = residue + modulus * k, modulus * step
        residue %= modulus
    start = lo + (residue - lo) % modulus
    count = 0 if start > hi else (hi - start) // modulus + 1
    return (start, modulus, count)


def _axis_index(form: _Linear, progressions: dict, what: str) -> tuple[object, Symbol | None, int, int]:
    """The basic index of one axis: a slice over the vectorised variable it names, or an int.

    Returns ``(index, variable, lowest, highest)``.
    """
    inside = list(form.coeffs.items())
    if not inside:
        if form.const % form.denominator:
            raise CompileError(f"{what} is not an integer")
        value = form.const // form.denominator
        return value, None, value, value
    ((v, a),) = inside
    start, step, count = progressions[v]
    first, stride = a * start + form.const, a * step
    if first % form.denominator or stride % form.denominator:
        raise CompileError(f"{what} is not an integer on the range of {v}")
    first, stride = first // form.denominator, stride // form.denominator
    last = first + stride * (count - 1)
    if stride > 0:
        index = slice(first, last + 1, stride)
    else:
        index = slice(first, last - 1 if last - 1 >= 0 else None, stride)
    return index, v, min(first, last), max(first, last)


#: Smallest table (output length x summed length) that a banded sum computes by FFT convolution.
CONVOLUTION_MIN_TABLE = 4096


def _convolution_pattern(
    term: _Term, chosen: list, target_vars: list, source_vars: list, contracted: list, arrays: Mapping[str, np.ndarray]
) -> tuple | None:
    """``(array, index form)`` when the term is ``y[u] += sum_w a[+-u +-w + c] x[w]`` (one output and
    one summed variable, the coefficient one entry of a 1-D array, possibly conjugated): a Toeplitz
    (``a[u - w]``) or Hankel (``a[u + w]``) sum, i.e. a convolution; ``None`` otherwise."""
    if len(target_vars) != 1 or len(contracted) != 1 or source_vars != contracted:
        return None
    if any(sum(1 for v in i.coeffs if v in chosen) > 1 for i in term.inequalities) or term.divisibilities:
        return None
    expr, conjugate = term.coefficient, False
    if isinstance(expr, sympy.conjugate):
        expr, conjugate = expr.args[0], True
    if not isinstance(expr, sympy.Indexed) or len(expr.indices) != 1:
        return None
    array = np.asarray(arrays.get(str(expr.base.label)))
    if array.ndim != 1:
        return None
    form = _linear(expr.indices[0], term.variables, "the coefficient index")
    u, w = target_vars[0], contracted[0]
    if form.denominator != 1 or abs(form.coeffs.get(u, 0)) != 1 or abs(form.coeffs.get(w, 0)) != 1:
        return None
    if any(v in chosen for v in form.coeffs if v not in (u, w)):
        return None
    return (np.conj(array) if conjugate else array), form


def _convolution_step(
    banded: tuple, fixed: Mapping[Symbol, int], progressions: dict, u: Symbol, w: Symbol
) -> tuple | None:
    """The kernel and ``(offset, count, reverse)`` of a banded sum for :class:`Step` (``None``: use the table).

    With ``u = u0 + k``, ``w = w0 + l`` the coefficient is ``a[c0 + s_u k + s_w l]``: for
    ``s_w = -s_u`` it is ``g[k - l]`` and ``y = (g * x)[k + L - 1]``; for ``s_w = s_u`` it is
    ``h[k + l]`` and ``y = (h * reversed x)[k + L - 1]``.
    """
    array, form = banded
    (u0, u_step, K), (w0, w_step, L) = progressions[u], progressions[w]
    if u_step != 1 or w_step != 1 or K * L < CONVOLUTION_MIN_TABLE:
        return None
    f = form.subs(fixed)
    s_u, s_w = f.coeffs[u], f.coeffs[w]
    c0 = f.const + s_u * u0 + s_w * w0
    if s_w == -s_u:
        index = c0 + s_u * np.arange(-(L - 1), K)
        reverse = False
    else:
        index = c0 + s_u * np.arange(0, K + L - 1)
        reverse = True
    if index.min() < 0 or index.max() >= array.shape[0]:
        return None
    return array[index], (L - 1, K, reverse)


def _fourier_pattern(term: _Term, target_vars: list, source_vars: list, contracted: list) -> tuple | None:
    """``(sign, N)`` when the term is ``y[k] += sum_m exp(sign 2 pi I k m / N) x[m]``: a DFT."""
    if len(target_vars) != 1 or len(contracted) != 1 or source_vars != contracted or term.divisibilities:
        return None
    expr = term.coefficient
    if not isinstance(expr, sympy.exp):
        return None
    k, m = target_vars[0], contracted[0]
    ratio = sympy.simplify(expr.args[0] / (sympy.I * sympy.pi * k * m))
    if not ratio.is_Rational or ratio == 0:
        return None
    n = 2 / abs(ratio)
    if not n.is_Integer:
        return None
    return (1 if ratio > 0 else -1), int(n)


def _fourier_step(fourier: tuple, progressions: dict, k: Symbol, m: Symbol) -> tuple | None:
    """``(sign, N, K)`` for :class:`Step` when both variables start at 0 with unit steps and at most ``N`` values,
    and an FFT of length ``N`` costs less than the ``K x L`` product it replaces (``exp(-1e-300 pi I k m)`` is
    a DFT of an astronomical length)."""
    sign, n = fourier
    (k0, k_step, K), (m0, m_step, L) = progressions[k], progressions[m]
    if (k0, k_step, m0, m_step) != (0, 1, 0, 1) or n < K or n < L or n > max(K * L, 64):
        return None
    return sign, n, K


def _extent(forms: list[_Linear], fixed: Mapping[Symbol, int], progressions: dict) -> tuple[list, list]:
    _, lows, highs = _view(forms, fixed, progressions, "")
    return lows, highs


def _view(forms: list[_Linear], fixed: Mapping[Symbol, int], progressions: dict, which: str) -> tuple:
    """The basic index of an array for one step, and the lowest and highest index per axis."""
    index, lows, highs = [], [], []
    for axis, form in enumerate(forms):
        part, _, lo, hi = _axis_index(form.subs(fixed), progressions, f"the {which} index on axis {axis}")
        index.append(part)
        lows.append(lo)
        highs.append(hi)
    return tuple(index), lows, highs


@dataclass
class TermProgram:
    """The steps of one term and the index ranges it touches.

    Attributes
    ----------
    steps : list of Step
    target_extent, source_extent : list of (int, int) or None
        Lowest and highest index written / read per axis (``None``: the term is empty).
    coefficient_reads : dict
        ``{array name: [(lowest, highest) per axis]}`` of the coefficient arrays read.
    """

    steps: list = field(default_factory=list)
    target_extent: list | None = None
    source_extent: list | None = None


def _merge(extent: list | None, lows: list[int], highs: list[int]) -> list:
    if extent is None:
        return [(lo, hi) for lo, hi in zip(lows, highs)]
    return [(min(a, lo), max(b, hi)) for (a, b), lo, hi in zip(extent, lows, highs)]


class _CoefficientTable:
    """Evaluates a term's coefficient on grids of the vectorised variables (NumPy, lambdified once)."""

    def __init__(self, term: _Term, arrays: Mapping[str, np.ndarray]):
        expr = term.coefficient
        self.atoms = sorted(expr.atoms(sympy.Indexed), key=sympy.default_sort_key)
        self.slots = [sympy.Dummy(f"a{n}") for n in range(len(self.atoms))]
        masked = expr.xreplace(dict(zip(self.atoms, self.slots)))
        self.variables = [v for v in term.variables if masked.has(v)]
        # the generated code names every argument itself (never the formula's names, which may be
        # Python keywords or collide after Unicode normalisation)
        arguments = [sympy.Dummy(f"v{n}", real=True) for n in range(len(self.variables))]
        masked = masked.xreplace(dict(zip(self.variables, arguments)))
        try:
            self.function = sympy.lambdify(arguments + self.slots, masked, modules="numpy")
        except (KeyError, NameError, SyntaxError, TypeError) as exc:
            raise CompileError(
                f"cannot evaluate the coefficient {expr} numerically ({type(exc).__name__}: {exc})"
            ) from None
        self.indices = [[_linear(i, term.variables, f"the index of {a.base}") for i in a.indices] for a in self.atoms]
        for atom, forms in zip(self.atoms, self.indices):
            if any(max(map(abs, _extremes(f, term.ranges))) > _MAX_INDEX for f in forms):
                raise CompileError(f"the coefficient array {atom.base} is read at an index beyond any array ({atom})")
        self.arrays = []
        for a in self.atoms:
            name = str(a.base.label)
            if name not in arrays:
                raise CompileError(f"no values for the coefficient array {name!r}")
            self.arrays.append((name, np.asarray(arrays[name])))
        self.constant = not self.atoms and not self.variables
        self.expr = expr
        self.value = None
        if self.constant:
            try:
                self.value = complex(sympy.N(expr))
            except (ArithmeticError, TypeError, ValueError):
                self.value = complex(math.nan)
            if not cmath.isfinite(self.value):
                raise CompileError(f"the coefficient {expr} is not a finite float64 number")

    def __call__(self, fixed: Mapping[Symbol, int], grids: Mapping[Symbol, np.ndarray], valid: np.ndarray | bool):
        if self.constant:
            return self.value
        slots = []
        for forms, (name, array) in zip(self.indices, self.arrays):
            if len(forms) != array.ndim:
                raise CompileError(f"{name} has {array.ndim} axes but the formula indexes it with {len(forms)}")
            index = []
            for axis, form in enumerate(forms):
                f = form.subs(fixed)
                value = f.const + sum(a * grids[v] for v, a in f.coeffs.items())
                value = np.broadcast_to(np.asarray(value), np.broadcast_shapes(np.shape(value), np.shape(valid)))
                ok = np.asarray(valid, dtype=bool)
                exact = value % f.denominator == 0
                value = value // f.denominator
                read = value[ok & exact] if np.ndim(value) else (value if (ok and exact) else None)
                if read is not None and np.size(read):
                    low, high = int(np.min(read)), int(np.max(read))
                    if low < 0:
                        raise CoefficientRangeError(name, axis, low, array.shape[axis])
                    if high >= array.shape[axis]:
                        raise CoefficientRangeError(name, axis, high, array.shape[axis])
                index.append(np.where(ok & exact, value, 0))
            slots.append(array[tuple(index)])
        # floating-point grids: a power of an index must not wrap around as NumPy integers do
        args = [float(fixed[v]) if v in fixed else grids[v].astype(float) for v in self.variables]
        try:
            with np.errstate(all="ignore"):
                out = np.asarray(self.function(*args, *slots))
        except (ArithmeticError, TypeError, ValueError, KeyError, NameError) as exc:
            raise CompileError(
                f"cannot evaluate the coefficient {self.expr} numerically ({type(exc).__name__}: {exc})"
            ) from None
        if out.dtype == object or not np.issubdtype(out.dtype, np.number):
            raise CompileError(f"the coefficient {self.expr} does not evaluate to numbers")
        finite = np.isfinite(out) if not np.ndim(valid) else np.isfinite(out) | ~np.asarray(valid, dtype=bool)
        if not np.all(finite):
            raise CompileError(
                f"the coefficient {self.expr} is not a finite float64 number at some index (infinite or undefined)"
            )
        return out


def compile_term(sum_term: SumTerm, arrays: Mapping[str, np.ndarray]) -> TermProgram:
    """Compile one term (numeric sizes) into steps; see the module docstring.

    Raises
    ------
    CompileError
        For a condition that is not linear or a variable without a finite range;
        :class:`CoefficientRangeError` when a coefficient array is read outside its shape.
    """
    term = _prepare(sum_term)
    program = TermProgram()
    if term.empty:
        return program
    chosen = _choose(term)
    unrolled = [v for v in term.variables if v not in chosen]
    steps = math.prod(_size(term, v) for v in unrolled)
    if steps > MAX_STEPS:
        raise CompileError(
            f"the term would compile to {steps:,} steps (values of {', '.join(map(str, unrolled))}), above the limit "
            f"of {MAX_STEPS:,} (linop.formula.MAX_STEPS)"
        )
    table = _CoefficientTable(term, arrays)
    target_vars = [next(v for v in f.coeffs if v in chosen) for f in term.target if any(v in chosen for v in f.coeffs)]
    source_vars = [next(v for v in f.coeffs if v in chosen) for f in term.source if any(v in chosen for v in f.coeffs)]
    contracted = [v for v in chosen if v not in target_vars]
    letters = {v: chr(ord("a") + n) for n, v in enumerate(target_vars + contracted)}
    banded = _convolution_pattern(term, chosen, target_vars, source_vars, contracted, arrays)
    fourier = _fourier_pattern(term, target_vars, source_vars, contracted) if banded is None else None
    # the variable of the output's first axis, where it reads x and its coefficient axis: what
    # the runtime needs to cut a step into blocks of output rows
    first_var = next((v for v in term.target[0].coeffs if v in chosen), None) if term.target else None
    source_axis = next((a for a, f in enumerate(term.source) if first_var in f.coeffs), None)
    fixed_ineqs = [i for i in term.inequalities if all(v in unrolled for v in i.coeffs)]
    fixed_divs = [(f, d) for f, d in term.divisibilities if all(v in unrolled for v in f.coeffs)]
    for values in itertools.product(*(range(term.ranges[v][0], term.ranges[v][1] + 1) for v in unrolled)):
        fixed = dict(zip(unrolled, values))
        if any(i.subs(fixed).const < 0 for i in fixed_ineqs):
            continue
        if any(f.subs(fixed).const % d for f, d in fixed_divs):
            continue
        bounds = {v: list(term.ranges[v]) for v in chosen}
        divs: dict = {v: [] for v in chosen}
        ties: list = []
        for ineq in term.inequalities:
            f = ineq.subs(fixed)
            if not f.coeffs or ineq in fixed_ineqs:
                continue
            if len(f.coeffs) > 1:
                ties.append(("ineq", f))
                continue
            ((v, a),) = f.coeffs.items()
            if a > 0:
                bounds[v][0] = max(bounds[v][0], _ceil_div(-f.const, a))
            else:
                bounds[v][1] = min(bounds[v][1], _floor_div(f.const, -a))
        for form, d in term.divisibilities:
            f = form.subs(fixed)
            if not f.coeffs:
                continue
            if len(f.coeffs) > 1:
                ties.append(("div", (f, d)))
                continue
            ((v, a),) = f.coeffs.items()
            divs[v].append((a, f.const, d))
        progressions = {}
        empty = False
        for v in chosen:
            lo, hi = bounds[v]
            progression = _progression(lo, hi, divs[v]) if lo <= hi else (lo, 1, 0)
            if progression is None:  # several residues: keep all, mask the rest
                progression = (lo, 1, hi - lo + 1)
                ties += [("div", (_Linear({v: a}, b), d)) for a, b, d in divs[v]]
            if progression[2] <= 0:
                empty = True
                break
            progressions[v] = progression
        if empty:
            continue
        grids = {}
        canonical = target_vars + contracted
        # the values of the vectorised variables, only where a coefficient or a condition needs them
        # (an identity over 10**8 entries allocates no grid)
        for n, v in enumerate(canonical if ties or not table.constant else ()):
            start, spacing, count = progressions[v]
            shape = [1] * len(canonical)
            shape[n] = count
            grids[v] = (start + spacing * np.arange(count)).reshape(shape)
        valid: np.ndarray | bool = True
        for kind, data in ties:
            if kind == "ineq":
                value = data.const + sum(a * grids[v] for v, a in data.coeffs.items())
                valid = valid & (value >= 0)
            else:
                f, d = data
                value = f.const + sum(a * grids[v] for v, a in f.coeffs.items())
                valid = valid & (value % d == 0)
        if isinstance(valid, np.ndarray) and not valid.any():
            continue
        convolution = None
        if banded is not None and valid is True:
            convolution = _convolution_step(banded, fixed, progressions, target_vars[0], contracted[0])
        if fourier is not None and valid is True:
            transform = _fourier_step(fourier, progressions, target_vars[0], contracted[0])
            if transform is not None:
                target, _, _ = _view(term.target, fixed, progressions, "output")
                source, _, _ = _view(term.source, fixed, progressions, "input")
                program.target_extent = _merge(program.target_extent, *_extent(term.target, fixed, progressions))
                program.source_extent = _merge(program.source_extent, *_extent(term.source, fixed, progressions))
                program.steps.append(Step(target, source, 1, contract="fourier", fourier=transform))
                continue
        if convolution is not None:
            coefficient = convolution[0]
        else:
            coefficient = table(fixed, grids, valid)
        if isinstance(valid, np.ndarray):
            coefficient = np.where(valid, coefficient, 0)
        target, t_lows, t_highs = _view(term.target, fixed, progressions, "output")
        source, s_lows, s_highs = _view(term.source, fixed, progressions, "input")
        program.target_extent = _merge(program.target_extent, t_lows, t_highs)
        program.source_extent = _merge(program.source_extent, s_lows, s_highs)
        if convolution is not None:
            program.steps.append(Step(target, source, coefficient, contract="convolve", convolution=convolution[1]))
            continue
        step = _step(target, source, coefficient, target_vars, source_vars, contracted, canonical, letters)
        if first_var is not None and step.contract is None:
            c_axis = canonical.index(first_var) if isinstance(step.coefficient, np.ndarray) else None
            step = Step(
                step.target,
                step.source,
                step.coefficient,
                step.permutation,
                step.expansion,
                None,
                (source_axis, c_axis),
            )
        program.steps.append(step)
    return program


def _step(
    target: tuple,
    source: tuple,
    coefficient: object,
    target_vars: list,
    source_vars: list,
    contracted: list,
    canonical: list,
    letters: dict,
) -> Step:
    array = np.asarray(coefficient)
    if array.ndim == 0 or array.size == 1 and not contracted:
        value = complex(array.reshape(-1)[0]) if array.size else 0j
        coefficient = value.real if value.imag == 0 else value
    else:
        coefficient = (
            np.broadcast_to(array, tuple(array.shape[n] if n < array.ndim else 1 for n in range(len(canonical))))
            if array.ndim
            else array
        )
    if contracted:
        src = "Z" + "".join(letters[v] for v in source_vars)
        out = "Z" + "".join(letters[v] for v in target_vars)
        # an output variable the source lacks must still label an operand: it keeps its (possibly
        # size-1) axis of the coefficient, and a size-1 result broadcasts along the output
        missing = [n for n, v in enumerate(canonical) if v in target_vars and v not in source_vars]
        if not isinstance(coefficient, np.ndarray) and missing:
            coefficient = np.full([1] * len(canonical), coefficient)
        if isinstance(coefficient, np.ndarray):
            keep = [n for n in range(len(canonical)) if coefficient.shape[n] > 1 or n in missing]
            if not keep:  # one value after all (ascontiguousarray would make it 1-D)
                value = complex(coefficient.reshape(-1)[0])
                return Step(target, source, value.real if value.imag == 0 else value, contract=f",{src}->{out}")
            squeezed = np.ascontiguousarray(coefficient.reshape([coefficient.shape[n] for n in keep]))
            coef = "".join(letters[canonical[n]] for n in keep)
            return Step(target, source, squeezed, contract=f"{coef},{src}->{out}")
        return Step(target, source, coefficient, contract=f",{src}->{out}")
    # broadcast: source axes into the target's order, new axes for target variables it lacks
    order = [source_vars.index(v) + 1 for v in target_vars if v in source_vars]
    moved = tuple([0] + order)
    permutation = None if moved == tuple(range(len(moved))) else moved
    expansion = None
    if any(v not in source_vars for v in target_vars):
        expansion = (slice(None),) + tuple(slice(None) if v in source_vars else None for v in target_vars)
    if isinstance(coefficient, np.ndarray):
        coefficient = np.ascontiguousarray(np.broadcast_to(coefficient, coefficient.shape))
    return Step(target, source, coefficient, permutation, expansion)


def compile_formula(formula: AffineSum, arrays: Mapping[str, np.ndarray]) -> tuple[Program, list[TermProgram]]:
    """Compile every term of a formula with numeric sizes into one :class:`Program`.

    Parameters
    ----------
    formula : AffineSum
        ``target[t] = sum of terms`` with numeric shapes and bounds.
    arrays : mapping
        Numeric values of the coefficient arrays by name.

    Returns
    -------
    (Program, list of TermProgram)
        The program and, per term, its steps and the index ranges it touches.
    """
    terms = [compile_term(t, arrays) for t in formula.terms]
    steps = [s for t in terms for s in t.steps]
    program = Program(steps, tuple(int(n) for n in formula.source_shape), tuple(int(n) for n in formula.target_shape))
    return program, terms
