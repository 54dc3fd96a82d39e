"""Checks on what the Dask entry points receive, before any graph is built: operands, chunks, schedulers."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import dask.array as da
import numpy as np
from dask.array.core import normalize_chunks

from ..arguments import check_operand as check_shape_and_dtype
from ..arguments import is_integer

__all__ = [
    "check_batch_chunks",
    "check_chunks",
    "check_dask_array",
    "check_operand",
    "check_operator",
    "check_scheduler",
]

#: Scheduler names ``compute(scheduler=...)`` accepts besides dask's local ones (a running ``Client``).
DISTRIBUTED_NAMES = ("distributed", "dask.distributed")


#: What this package uses of an operator: a :class:`~linop.ShapedOperator` has all of it.
OPERATOR_PROTOCOL = ("input_shape", "output_shape", "dtype", "apply", "apply_adjoint", "block_structure")


def check_operator(op: object, name: str = "op") -> Any:
    """``op`` if it is a linop operator (a :class:`~linop.ShapedOperator`, told by what it offers:
    this package never imports the operator classes).

    Raises
    ------
    TypeError
        Naming ``name`` and the type received.
    """
    if isinstance(op, type) or not all(hasattr(op, attribute) for attribute in OPERATOR_PROTOCOL):
        raise TypeError(f"{name} must be a ShapedOperator; got {type(op).__name__}")
    return op


def check_dask_array(a: object, name: str) -> da.Array:
    """``a`` if it is a numeric Dask array with known chunk sizes.

    Raises
    ------
    TypeError
        ``a`` is not a Dask array or not numeric.
    ValueError
        Unknown chunk sizes (e.g. after boolean indexing), naming the fix.
    """
    if not isinstance(a, da.Array):
        raise TypeError(f"{name} must be a dask.array.Array; got {type(a).__name__}")
    if not (np.issubdtype(a.dtype, np.number) or a.dtype == np.bool_):
        raise TypeError(f"{name} must be a numeric array; got dtype {a.dtype}")
    if any(math.isnan(s) for s in a.shape):
        raise ValueError(f"{name} has unknown chunk sizes (shape {a.shape}); call {name}.compute_chunk_sizes() first")
    return a


def check_operand(op: Any, a: da.Array, shape: tuple[int, ...], name: str) -> da.Array:
    """``a`` checked against ``op`` and cast (lazily) to the dtype ``op`` computes in.

    ``a`` must be numeric, have known chunk sizes and the shape ``(..., *shape)``
    (leading batch axes allowed). Empty chunks (left by slicing) are merged away.
    Nothing is computed.

    Raises
    ------
    TypeError
        ``op`` is not a shaped operator, ``a`` is not a Dask array or not numeric.
    ValueError
        Unknown chunk sizes or a wrong shape, naming the shape received and the one expected.
    """
    check_operator(op)
    check_dask_array(a, name)
    check_shape_and_dtype(a.shape, a.dtype, shape, name)
    if any(0 in c for c, n in zip(a.chunks, a.shape) if n):  # empty chunks (from slicing) carry no samples
        a = a.rechunk(tuple(tuple(s for s in c if s) if n else c for c, n in zip(a.chunks, a.shape)))
    dtype = op._result_dtype(a)
    return a if a.dtype == dtype else a.astype(dtype)


#: What one axis's entry of a chunks argument may be, in words (for the errors).
AXIS_FORMS = (
    "a positive chunk size, -1 (the whole axis), 'auto', "
    "or a sequence of positive chunk sizes that add up to the axis length"
)


def _axis_entry(entry: object, n: int, where: str) -> int | str | tuple[int, ...]:
    if isinstance(entry, str):
        if entry != "auto":
            raise ValueError(f"{where} must be {AXIS_FORMS}; got {entry!r}")
        return entry
    if is_integer(entry):
        if entry == -1 or entry >= 1:
            return int(entry)
        raise ValueError(f"{where} must be {AXIS_FORMS}; got {entry!r}")
    if isinstance(entry, (Sequence, np.ndarray)):
        sizes = tuple(entry)
        if not sizes or not all(is_integer(s) and s >= 1 for s in sizes):
            raise ValueError(f"{where} must be {AXIS_FORMS}; got {entry!r}")
        if sum(sizes) != n:
            raise ValueError(f"{where} must add up to the axis length {n}; got {entry!r} (sum {sum(sizes)})")
        return tuple(int(s) for s in sizes)
    raise TypeError(f"{where} must be {AXIS_FORMS}; got {type(entry).__name__} {entry!r}")


def check_chunks(chunks: object, shape: tuple[int, ...], name: str, dtype: np.dtype) -> tuple[tuple[int, ...], ...]:
    """The explicit chunks (one tuple of sizes per axis) of an array of ``shape`` that ``chunks`` describes.

    ``chunks`` may be one entry for every axis (a positive int, ``-1`` or ``"auto"``), a
    sequence with one entry per axis, or a dict ``{axis: entry}`` (axes not named are one
    chunk); an entry is a positive chunk size, ``-1`` (the whole axis), ``"auto"`` or a
    sequence of positive sizes that add up to the axis length. These are forms that
    :func:`dask.array.from_array` accepts; Dask itself lets some wrong ones through
    (a size of 0, -2, ``True``) or fails on them with errors that name no parameter.

    Raises
    ------
    TypeError, ValueError
        Naming ``name`` (and the axis), the value received and what is allowed.
    """
    ndim = len(shape)
    if is_integer(chunks) or isinstance(chunks, str):
        per_axis = [_axis_entry(chunks, n, name) for n in shape]
    elif isinstance(chunks, Mapping):
        per_axis = [-1] * ndim
        for axis, entry in chunks.items():
            if not is_integer(axis) or not 0 <= axis < ndim:
                raise ValueError(f"{name} names axis {axis!r}; the array has axes 0..{ndim - 1} (shape {shape})")
            per_axis[axis] = _axis_entry(entry, shape[axis], f"{name}[{axis}]")
    elif isinstance(chunks, (Sequence, np.ndarray)):
        if len(chunks) != ndim:
            raise ValueError(
                f"{name} must have one entry per axis of shape {shape} ({ndim}); got {len(chunks)} in {chunks!r}"
            )
        per_axis = [_axis_entry(entry, n, f"{name}[{axis}]") for axis, (entry, n) in enumerate(zip(chunks, shape))]
    else:
        raise TypeError(
            f"{name} must be an int, 'auto', a sequence with one entry per axis or a dict {{axis: entry}}; "
            f"got {type(chunks).__name__} {chunks!r}"
        )
    return normalize_chunks(tuple(per_axis), shape, dtype=dtype)


def check_batch_chunks(value: object, name: str = "batch_chunks") -> int:
    """A chunk size along batch axes: a positive int or ``-1`` (one chunk).

    Raises
    ------
    TypeError, ValueError
        Naming ``name``.
    """
    if not is_integer(value):
        raise TypeError(f"{name} must be a positive int or -1 (one chunk); got {type(value).__name__} {value!r}")
    if not (value == -1 or value >= 1):
        raise ValueError(f"{name} must be a positive int or -1 (one chunk); got {value!r}")
    return int(value)


def check_scheduler(scheduler: object, name: str = "scheduler") -> object:
    """A scheduler ``compute`` accepts: ``None`` (the current default), the name of one of
    Dask's schedulers, ``"distributed"``, a ``Client`` (anything with a ``get`` method) or a
    ``get`` function.

    Raises
    ------
    TypeError, ValueError
        Naming ``name`` and the schedulers allowed.
    """
    from dask.base import named_schedulers

    names = tuple(named_schedulers) + DISTRIBUTED_NAMES
    if scheduler is None or callable(scheduler) or callable(getattr(scheduler, "get", None)):
        return scheduler
    if isinstance(scheduler, str):
        if scheduler not in names:
            raise ValueError(
                f"{name} must be None, a Client or one of {', '.join(map(repr, names))}; got {scheduler!r}"
            )
        return scheduler
    raise TypeError(f"{name} must be None, a Client or a scheduler name; got {type(scheduler).__name__} {scheduler!r}")
