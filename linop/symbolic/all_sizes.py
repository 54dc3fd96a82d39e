"""The adjoint formula for all sizes: a symbolic re-indexing proof, each step checked by SymPy.

For symbolic input length ``n``, kernel length ``K``, stride ``s``, dilation ``d``
(positive integers) and padding ``p = p_lo``, ``p_hi`` (non-negative integers), with the
output length ``M = floor((n + p_lo + p_hi - d(K-1) - 1)/s) + 1`` of
:class:`linop.geometry.AxisGeometry`, the forward map (constant boundary) is

.. math::

    (A x)[j] = \\sum_{m=0}^{K-1} [0 \\le s j + d m - p \\le n-1]\\; k[m]\\, x[s j + d m - p]

and :func:`~linop.symbolic.derive.derive_adjoint` derives

.. math::

    (A^H y)[i] = \\sum_{j=\\max(0, \\lceil (i + p - d(K-1))/s \\rceil)}^{\\min(M-1, \\lfloor (i+p)/s \\rfloor)}
        [d \\mid i + p - s j]\\; \\overline{k[(i + p - s j)/d]}\\, y[j] .

The proof writes both inner products as sums over finite index sets,

* ``<A x, y>  = sum over S = {(j, m)} of k[m] x[s j + d m - p] conj(y[j])``,
* ``<x, A^H y> = sum over T = {(i, j)} of k[(i + p - s j)/d] x[i] conj(y[j])``,

and shows that ``phi(j, m) = (s j + d m - p, j)`` is a bijection from ``S`` onto ``T`` with
inverse ``psi(i, j) = (j, (i + p - s j)/d)`` that carries one summand into the other:
the compositions simplify to the identity, the summands agree after substitution, and
every membership condition of ``T`` is equivalent to one of ``S`` through a chain of
steps (substitution; multiplication by a positive symbol; the rounding lemma
``j <= a  <=>  j <= floor(a)`` for integer ``j``, resting on ``a - floor(a) = frac(a)``
in ``[0, 1)``), each verified by SymPy. A bijection between finite index sets preserves
sums, so ``<A x, y> = <x, A^H y>`` for every size, stride, dilation and padding.
Multi-dimensional, multi-channel layers have products of such index sets per axis and
finite channel sums, so the same argument applies axis by axis.
"""

from __future__ import annotations

import itertools
import time

import sympy
from sympy import Expr, Symbol

from ..geometry import AxisGeometry, ConvGeometry
from .affine_sum import AffineSum, index_symbols
from .bounds import as_nonnegative
from .derive import derive_adjoint
from .evaluate import sparse_entries
from .exact_checks import ProofResult
from .formulas import convolution_formula
from .matrix import first_difference
from .steps import Formula, Step

__all__ = ["prove_all_sizes", "symbolic_sizes"]


def symbolic_sizes() -> dict[str, Symbol]:
    """The symbols of the proof: ``n, K, s, d`` positive, ``p, q`` (= p_lo, p_hi) non-negative."""
    positive = dict(integer=True, positive=True)
    return {
        "n": Symbol("n", **positive),
        "K": Symbol("K", **positive),
        "s": Symbol("s", **positive),
        "d": Symbol("d", **positive),
        "p": Symbol("p", integer=True, nonnegative=True),
        "q": Symbol("q", integer=True, nonnegative=True),
    }


class _Checker:
    """Collects steps; each records whether SymPy confirmed it."""

    def __init__(self) -> None:
        self.steps: list[Step] = []
        self.failed: str | None = None

    def check(self, ok: bool, description: str, math: object = None) -> bool:
        self.steps.append(Step(("" if ok else "NOT CONFIRMED: ") + description, math))
        if not ok and self.failed is None:
            self.failed = description
        return ok


def _is_zero(expr: Expr) -> bool:
    return sympy.simplify(expr) == 0


def _scaling_step(checker: _Checker, before: Expr, after: Expr, factor: Expr, why: str) -> None:
    """``before >= 0  <=>  after >= 0`` because ``after = factor * before`` with ``factor > 0``."""
    ok = _is_zero(after - factor * before) and factor.is_positive is True
    checker.check(
        ok,
        f"multiply by {why} (SymPy: the difference is zero and the factor is positive)",
        (sympy.Ge(before, 0, evaluate=False), sympy.Ge(after, 0, evaluate=False)),
    )


