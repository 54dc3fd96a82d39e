"""Linear maps written as affine-index sums: the formulas linop.symbolic states, derives and checks.

A linear map ``y = A x`` is a sum of *terms*; each term is a nested sum over integer
variables ``v = (f_1..f_q, s_1..s_r)``

.. math::

    y[t(f)] \\mathrel{+}= \\sum_{s_1 = l_1}^{u_1} \\cdots \\sum_{s_r = l_r}^{u_r}
        [\\text{conditions}(v)]\\; c(v)\\; x[a(v)]

* the *free* variables ``f`` range over a box and name the output entry through the
  affine index ``t(f)`` (``t`` is injective on the box; entries it misses are zero);
* the *summation* variables ``s`` are nested, outermost first; their bounds may depend
  on the free and the outer summation variables; a sum over an empty range is zero
  (not SymPy's Karr convention: these sums are never evaluated with ``Sum.doit``);
* the source index ``a(v)`` is affine in ``v``; the coefficient ``c(v)`` is any
  expression (a kernel entry ``k[m]``, ``-1``, ``conjugate(k[(i + p - s j)/d])``);
* the conditions are Iverson brackets: linear inequalities and divisibility
  ``Eq(Mod(e, d), 0)``.

Convolution, subsampling, zero insertion, padding with any boundary mode and finite
differences are all of this form (:mod:`linop.symbolic.formulas`);
:func:`linop.symbolic.derive.derive_adjoint` derives the adjoint of any of them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import sympy
from sympy import Expr, IndexedBase, Symbol

from .steps import Step

__all__ = ["AffineSum", "Range", "SumTerm", "index_symbols"]

#: A variable with its inclusive bounds ``(v, lower, upper)``.
Range = tuple[Symbol, Expr, Expr]


def index_symbols(names: str | Iterable[str]) -> tuple[Symbol, ...]:
    """Integer symbols for index variables (``index_symbols("i j")``).

    Parameters
    ----------
    names : str or iterable of str
        The names, separated by spaces in a string.

    Returns
    -------
    tuple of sympy.Symbol
        Integer symbols.

    Examples
    --------
    >>> from linop import symbolic
    >>> i, j = symbolic.index_symbols("i j")
    >>> i.is_integer, j
    (True, j)
    """
    if isinstance(names, str):
        names = names.split()
    return tuple(Symbol(name, integer=True) for name in names)


def _as_tuple(values: object, name: str) -> tuple[Expr, ...]:
    if isinstance(values, (list, tuple)):
        return tuple(sympy.sympify(v) for v in values)
    return (sympy.sympify(values),)


def _as_ranges(ranges: Iterable[Sequence[object]], name: str) -> tuple[Range, ...]:
    out = []
    for item in ranges:
        try:
            var, lo, hi = item
        except (TypeError, ValueError):
            raise TypeError(f"{name} must be (variable, lower, upper) triples; got {item!r}") from None
        if not isinstance(var, Symbol) or not var.is_integer:
            raise TypeError(f"{name}: variables must be integer SymPy symbols; got {var!r}")
        out.append((var, sympy.sympify(lo), sympy.sympify(hi)))
    return tuple(out)


def is_affine(expr: Expr, variables: Iterable[Symbol]) -> bool:
    """Whether ``expr`` is ``sum_v a_v v + b`` with ``a_v``, ``b`` free of ``variables``."""
    variables = tuple(variables)
    for v in variables:
        slope = sympy.diff(expr, v)
        if slope.has(*variables):
            return False
    rest = expr.subs({v: 0 for v in variables})
    return not rest.has(*variables) and not any(
        isinstance(a, (sympy.floor, sympy.ceiling, sympy.Mod, sympy.Max, sympy.Min)) and a.has(*variables)
        for a in sympy.preorder_traversal(expr)
    )


def _flatten_conditions(conditions: Iterable[object]) -> tuple[sympy.Basic, ...]:
    out: list[sympy.Basic] = []
    for c in conditions:
        c = sympy.sympify(c)
        if c is sympy.true:
            continue
        if isinstance(c, sympy.And):
            out.extend(_flatten_conditions(c.args))
        else:
            out.append(c)
    return tuple(out)


@dataclass(frozen=True)
class SumTerm:
    """One term ``target[target_index] += sum_{sums} [conditions] coefficient * source[source_index]``.

    Parameters
    ----------
    target, source : IndexedBase
        The arrays written and read (``y`` and ``x`` of the forward map).
    target_index : tuple of Expr
        Affine in the free variables only.
    source_index : tuple of Expr
        Affine in all variables.
    coefficient : Expr
        Any expression; indexed kernel entries appear as ``k[...]``.
    free : tuple of (Symbol, lower, upper)
        Free variables with bounds that contain no variable.
    sums : tuple of (Symbol, lower, upper)
        Summation variables, outermost first; bounds may use free and outer variables.
    conditions : tuple of Boolean
        Iverson brackets (``[i >= 1]``, ``Eq(Mod(i + 1, 2), 0)``).

    Raises
    ------
    TypeError
        For a variable that is not an integer symbol, a repeated variable or arrays that
        are not ``IndexedBase``.
    ValueError
        For a non-affine index or a bound that uses an inner variable.

    Examples
    --------
    >>> from linop import symbolic
    >>> term = symbolic.finite_difference_formula(5).terms[0]
    >>> print(term.target[term.target_index], term.source[term.source_index], term.coefficient)
    y[j] x[j + 1] 1
    """

    target: IndexedBase
    target_index: tuple[Expr, ...]
    source: IndexedBase
    source_index: tuple[Expr, ...]
    coefficient: Expr
    free: tuple[Range, ...]
    sums: tuple[Range, ...] = ()
    conditions: tuple[sympy.Basic, ...] = field(default=())

    def __post_init__(self) -> None:
        for name in ("target", "source"):
            if not isinstance(getattr(self, name), IndexedBase):
                raise TypeError(f"{name} must be a sympy IndexedBase; got {getattr(self, name)!r}")
        set_ = object.__setattr__
        set_(self, "target_index", _as_tuple(self.target_index, "target_index"))
        set_(self, "source_index", _as_tuple(self.source_index, "source_index"))
        set_(self, "coefficient", sympy.sympify(self.coefficient))
        set_(self, "free", _as_ranges(self.free, "free"))
        set_(self, "sums", _as_ranges(self.sums, "sums"))
        set_(self, "conditions", _flatten_conditions(self.conditions))
        names = [v for v, _, _ in self.free + self.sums]
        if len(set(names)) != len(names):
            raise TypeError(f"variables must be distinct; got {names}")
        free = self.free_variables
        everything = self.variables
        for v, lo, hi in self.free:
            if lo.has(*everything) or hi.has(*everything):
                raise ValueError(f"bounds of the free variable {v} must not use variables; got ({lo}, {hi})")
        for level, (v, lo, hi) in enumerate(self.sums):
            inner = tuple(s for s, _, _ in self.sums[level:])
            if lo.has(*inner) or hi.has(*inner):
                raise ValueError(
                    f"bounds of the summation variable {v} may use only free and outer variables; got ({lo}, {hi})"
                )
        for e in self.target_index:
            if e.has(*(s for s, _, _ in self.sums)) or not is_affine(e, free):
                raise ValueError(f"target_index must be affine in the free variables {free}; got {e}")
        for e in self.source_index:
            if not is_affine(e, everything):
                raise ValueError(f"source_index must be affine in the variables {everything}; got {e}")

    # -- structure ---------------------------------------------------------------------
    @property
    def free_variables(self) -> tuple[Symbol, ...]:
        return tuple(v for v, _, _ in self.free)

    @property
    def sum_variables(self) -> tuple[Symbol, ...]:
        return tuple(v for v, _, _ in self.sums)

    @property
    def variables(self) -> tuple[Symbol, ...]:
        return self.free_variables + self.sum_variables

    @property
    def parameters(self) -> set[Symbol]:
        """Symbols other than the variables and array names (symbolic sizes such as ``n``, ``K``)."""
        parts: list[sympy.Basic] = [*self.target_index, *self.source_index, *self.conditions, self.coefficient]
        for _, lo, hi in self.free + self.sums:
            parts += [lo, hi]
        symbols: set[Symbol] = set()
        labels: set[Symbol] = set()
        for part in parts:
            symbols |= {s for s in part.free_symbols if isinstance(s, Symbol)}
            labels |= {b.label for b in part.atoms(IndexedBase)}
        return symbols - set(self.variables) - labels

    # -- display -----------------------------------------------------------------------
    def summand(self) -> Expr:
        """``[conditions with summation variables] * coefficient * source[source_index]``."""
        body = self.coefficient * self.source[self.source_index]
        inner = [c for c in self.conditions if c.has(*self.sum_variables)]
        if inner:
            body = sympy.Piecewise((body, sympy.And(*inner)), (0, True))
        return body

    def rhs(self) -> Expr:
        """The term as one SymPy expression: nested ``Sum`` s inside an outer Iverson bracket."""
        expr = self.summand()
        for v, lo, hi in reversed(self.sums):
            expr = sympy.Sum(expr, (v, lo, hi))
        outer = [c for c in self.conditions if not c.has(*self.sum_variables)]
        if outer:
            expr = sympy.Piecewise((expr, sympy.And(*outer)), (0, True))
        return expr

    def subs(self, mapping: Mapping) -> SumTerm:
        """Substitute parameters (sizes) everywhere; variables cannot be substituted."""
        if any(k in self.variables for k in mapping):
            raise ValueError(f"cannot substitute the variables {self.variables}; substitute parameters only")

        def sub(e: sympy.Basic) -> sympy.Basic:
            return e.subs(mapping)

        return SumTerm(
            self.target,
            tuple(sub(e) for e in self.target_index),
            self.source,
            tuple(sub(e) for e in self.source_index),
            sub(self.coefficient),
            tuple((v, sub(lo), sub(hi)) for v, lo, hi in self.free),
            tuple((v, sub(lo), sub(hi)) for v, lo, hi in self.sums),
            tuple(sub(c) for c in self.conditions),
        )


@dataclass(frozen=True)
class AffineSum:
    """A linear map ``target = sum of terms`` between arrays of given shapes.

    Parameters
    ----------
    terms : tuple of SumTerm
        All with the same target, source, target index and free variables.
    target_shape, source_shape : tuple
        Shapes of the arrays written and read (ints, or SymPy expressions for symbolic sizes).
    steps : tuple of Step
        How the formula was obtained (empty for a stated formula).

    Notes
    -----
    ``str(formula)`` is the equation ``Eq(target[...], sum of terms)``; ``pretty()`` and
    ``latex()`` render it with SymPy.

    Examples
    --------
    >>> from linop import symbolic
    >>> forward = symbolic.subsampling_formula(8, stride=3, offset=1)
    >>> print(forward)
    Eq(y[j], x[3*j + 1])
    >>> forward.target_shape, forward.source_shape
    ((3,), (8,))
    """

    terms: tuple[SumTerm, ...]
    target_shape: tuple
    source_shape: tuple
    steps: tuple[Step, ...] = ()

    def __post_init__(self) -> None:
        terms = tuple(self.terms)
        if not terms:
            raise ValueError("an AffineSum needs at least one term")
        for t in terms:
            if not isinstance(t, SumTerm):
                raise TypeError(f"terms must be SumTerm objects; got {type(t).__name__}")
        first = terms[0]
        for t in terms[1:]:
            if (t.target, t.source, t.target_index, t.free) != (
                first.target,
                first.source,
                first.target_index,
                first.free,
            ):
                raise ValueError(
                    "all terms must share the target, source, target index and free variables; "
                    f"got {first.target}[{first.target_index}] over {first.free} and "
                    f"{t.target}[{t.target_index}] over {t.free}"
                )
        object.__setattr__(self, "terms", terms)
        object.__setattr__(self, "target_shape", tuple(sympy.sympify(s) for s in self.target_shape))
        object.__setattr__(self, "source_shape", tuple(sympy.sympify(s) for s in self.source_shape))
        object.__setattr__(self, "steps", tuple(self.steps))
        if len(self.target_shape) != len(first.target_index):
            raise ValueError(
                f"target_shape {self.target_shape} has {len(self.target_shape)} axes but the target "
                f"index {first.target_index} has {len(first.target_index)}"
            )
        if len(self.source_shape) != len(first.source_index):
            raise ValueError(
                f"source_shape {self.source_shape} has {len(self.source_shape)} axes but the source "
                f"index {first.source_index} has {len(first.source_index)}"
            )

    @property
    def target(self) -> IndexedBase:
        return self.terms[0].target

    @property
    def source(self) -> IndexedBase:
        return self.terms[0].source

    @property
    def target_index(self) -> tuple[Expr, ...]:
        return self.terms[0].target_index

    @property
    def free(self) -> tuple[Range, ...]:
        return self.terms[0].free

    @property
    def parameters(self) -> set[Symbol]:
        """Symbolic sizes the formula depends on (empty for a concrete operator)."""
        out: set[Symbol] = set()
        for t in self.terms:
            out |= t.parameters
        for s in self.target_shape + self.source_shape:
            out |= {x for x in s.free_symbols if isinstance(x, Symbol)}
        return out

    @property
    def coefficient_arrays(self) -> tuple[IndexedBase, ...]:
        """The arrays (other than the source) that coefficients read, e.g. the kernel ``k``."""
        bases = set()
        for t in self.terms:
            bases |= {a.base for a in t.coefficient.atoms(sympy.Indexed)}
        return tuple(sorted(bases, key=str))

    @property
    def lhs(self) -> Expr:
        return self.target[self.target_index]

    @property
    def rhs(self) -> Expr:
        return sympy.Add(*(t.rhs() for t in self.terms), evaluate=False) if len(self.terms) > 1 else self.terms[0].rhs()

    @property
    def equation(self) -> sympy.Eq:
        """``Eq(target[index], right-hand side)``, unevaluated."""
        return sympy.Eq(self.lhs, self.rhs, evaluate=False)

    def subs(self, mapping: Mapping) -> AffineSum:
        """The formula with parameters (symbolic sizes) replaced."""
        return AffineSum(
            tuple(t.subs(mapping) for t in self.terms),
            tuple(s.subs(mapping) for s in self.target_shape),
            tuple(s.subs(mapping) for s in self.source_shape),
            self.steps,
        )

    def pretty(self) -> str:
        """Unicode rendering (:func:`sympy.pretty`)."""
        return sympy.pretty(self.equation, use_unicode=True)

    def latex(self) -> str:
        """LaTeX rendering (:func:`sympy.latex`)."""
        return sympy.latex(self.equation)

    def _repr_latex_(self) -> str:
        return f"$${self.latex()}$$"

    def __str__(self) -> str:
        return sympy.sstr(self.equation)
