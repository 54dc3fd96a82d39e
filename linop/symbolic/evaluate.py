"""Evaluating an affine-index sum: its exact matrix entries, and its lambdified numeric form.

Two independent evaluations of a formula (:class:`~linop.symbolic.affine_sum.AffineSum`):

* :func:`formula_entries` enumerates every term ``c(v) x[a(v)]`` that lands in
  ``y[t(v)]`` and returns the exact matrix as a dict
  ``(target index, source index) -> sum of coefficients``. The loops are generated
  Python code with integer arithmetic only (``floor(a/b)`` is ``a // b``); linear
  conditions are first turned into summation bounds, so only contributing index tuples
  are visited.
* :func:`lambdify_formula` turns each term's right-hand side into a numeric function with
  :func:`sympy.lambdify` and evaluates it at every output index.

Entries of a coefficient array that lies outside its shape (a wrong formula reading
``k[3]`` of a 3-tap kernel) are kept as the symbolic entry ``k[3]``, so comparisons
fail visibly instead of wrapping around.

Generated code never contains a name of the formula: every variable and array is renamed
to a generated one (``_v0``, ``_a0``, ...) first, so a variable called ``lambda`` or two
names that Python's NFKC normalisation of identifiers would merge (``i`` and ``ｉ``) compile
as different, valid names.
"""

from __future__ import annotations

import cmath
import itertools
import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import sympy
from sympy import Expr, IndexedBase, Symbol
from sympy.printing.pycode import PythonCodePrinter

from .affine_sum import AffineSum, SumTerm
from .bounds import as_nonnegative, tighten
from .kernels import exact_number

__all__ = ["NumericFormula", "formula_entries", "lambdify_formula", "sparse_entries"]

Entries = dict[tuple[tuple[int, ...], tuple[int, ...]], Expr]


class _ExactRoundingPrinter(PythonCodePrinter):
    """Python code in which ``floor(a/b)`` is ``a // b`` and ``ceiling(a/b)`` is ``-(-a // b)``:
    exact for integers of any size (``math.floor(1/3*i + 10/3)`` is not)."""

    def _ratio(self, arg: Expr) -> tuple[str, str]:
        num, den = sympy.fraction(sympy.together(arg))
        return self._print(num), self._print(den)

    def _print_floor(self, expr: Expr) -> str:
        num, den = self._ratio(expr.args[0])
        return num if den == "1" else f"(({num}) // ({den}))"

    def _print_ceiling(self, expr: Expr) -> str:
        num, den = self._ratio(expr.args[0])
        return num if den == "1" else f"(-((-({num})) // ({den})))"


class _IntegerPrinter(_ExactRoundingPrinter):
    """Integer-only Python code for the generated enumeration loops."""

    def __init__(self) -> None:
        super().__init__({"fully_qualified_modules": False, "strict": True})

    def _print_Rational(self, expr: sympy.Rational) -> str:
        if expr.q != 1:
            raise ValueError(f"non-integer constant {expr} in an index expression")
        return str(expr.p)

    def _print_Relational(self, expr: sympy.Basic) -> str:
        nonneg = as_nonnegative(expr)
        if nonneg is not None:
            return f"({self._print(nonneg)} >= 0)"
        return super()._print_Relational(expr)


class _NestedSumPrinter(_ExactRoundingPrinter):
    """Python code for :func:`sympy.lambdify`: exact rounding, and a ``Sum`` with several
    limits loops over its *last* limit outermost (SymPy's first limit is the innermost
    sum, so an inner bound may depend on an outer variable; the stock printer loops the
    other way round)."""

    def _print_Sum(self, expr: sympy.Sum) -> str:
        loops = " ".join(
            f"for {self._print(i)} in range({self._print(a)}, ({self._print(b)}) + 1)"
            for i, a, b in reversed(expr.limits)
        )
        return f"(builtins.sum({self._print(expr.function)} {loops}))"


def _floor_indices(expr: Expr) -> Expr:
    """Wrap every index of every ``Indexed`` in ``floor`` (exact where a divisibility
    condition guards it, and an integer for Python indexing)."""
    return expr.replace(
        lambda e: isinstance(e, sympy.Indexed),
        lambda e: e.base[tuple(sympy.floor(i) for i in e.indices)],
    )


def _lookup(arrays: Mapping[Any, Any], base: IndexedBase) -> Any:
    if base in arrays:
        return arrays[base]
    return arrays.get(str(base.label))


