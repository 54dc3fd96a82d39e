"""Assembling a :class:`~linop.formula.operator.FormulaOperator`: read, derive, compile (imports SymPy).

1. the formula is read (:mod:`linop.formula.reader`) or taken as an ``AffineSum``;
2. the adjoint is derived with :func:`linop.symbolic.derive_adjoint` from the formula with
   the sizes as symbols (a formula to show), and the numbers substituted into it; when
   the symbolic derivation is not possible the numeric formula is derived instead;
3. both formulas are compiled (:mod:`linop.formula.compiler`) and their coefficients cast
   to the operator's dtype.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import sympy

from ..arguments import as_shape, is_integer
from ..symbolic.affine_sum import AffineSum, SumTerm
from ..symbolic.derive import derive_adjoint
from ..symbolic.steps import Step
from .compiler import CompileError, compile_formula
from .grammar import FormulaError
from .limits import MAX_ENTRIES
from .operator import FormulaOperator
from .program import Program
from .reader import build_formula

__all__ = ["make_operator"]

_DTYPES = (np.float32, np.float64, np.complex64, np.complex128)


def _check_sizes(sizes: object) -> dict[str, int]:
    if sizes is None:
        return {}
    if not isinstance(sizes, Mapping):
        raise TypeError(f"sizes must be a dict of name -> int; got {type(sizes).__name__}")
    out = {}
    for name, value in sizes.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"sizes: names must be identifiers; got {name!r}")
        if not is_integer(value):
            raise TypeError(f"sizes[{name!r}] must be an int; got {value!r}")
        out[name] = int(value)
    return out


def _check_arrays(arrays: object) -> dict[str, np.ndarray]:
    if arrays is None:
        return {}
    if not isinstance(arrays, Mapping):
        raise TypeError(f"arrays must be a dict of name -> array; got {type(arrays).__name__}")
    out = {}
    for name, value in arrays.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"arrays: names must be identifiers; got {name!r}")
        a = np.array(value)  # a copy: the caller's array is never modified or aliased
        if a.dtype == object or not (np.issubdtype(a.dtype, np.number)):
            raise TypeError(f"arrays[{name!r}] must be numeric; got dtype {a.dtype}")
        if a.ndim == 0:
            raise ValueError(f"arrays[{name!r}] must have at least one axis; got a scalar (write it as a size)")
        if not np.all(np.isfinite(a)):
            raise ValueError(f"arrays[{name!r}] must be finite; got NaN or infinity")
        out[name] = a
    return out


def _compile(formula: AffineSum, arrays: Mapping[str, np.ndarray]) -> Program:
    program, _ = compile_formula(formula, arrays)
    return program


def _checked_shape(shape: Any, name: str) -> tuple[int, ...] | None:
    if shape is None:
        return None
    shape = as_shape(shape, name)
    if math.prod(shape) > MAX_ENTRIES:
        raise ValueError(
            f"{name} {shape} has {math.prod(shape):,} entries, above the limit of {MAX_ENTRIES:,} "
            f"entries per array of a formula operator (linop.formula.MAX_ENTRIES)"
        )
    return shape


def _readable(adjoint: AffineSum, forward: AffineSum) -> AffineSum:
    """The adjoint with a fresh variable named ``i_`` renamed (pretty printing drops the underscore,
    so ``i_`` would read as the forward's ``i``): to the first of ``u, v, w, ...`` not in use."""
    taken = {str(s) for t in forward.terms + adjoint.terms for s in t.variables} | {str(s) for s in forward.parameters}
    taken |= {str(b.label) for b in forward.coefficient_arrays} | {str(forward.source.label), str(forward.target.label)}
    names = iter(n for n in ("u", "v", "w", "r", "q", "a", "b") if n not in taken)
    mapping = {}
    for v in {v for t in adjoint.terms for v in t.variables}:
        if str(v).endswith("_"):
            new = next(names, None)
            if new is not None:
                mapping[v] = sympy.Symbol(new, integer=True)
    if not mapping:
        return adjoint

    def swap(e):
        return sympy.sympify(e).xreplace(mapping)

    terms = tuple(
        SumTerm(
            t.target,
            tuple(swap(e) for e in t.target_index),
            t.source,
            tuple(swap(e) for e in t.source_index),
            swap(t.coefficient),
            tuple((swap(v), swap(lo), swap(hi)) for v, lo, hi in t.free),
            tuple((swap(v), swap(lo), swap(hi)) for v, lo, hi in t.sums),
            tuple(swap(c) for c in t.conditions),
        )
        for t in adjoint.terms
    )
    steps = tuple(Step(s.description, _swap_math(s.math, swap)) for s in adjoint.steps)
    return AffineSum(terms, adjoint.target_shape, adjoint.source_shape, steps)


def _swap_math(math: object, swap) -> object:
    if isinstance(math, tuple):
        return tuple(_swap_math(m, swap) for m in math)
    if isinstance(math, sympy.Basic):
        return swap(math)
    return math


def _has_complex(program: Program) -> bool:
    for step in program.steps:
        if step.fourier is not None:
            return True
        c = step.coefficient
        if isinstance(c, np.ndarray):
            if np.iscomplexobj(c) and np.any(c.imag):
                return True
        elif isinstance(c, complex) and c.imag:
            return True
    return False


def _cast(program: Program, dtype: np.dtype) -> Program:
    return Program([s.astype(dtype) for s in program.steps], program.input_shape, program.output_shape)


def make_operator(
    formula: Any,
    *,
    sizes: Mapping[str, int] | None = None,
    arrays: Mapping[str, Any] | None = None,
    input_shape: int | Sequence[int] | None = None,
    output_shape: int | Sequence[int] | None = None,
    dtype: Any = None,
) -> FormulaOperator:
    """The body of :func:`linop.from_formula` (see there)."""
    size_values = _check_sizes(sizes)
    array_values = _check_arrays(arrays)
    in_shape = _checked_shape(input_shape, "input_shape")
    out_shape = _checked_shape(output_shape, "output_shape")
    if dtype is not None and np.dtype(dtype) not in [np.dtype(d) for d in _DTYPES]:
        raise ValueError(f"dtype must be float32, float64, complex64 or complex128; got {np.dtype(dtype)}")
    parsed = None
    if isinstance(formula, str):
        parsed = build_formula(
            formula, sizes=size_values, arrays=array_values, input_shape=in_shape, output_shape=out_shape
        )
        symbolic, numeric, values = parsed.symbolic, parsed.numeric, parsed.sizes
    elif isinstance(formula, AffineSum):
        symbolic = formula
        names = {str(s): s for s in formula.parameters}
        unknown = sorted(set(size_values) - set(names))
        missing = sorted(set(names) - set(size_values))
        if unknown or missing:
            raise ValueError(f"sizes must give exactly the formula's sizes {sorted(names)}; got {sorted(size_values)}")
        values = {names[k]: v for k, v in size_values.items()}
        numeric = formula.subs(values) if values else formula
        for given, actual, name in (
            (in_shape, numeric.source_shape, "input_shape"),
            (out_shape, numeric.target_shape, "output_shape"),
        ):
            if given is not None and tuple(int(n) for n in actual) != given:
                raise ValueError(f"{name} {given} differs from the formula's {tuple(int(n) for n in actual)}")
    else:
        raise TypeError(f"formula must be a string or a linop.symbolic.AffineSum; got {type(formula).__name__}")
    if parsed is not None:  # the builder compiled every term already
        forward = Program(
            [s for t in parsed.programs for s in t.steps],
            tuple(int(n) for n in numeric.source_shape),
            tuple(int(n) for n in numeric.target_shape),
        )
    else:
        forward = _compile(numeric, array_values)
    adjoint_symbolic = adjoint_numeric = adjoint = None
    try:
        adjoint_symbolic = _readable(derive_adjoint(symbolic), symbolic)
        adjoint_numeric = adjoint_symbolic.subs(values) if values else adjoint_symbolic
        adjoint = _compile(adjoint_numeric, array_values)
    except (ArithmeticError, ValueError, TypeError, CompileError):
        adjoint_symbolic = None
    if adjoint is None:  # sizes the symbolic derivation cannot reason about: derive the numbers
        try:
            adjoint_numeric = _readable(derive_adjoint(numeric), numeric)
            adjoint_symbolic = adjoint_numeric
            adjoint = _compile(adjoint_numeric, array_values)
        except (ArithmeticError, ValueError, TypeError, CompileError) as exc:
            if parsed is None:
                raise
            node = parsed.rhs_node
            assert node is not None, "a formula read from text has its right-hand side"
            raise FormulaError(
                f"cannot derive or compile the adjoint of this formula ({exc})", parsed.text, node.start, node.end
            ) from None
    complex_coefficients = _has_complex(forward) or _has_complex(adjoint)
    if dtype is None:
        chosen = np.dtype(np.complex128 if complex_coefficients else np.float64)
    else:
        chosen = np.dtype(dtype)
        if complex_coefficients and not np.issubdtype(chosen, np.complexfloating):
            raise ValueError(f"dtype {chosen} is real but the formula has complex coefficients; use complex64/128")
    spec = {
        "formula": formula,
        "sizes": size_values,
        "arrays": array_values,
        "input_shape": in_shape,
        "output_shape": out_shape,
        "dtype": None if dtype is None else chosen.name,
    }
    formulas = {
        "forward": symbolic,
        "adjoint": adjoint_symbolic,
        "forward_numeric": numeric,
        "adjoint_numeric": adjoint_numeric,
    }
    return FormulaOperator(_cast(forward, chosen), _cast(adjoint, chosen), chosen, formulas, spec)