def _floor_lemma(checker: _Checker, a: Expr) -> None:
    """For integer j: ``j <= a  <=>  j <= floor(a)``, since ``a - floor(a) = frac(a)`` in ``[0, 1)``."""
    frac = (a - sympy.floor(a)).rewrite(sympy.frac)
    ok = frac == sympy.frac(a) and (sympy.frac(a) >= 0) is sympy.true and (sympy.frac(a) < 1) is sympy.true
    checker.check(
        ok,
        "rounding lemma for integer j: j <= a iff j <= floor(a) (floor(a) <= a, and a - floor(a) = frac(a) < 1 "
        "leaves no integer between floor(a) and a; SymPy: frac(a) >= 0 and frac(a) < 1)",
        Formula("a - floor(a) = frac(a) in [0, 1)", r"a - \lfloor a \rfloor = \{a\} \in [0, 1)"),
    )


def _ceiling_lemma(checker: _Checker, a: Expr) -> None:
    """For integer j: ``j >= a  <=>  j >= ceiling(a)``, since ``ceiling(a) - a = frac(-a)`` in ``[0, 1)``."""
    frac = (sympy.ceiling(a) - a).rewrite(sympy.frac)
    ok = _is_zero(frac - sympy.frac(-a)) and (sympy.frac(-a) >= 0) is sympy.true and (sympy.frac(-a) < 1) is sympy.true
    checker.check(
        ok,
        "rounding lemma for integer j: j >= a iff j >= ceiling(a) (ceiling(a) - a = frac(-a) in [0, 1); "
        "SymPy: frac(-a) >= 0 and frac(-a) < 1)",
        Formula("ceiling(a) - a = frac(-a) in [0, 1)", r"\lceil a \rceil - a = \{-a\} \in [0, 1)"),
    )


def _bound_args(bound: Expr, kind: type[sympy.Basic]) -> list[Expr]:
    return list(bound.args) if isinstance(bound, kind) else [bound]


def _corroborate(
    forward: AffineSum, adjoint: AffineSum, sizes: dict[str, Symbol], count: int
) -> tuple[int, str | None]:
    """Instantiate the symbolic formulas at small sizes and compare the matrices exactly."""
    tried = 0
    for n, K, s, d, p, q in itertools.product(range(1, 7), range(1, 4), range(1, 4), range(1, 3), range(3), range(2)):
        if tried >= count:
            break
        axis = AxisGeometry(n, K, s, d, p, q)
        if axis.output_size < 1:
            continue
        values = {sizes["n"]: n, sizes["K"]: K, sizes["s"]: s, sizes["d"]: d, sizes["p"]: p, sizes["q"]: q}
        fwd = sparse_entries(forward.subs(values))
        adj = sparse_entries(adjoint.subs(values))
        if first_difference({(c, r): v for (r, c), v in fwd.items()}, {k: sympy.conjugate(v) for k, v in adj.items()}):
            return tried, f"n={n}, K={K}, s={s}, d={d}, p=({p}, {q})"
        tried += 1
    return tried, None