def _entry(array: Any, base: IndexedBase, index: tuple[int, ...]) -> Expr:
    """``array[index]`` as a SymPy expression; the symbolic ``base[index]`` when there is no
    array or the index lies outside it (no wrap-around for negative indices)."""
    if array is not None:
        shape = np.shape(array)
        if len(index) == len(shape) and all(0 <= i < n for i, n in zip(index, shape)):
            value = array[index] if isinstance(array, np.ndarray) else array[index]
            return exact_number(value, "coefficients")
    return base[index]


def _safe_variables(term: SumTerm) -> dict[Symbol, Symbol]:
    """Generated names ``_v0, _v1, ...`` for a term's variables (same assumptions)."""
    return {v: Symbol(f"_v{n}", **v.assumptions0) for n, v in enumerate(term.variables)}


def _renamed_term(term: SumTerm, names: Mapping[sympy.Basic, sympy.Basic]) -> SumTerm:
    """The term with variables (and arrays) replaced by generated ones (``xreplace``: no evaluation)."""

    def swap(e: sympy.Basic) -> sympy.Basic:
        return sympy.sympify(e).xreplace(names)

    return SumTerm(
        names.get(term.target, term.target),
        tuple(swap(e) for e in term.target_index),
        names.get(term.source, term.source),
        tuple(swap(e) for e in term.source_index),
        swap(term.coefficient),
        tuple((swap(v), swap(lo), swap(hi)) for v, lo, hi in term.free),
        tuple((swap(v), swap(lo), swap(hi)) for v, lo, hi in term.sums),
        tuple(swap(c) for c in term.conditions),
    )


def _box(free: tuple) -> list[range]:
    out = []
    for v, lo, hi in free:
        if not (lo.is_Integer and hi.is_Integer):
            raise ValueError(
                f"the free variable {v} has symbolic bounds ({lo}, {hi}); substitute numbers for "
                f"the sizes first (formula.subs(...))"
            )
        out.append(range(int(lo), int(hi) + 1))
    return out


class _CompiledTerm:
    """One term as generated Python loops that call ``emit(target, source, key)``."""

    def __init__(self, term: SumTerm):
        if term.parameters:
            raise ValueError(
                f"the formula has symbolic sizes {sorted(map(str, term.parameters))}; substitute "
                f"numbers first (formula.subs(...))"
            )
        term = _renamed_term(term, _safe_variables(term))
        sums, inner, outer, _ = tighten(term.free, term.sums, term.conditions)
        self.term = term
        self.box = _box(term.free)
        atoms = sorted(term.coefficient.atoms(sympy.Indexed), key=sympy.default_sort_key)
        masked = term.coefficient.xreplace({a: sympy.Dummy() for a in atoms})
        self.atoms = atoms
        self.coef_vars = tuple(v for v in term.variables if masked.has(v))
        printer = _IntegerPrinter()
        p = printer.doprint
        free_vars = term.free_variables
        lines = ["def _enumerate(_emit, _free):"]
        indent = "    "
        lines.append(f"{indent}for ({', '.join(map(str, free_vars))},) in _free:")
        depth = 2
        levels: list[list[sympy.Basic]] = [[] for _ in range(len(sums) + 1)]
        sum_vars = [v for v, _, _ in sums]
        for cond in tuple(outer) + tuple(inner):
            level = max((sum_vars.index(v) + 1 for v in sum_vars if cond.has(v)), default=0)
            levels[level].append(cond)

        def guard(conds: list[sympy.Basic]) -> None:
            nonlocal depth
            if conds:
                lines.append(indent * depth + f"if {' and '.join('(' + p(c) + ')' for c in conds)}:")
                depth += 1

        guard(levels[0])
        for level, (v, lo, hi) in enumerate(sums, start=1):
            lines.append(indent * depth + f"for {v} in range({p(lo)}, ({p(hi)}) + 1):")
            depth += 1
            guard(levels[level])
        target = ", ".join(p(sympy.floor(e)) for e in term.target_index)
        source = ", ".join(p(sympy.floor(e)) for e in term.source_index)
        keys = [f"({', '.join(p(sympy.floor(i)) for i in a.indices)},)" for a in atoms]
        keys += [str(v) for v in self.coef_vars]
        lines.append(indent * depth + f"_emit(({target},), ({source},), ({', '.join(keys)}{',' if keys else ''}))")
        namespace: dict[str, Any] = {"max": max, "min": min}
        # the code names only generated variables (_v0, ...; see _safe_variables) and integers: no name
        # of the formula reaches it
        exec("\n".join(lines), namespace)
        self.code = "\n".join(lines)
        self.enumerate: Callable = namespace["_enumerate"]

    def coefficient(self, key: tuple, arrays: Mapping[Any, Any]) -> Expr:
        n = len(self.atoms)
        values = {a: _entry(_lookup(arrays, a.base), a.base, key[i]) for i, a in enumerate(self.atoms)}
        values.update({v: sympy.Integer(key[n + i]) for i, v in enumerate(self.coef_vars)})
        return self.term.coefficient.xreplace(values)


