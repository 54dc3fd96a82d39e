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
from typing import Any

import array_api_compat

__all__ = ["apply_adjoint", "apply_forward", "inner", "namespace", "norm", "settle", "to_scalar"]

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