def prove_all_sizes(*, corroborate: int = 40) -> ProofResult:
    """Prove ``<A x, y> = <x, A^H y>`` for the derived adjoint formula at symbolic sizes.

    Parameters
    ----------
    corroborate : int
        After the proof, also instantiate the symbolic formulas at this many small
        concrete sizes and compare them exactly (a sanity check, not part of the proof).

    Returns
    -------
    ProofResult
        Holds when every step was confirmed by SymPy.

    Examples
    --------
    >>> from linop import symbolic
    >>> result = symbolic.prove_all_sizes(corroborate=2)
    >>> result.holds
    True
    """
    start = time.perf_counter()
    sizes = symbolic_sizes()
    n, K, s, d, p, q = (sizes[name] for name in "nKsdpq")
    axis = AxisGeometry(n, K, s, d, p, q)
    M = axis.output_size
    forward = convolution_formula(ConvGeometry((axis,), channels=False))
    adjoint = derive_adjoint(forward)
    statement = Formula(
        "for all n, K, s, d >= 1, padding p_lo, p_hi >= 0 and all x, y, k: <A x, y> = <x, A^H y>, "
        "A^H the derived formula",
        r"\forall\, n, K, s, d \ge 1,\ p, q \ge 0:\quad \langle A x, y\rangle = \langle x, A^{H} y\rangle",
    )
    checker = _Checker()
    k, x, y = sympy.IndexedBase("k"), sympy.IndexedBase("x"), sympy.IndexedBase("y")
    j, m = index_symbols("j m")
    (i,) = index_symbols("i")
    fterm = forward.terms[0]
    aterm = adjoint.terms[0]
    checker.check(True, "forward formula (from the geometry's index map, p = p_lo, q = p_hi)", forward.equation)
    checker.check(True, "output length from the geometry", sympy.Eq(sympy.Symbol("M"), M))
    checker.check(True, "adjoint formula, derived by derive_adjoint", adjoint.equation)
    ok = len(forward.terms) == 1 and len(adjoint.terms) == 1 and len(aterm.sums) == 1
    checker.check(ok, "each side is a single sum: over m in the forward formula, over j in the adjoint")
    if not ok:
        return ProofResult(
            "adjoint formula for all sizes", statement, False, tuple(checker.steps), None, time.perf_counter() - start
        )
    a = sympy.sympify(axis.input_index(j, m))
    mu = (i + p - s * j) / d  # psi's second component
    # 1. The two inner products as sums over index sets.
    f_S = k[m] * x[a] * sympy.conjugate(y[j])
    summand_T = x[i] * sympy.conjugate(aterm.coefficient * y[j])
    f_T = k[mu] * x[i] * sympy.conjugate(y[j])
    checker.check(
        fterm.coefficient * fterm.source[fterm.source_index] == k[m] * x[a],
        "<A x, y> = sum_j (A x)[j] conj(y[j]) = sum over S of f_S, S = {(j, m): 0 <= j <= M-1, "
        "0 <= m <= K-1, 0 <= s j + d m - p <= n-1}",
        sympy.Eq(sympy.Symbol("f_S"), f_S),
    )
    checker.check(
        _is_zero(summand_T - f_T),
        "<x, A^H y> = sum_i x[i] conj((A^H y)[i]) = sum over T of f_T, T = {(i, j): 0 <= i <= n-1, "
        "lower(i) <= j <= upper(i), d | i + p - s j}; conj(conj(k) y) = k conj(y) (SymPy)",
        sympy.Eq(sympy.Symbol("f_T"), f_T),
    )
    # 2. The bijection.
    phi = (a, j)
    psi_of_phi = (j, sympy.simplify(mu.subs(i, phi[0])))
    checker.check(
        psi_of_phi == (j, m),
        "psi(phi(j, m)) = (j, m) (SymPy simplifies)",
        (
            Formula("phi(j, m) = (s j + d m - p, j)", r"\varphi(j, m) = (s j + d m - p,\ j)"),
            Formula(
                "psi(phi(j, m)) = (j, ((s j + d m - p) + p - s j)/d) = (j, m)",
                r"\psi(\varphi(j, m)) = \left(j,\ \tfrac{(s j + d m - p) + p - s j}{d}\right) = (j, m)",
            ),
        ),
    )
    phi_of_psi = (sympy.simplify(a.subs(m, mu)), j)
    checker.check(
        phi_of_psi == (i, j),
        "phi(psi(i, j)) = (i, j) (SymPy simplifies)",
        (
            Formula("psi(i, j) = (j, (i + p - s j)/d)", r"\psi(i, j) = \left(j,\ \tfrac{i + p - s j}{d}\right)"),
            Formula(
                "phi(psi(i, j)) = (s j + d (i + p - s j)/d - p, j) = (i, j)",
                r"\varphi(\psi(i, j)) = \left(s j + d\, \tfrac{i + p - s j}{d} - p,\ j\right) = (i, j)",
            ),
        ),
    )
    checker.check(
        _is_zero(f_T.subs(i, a) - f_S),
        "the summands correspond: f_T(phi(j, m)) = f_S(j, m) (SymPy)",
        sympy.Eq(f_T.subs(i, a), f_S, evaluate=False),
    )
    # 3. Membership conditions of T are those of S under phi.
    inner = [c for c in aterm.conditions if c.has(j)]
    divisibility = sympy.Eq(sympy.Mod(i + p - s * j, d), 0)
    checker.check(
        len(inner) == 1 and inner[0] == divisibility,
        "the derived formula's condition is divisibility",
        divisibility,
    )
    t = Symbol("t", integer=True)
    checker.check(
        sympy.Mod(a + p - s * j, d) == 0 and sympy.simplify(mu.subs(i, d * t - p + s * j)) == t,
        "d | i + p - s j iff m = (i + p - s j)/d is an integer: under phi, i + p - s j = d m and Mod(d m, d) = 0; "
        "conversely i + p - s j = d t gives m = t (SymPy)",
        sympy.And(
            sympy.Eq(sympy.Mod(sympy.Mul(d, m, evaluate=False), d, evaluate=False), 0, evaluate=False),
            sympy.Eq(mu.subs(i, d * t - p + s * j), t, evaluate=False),
            evaluate=False,
        ),
    )
    outer = [c for c in aterm.conditions if not c.has(j)]
    window = [as_nonnegative(c.subs(m, mu)) for c in fterm.conditions]
    wanted = [i, n - 1 - i]
    free_range = aterm.free[0]
    checker.check(
        not outer
        and len(window) == 2
        and all(w is not None for w in window)
        and all(any(_is_zero(w - v) for w in window) for v in wanted)
        and free_range[1] == 0
        and _is_zero(free_range[2] - (n - 1)),
        "the window conditions 0 <= s j + d m - p <= n - 1 of S read 0 <= i <= n - 1 under phi: exactly the "
        "range of i in T (derive_adjoint dropped them as implied by it)",
        sympy.And(*(sympy.Ge(w, 0) for w in window if w is not None), evaluate=False),
    )
    _, lower, upper = aterm.sums[0]
    lower_args = _bound_args(lower, sympy.Max)
    upper_args = _bound_args(upper, sympy.Min)
    checker.check(
        0 in lower_args and any(_is_zero(u - (M - 1)) for u in upper_args),
        "j's own range 0 <= j <= M - 1 appears in the bounds: lower = max(0, ...), upper = min(M - 1, ...)",
        sympy.And(sympy.Eq(sympy.Symbol("lower"), lower), sympy.Eq(sympy.Symbol("upper"), upper), evaluate=False),
    )
    # m >= 0  <=>  j <= floor((i + p)/s)
    e1 = mu
    e2 = i + p - s * j
    e3 = (i + p) / s - j
    checker.check(_is_zero(m.subs(m, mu) - e1), "m >= 0 under psi", sympy.Ge(e1, 0, evaluate=False))
    _scaling_step(checker, e1, e2, d, "d > 0")
    _scaling_step(checker, e2, e3, 1 / s, "1/s > 0")
    _floor_lemma(checker, (i + p) / s)
    upper_bound = sympy.floor((i + p) / s)
    checker.check(
        any(_is_zero(u - upper_bound) for u in upper_args),
        "so m >= 0 iff j <= floor((i + p)/s), the derived upper bound",
        sympy.Le(j, upper_bound),
    )
    # m <= K - 1  <=>  j >= ceiling((i + p - d(K-1))/s)
    f1 = K - 1 - mu
    f2 = d * (K - 1) - i - p + s * j
    f3 = j - (i + p - d * (K - 1)) / s
    checker.check(True, "m <= K - 1 under psi", sympy.Ge(f1, 0, evaluate=False))
    _scaling_step(checker, f1, f2, d, "d > 0")
    _scaling_step(checker, f2, f3, 1 / s, "1/s > 0")
    _ceiling_lemma(checker, (i + p - d * (K - 1)) / s)
    lower_bound = sympy.ceiling((i + p - d * (K - 1)) / s)
    checker.check(
        any(_is_zero(lo - lower_bound) for lo in lower_args),
        "so m <= K - 1 iff j >= ceiling((i + p - d(K-1))/s), the derived lower bound",
        sympy.Ge(j, lower_bound),
    )
    checker.check(
        len(lower_args) == 2 and len(upper_args) == 2,
        "the bounds hold nothing else: every condition of T is one of S under phi and vice versa, so phi maps S onto T",
    )
    checker.check(
        checker.failed is None,
        "a bijection between finite index sets that carries summand to summand preserves the sum: "
        "<A x, y> = <x, A^H y> for all sizes",
        Formula("sum_S f_S = sum_T f_T", r"\sum_{(j,m) \in S} f_S = \sum_{(i,j) \in T} f_T"),
    )
    if corroborate:
        tried, failure = _corroborate(forward, adjoint, sizes, corroborate)
        checker.check(
            failure is None,
            f"corroboration (not part of the proof): the symbolic formulas instantiated at {tried} small sizes "
            f"give exactly conjugate-transposed matrices" + (f"; fails at {failure}" if failure else ""),
        )
    holds = checker.failed is None
    return ProofResult(
        "adjoint formula for all sizes",
        statement,
        holds,
        tuple(checker.steps),
        None,
        time.perf_counter() - start,
    )
