"""The few vector operations the Krylov solvers need, written once against the array API.

The solvers never name a framework: the namespace comes from
:func:`array_api_compat.array_namespace` of the right-hand side, inner products and norms
are reductions in that namespace whose (0-d) results become Python scalars — the only
values that reach the caller's process — and :func:`settle` asks a lazy array (one with a
``persist`` method, such as a Dask array) to materialise where it lives, so each
iteration starts from stored vectors instead of a graph that grows with the iterations.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import array_api_compat
import numpy as np

__all__ = ["Problem", "apply_adjoint", "apply_forward", "inner", "namespace", "norm", "prepare", "settle", "to_scalar"]

Array = Any


def namespace(*arrays: Array):
    """The array-API namespace of ``arrays`` (NumPy, Dask, CuPy, torch, ...).

    Raises
    ------
    TypeError
        If the arrays are not array-API compatible or mix namespaces.
    """
    try:
        return array_api_compat.array_namespace(*arrays)
    except TypeError as err:
        raise TypeError(f"the solver's vectors must be arrays of one array-API library: {err}") from None


def to_scalar(value: Array) -> float | complex:
    """A 0-d array as a Python number (for a lazy array, this computes just the scalar)."""
    if hasattr(value, "compute"):  # lazy 0-d arrays: only the scalar is computed and sent
        value = value.compute()
    number = complex(value) if "complex" in str(getattr(value, "dtype", "")) else float(value)
    return number


def inner(xp, a: Array, b: Array) -> float | complex:
    """``<a, b> = sum(conj(a) * b)`` over every entry, as a Python number."""
    return to_scalar(xp.sum(xp.conj(a) * b) if xp.isdtype(a.dtype, "complex floating") else xp.sum(a * b))


def norm(xp, a: Array) -> float:
    """``||a||_2`` over every entry, as a Python float."""
    value = inner(xp, a, a)
    return math.sqrt(abs(value.real if isinstance(value, complex) else value))


def settle(a: Array) -> Array:
    """``a`` materialised where it lives (``a.persist()`` for lazy arrays; others unchanged)."""
    persist = getattr(a, "persist", None)
    return persist() if callable(persist) else a


def apply_forward(op, x: Array) -> Array:
    """``A x``: ``op.apply`` when ``op`` knows the shape of ``x`` (linop's shaped operators), else ``op.matvec``."""
    if getattr(op, "input_shape", None) is not None and hasattr(op, "apply"):
        return op.apply(x)
    return op.matvec(x)


def apply_adjoint(op, y: Array) -> Array:
    """``A^H y``: ``op.apply_adjoint`` for shaped operators, else ``op.rmatvec``."""
    if getattr(op, "output_shape", None) is not None and hasattr(op, "apply_adjoint"):
        return op.apply_adjoint(y)
    return op.rmatvec(y)


def _is_shaped(op) -> bool:
    """Whether ``op`` maps arrays of its own shapes (linop's operators): ``apply`` / ``apply_adjoint``."""
    return (
        getattr(op, "input_shape", None) is not None
        and getattr(op, "output_shape", None) is not None
        and hasattr(op, "apply")
        and hasattr(op, "apply_adjoint")
    )


def as_operator(A: object, name: str):
    """``A`` if it has ``matvec`` and ``rmatvec`` (or is shaped), else scipy's ``aslinearoperator(A)``
    (a NumPy array or a sparse matrix).

    Raises
    ------
    TypeError
        ``A`` is none of these, naming ``name``.
    """
    if _is_shaped(A) or (hasattr(A, "matvec") and hasattr(A, "rmatvec") and hasattr(A, "shape")):
        return A
    from scipy.sparse.linalg import aslinearoperator

    try:
        return aslinearoperator(A)
    except TypeError:
        raise TypeError(
            f"{name} must be a linear operator (a linop ShapedOperator, anything with matvec and rmatvec, "
            f"or an array scipy's aslinearoperator takes); got {type(A).__name__}"
        ) from None


def _working_dtype(op, b: Array):
    """The dtype the iterates have: ``b``'s and the operator's result type, float64 for integers.

    NumPy and Dask arrays carry NumPy dtypes, which combine with the operator's; other
    libraries keep ``b``'s floating dtype (integers become their float64).
    """
    if isinstance(b.dtype, np.dtype):
        op_dtype = getattr(op, "dtype", None)
        dtype = np.result_type(b.dtype, op_dtype) if op_dtype is not None else b.dtype
        return dtype if np.issubdtype(dtype, np.inexact) else np.dtype(np.float64)
    xp = namespace(b)
    return b.dtype if xp.isdtype(b.dtype, ("real floating", "complex floating")) else xp.float64


@dataclass
class Problem:
    """A right-hand side and a start checked against an operator, in the layout the solver works in.

    Attributes
    ----------
    xp : module
        The array namespace (that of ``b``).
    b : array
        The right-hand side in the working layout (the operator's output shape, or flat)
        and the working dtype.
    x0 : array or None
        The start in the working layout and dtype (a copy: the caller's array is never used).
    dtype : dtype
        The iterates' dtype: the result type of ``b`` and the operator, floating.
    result : callable
        Maps a working iterate to the layout the caller gets: the operator's input shape
        for a ``b`` of its output shape, ``(N,)`` or ``(N, 1)`` for a flat ``b``.
    """

    xp: Any
    b: Array
    x0: Array | None
    dtype: Any
    result: Callable[[Array], Array]


def prepare(op, b: Array, x0: Array | None, *, square: bool = False) -> Problem:
    """``b`` and ``x0`` checked against ``op`` and put in the working layout and dtype.

    ``b`` may have the operator's output shape (then the solution has its input shape) or
    be flat, ``(M,)`` or ``(M, 1)`` (then the solution is ``(N,)`` or ``(N, 1)``); a ``b``
    of the output shape counts as shaped when the two coincide. ``x0`` may have the input
    shape, ``(N,)`` or ``(N, 1)``. Integers become float64; nothing the caller passed is
    modified or returned.

    Raises
    ------
    TypeError
        ``b`` or ``x0`` is not an array of an array-API library.
    ValueError
        ``b`` or ``x0`` has another shape (naming the shapes allowed), or, with ``square``,
        the operator does not map a space to itself.
    """
    xp = namespace(b)
    rows, cols = op.shape
    shaped = _is_shaped(op)
    in_shape = tuple(op.input_shape) if shaped else (cols,)
    out_shape = tuple(op.output_shape) if shaped else (rows,)
    if square and (rows != cols or in_shape != out_shape):
        raise ValueError(
            f"M must map arrays to arrays of the same shape (a Hermitian operator); got {in_shape} -> {out_shape}"
        )
    dtype = _working_dtype(op, b)
    b_shape = tuple(b.shape)
    if b_shape == out_shape:
        result_shape = in_shape
    elif b_shape in ((rows,), (rows, 1)):
        result_shape = (cols,) + b_shape[1:]
    else:
        also = f" or {out_shape}" if out_shape != (rows,) else ""
        raise ValueError(f"b must have shape ({rows},), ({rows}, 1){also}; got {b_shape}")
    b = xp.astype(xp.reshape(b, out_shape), dtype) if b_shape != out_shape else xp.astype(b, dtype)
    if x0 is not None:
        x0 = xp.asarray(x0)
        if tuple(x0.shape) not in (in_shape, (cols,), (cols, 1)):
            also = f" or {in_shape}" if in_shape != (cols,) else ""
            raise ValueError(f"x0 must have shape ({cols},), ({cols}, 1){also}; got {tuple(x0.shape)}")
        x0 = xp.astype(xp.reshape(x0, in_shape), dtype, copy=True)

    def result(x: Array) -> Array:
        return x if tuple(x.shape) == result_shape else xp.reshape(x, result_shape)

    return Problem(xp, b, x0, dtype, result)