def formula_entries(formula: AffineSum, arrays: Mapping[Any, Any] | None = None) -> Entries:
    """The exact matrix of a formula: ``{(target index, source index): coefficient}``.

    Parameters
    ----------
    formula : AffineSum
        With numeric sizes (use ``formula.subs`` for symbolic ones).
    arrays : mapping, optional
        Values of the coefficient arrays, keyed by ``IndexedBase`` or name (e.g.
        ``{"k": kernel}``, entries numbers or SymPy expressions). An array that is not given
        stays symbolic (entries ``k[0]``, ``k[1]``, ...).

    Returns
    -------
    dict
        ``{(target index, source index): coefficient}`` with multi-indices.

    Notes
    -----
    Entries that sum to zero are left out (a sparse matrix).

    Examples
    --------
    >>> from linop import symbolic
    >>> entries = symbolic.formula_entries(symbolic.subsampling_formula(5, stride=2))
    >>> sorted(entries.items())
    [(((0,), (0,)), 1), (((1,), (2,)), 1), (((2,), (4,)), 1)]
    """
    arrays = arrays or {}
    collected: dict[tuple, list[Expr]] = {}
    for term in formula.terms:
        compiled = _CompiledTerm(term)
        cache: dict[tuple, Expr] = {}

        def emit(
            target: tuple,
            source: tuple,
            key: tuple,
            cache: dict[tuple, Expr] = cache,
            compiled: _CompiledTerm = compiled,
        ) -> None:
            value = cache.get(key)
            if value is None:
                value = cache[key] = compiled.coefficient(key, arrays)
            collected.setdefault((target, source), []).append(value)

        compiled.enumerate(emit, itertools.product(*compiled.box))
    entries: Entries = {}
    for key, values in collected.items():
        total = sympy.Add(*values)
        if total != 0:
            entries[key] = total
    return entries


def _strides(shape: tuple) -> tuple[int, ...]:
    out, acc = [], 1
    for n in reversed(shape):
        out.append(acc)
        acc *= int(n)
    return tuple(reversed(out))


def sparse_entries(formula: AffineSum, arrays: Mapping[Any, Any] | None = None) -> dict[tuple[int, int], Expr]:
    """:func:`formula_entries` with C-order flat indices ``(row, column)``.

    Indices outside the declared shapes are kept as out-of-range rows or columns (negative
    or too large), so a wrong formula cannot hide behind the flattening.

    Parameters
    ----------
    formula : AffineSum
        With numeric sizes.
    arrays : mapping, optional
        Values of the coefficient arrays, as for :func:`formula_entries`.

    Returns
    -------
    dict
        ``{(row, column): coefficient}`` with C-order flat indices.

    Examples
    --------
    >>> from linop import symbolic
    >>> sorted(symbolic.sparse_entries(symbolic.finite_difference_formula(3)).items())
    [((0, 0), -1), ((0, 1), 1), ((1, 1), -1), ((1, 2), 1)]
    """
    rs, cs = _strides(formula.target_shape), _strides(formula.source_shape)
    out: dict[tuple[int, int], Expr] = {}
    tshape = tuple(int(n) for n in formula.target_shape)
    sshape = tuple(int(n) for n in formula.source_shape)
    for (t, s), value in formula_entries(formula, arrays).items():
        if any(not 0 <= a < n for a, n in zip(t, tshape)):
            row = -1 - sum(a * b for a, b in zip(t, rs))
        else:
            row = sum(a * b for a, b in zip(t, rs))
        if any(not 0 <= a < n for a, n in zip(s, sshape)):
            col = -1 - sum(a * b for a, b in zip(s, cs))
        else:
            col = sum(a * b for a, b in zip(s, cs))
        out[(row, col)] = out.get((row, col), 0) + value
    return out


class _BoundsCheckedArray:
    """Read-only view whose integer indexing refuses out-of-range indices (NumPy would wrap
    negative ones around and hide a wrong formula)."""

    __slots__ = ("array", "shape")

    def __init__(self, array: np.ndarray):
        self.array = array
        self.shape = array.shape

    def __getitem__(self, index: object) -> object:
        index = index if isinstance(index, tuple) else (index,)
        if len(index) != len(self.shape) or any(not 0 <= i < n for i, n in zip(index, self.shape)):
            raise IndexError(f"the formula reads index {index} of an array of shape {self.shape}")
        return self.array[index]


def _complex_aware(real: Callable, complex_: Callable) -> Callable:
    """``math``'s function for real arguments, ``cmath``'s for complex ones (``exp(-2 pi I k m/N)``)."""

    def function(z: Any) -> Any:
        return complex_(z) if isinstance(z, complex) else real(z)

    return function


_COMPLEX_AWARE = {
    name: _complex_aware(getattr(math, name), getattr(cmath, name)) for name in ("exp", "sin", "cos", "sqrt", "log")
}


class NumericFormula:
    """A formula evaluated numerically: ``f(source_array, **coefficient_arrays) -> target_array``.

    Each term's right-hand side is compiled once with :func:`sympy.lambdify` (Python
    ``math`` semantics: ``Sum`` becomes a generator over ``range``, so empty ranges give
    zero; ``Piecewise`` is a lazy conditional) and called at every free index. Reading an
    array outside its shape raises ``IndexError`` instead of wrapping around.
    """

    def __init__(self, formula: AffineSum):
        self.formula = formula
        if formula.parameters:
            raise ValueError(
                f"the formula has symbolic sizes {sorted(map(str, formula.parameters))}; substitute "
                f"numbers first (formula.subs(...))"
            )
        self.coefficient_arrays = formula.coefficient_arrays
        self._box = _box(formula.free)
        # generated names for every variable and array: the code lambdify writes holds none of the
        # formula's names (a variable called lambda, names equal after NFKC normalisation)
        bases = [formula.source, *self.coefficient_arrays]
        names: dict[sympy.Basic, sympy.Basic] = {
            b: IndexedBase(f"_a{n}", **b.assumptions0) for n, b in enumerate(bases)
        }
        terms = []
        for t in formula.terms:
            variables = {v: Symbol(f"_v{n}", **v.assumptions0) for n, v in enumerate(t.variables)}
            terms.append(_renamed_term(t, {**names, **variables}))
        free_vars = [v for v, _, _ in terms[0].free]
        modules = [{"conjugate": np.conjugate, **_COMPLEX_AWARE}, "math"]
        args = free_vars + [names[b] for b in bases]
        functions = {"conjugate": "conjugate", **{name: name for name in _COMPLEX_AWARE}}
        printer = _NestedSumPrinter({"fully_qualified_modules": False, "user_functions": functions})
        self._terms = [sympy.lambdify(args, _floor_indices(t.rhs()), modules=modules, printer=printer) for t in terms]
        self._target = sympy.lambdify(free_vars, [sympy.floor(e) for e in terms[0].target_index], modules="math")
        self.target_shape = tuple(int(n) for n in formula.target_shape)
        self.source_shape = tuple(int(n) for n in formula.source_shape)

    def __call__(self, source: Any, **arrays: Any) -> np.ndarray:
        source = np.asarray(source)
        if source.shape != self.source_shape:
            raise ValueError(f"source must have shape {self.source_shape}; got {source.shape}")
        names = [str(b.label) for b in self.coefficient_arrays]
        missing = [n for n in names if n not in arrays]
        if missing:
            raise ValueError(f"missing coefficient arrays {missing} (pass them as keywords)")
        extra = set(arrays) - set(names)
        if extra:
            raise ValueError(f"unknown coefficient arrays {sorted(extra)}; this formula reads {names}")
        values = [np.asarray(arrays[n]) for n in names]
        dtype = np.result_type(source.dtype, *(v.dtype for v in values), np.float64)
        out = np.zeros(self.target_shape, dtype=dtype)
        checked = [_BoundsCheckedArray(a) for a in (source, *values)]
        for free in itertools.product(*self._box):
            index = tuple(self._target(*free))
            out[index] += sum(f(*free, *checked) for f in self._terms)
        return out


def lambdify_formula(formula: AffineSum) -> NumericFormula:
    """The numeric form of a formula (a ``NumericFormula``), built with :func:`sympy.lambdify`.

    Parameters
    ----------
    formula : AffineSum
        With numeric sizes.

    Returns
    -------
    callable
        ``f(source, **arrays)`` evaluates the formula on NumPy arrays.

    Examples
    --------
    >>> from linop import symbolic
    >>> A = symbolic.Convolution(input_shape=7, kernel_shape=3, stride=2)
    >>> adjoint = symbolic.lambdify_formula(A.adjoint_formula)
    >>> adjoint(np.array([1.0, 2.0, 3.0]), k=np.array([0.5, 1.0, 0.5]))
    array([0.5, 1. , 1.5, 2. , 2.5, 3. , 1.5])
    """
    return NumericFormula(formula)
