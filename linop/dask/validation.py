"""Checks on a Dask operand before any graph is built: shape, dtype, known chunks."""

from __future__ import annotations

import math
from typing import Any

import dask.array as da
import numpy as np

from ..arguments import check_operand as check_shape_and_dtype

__all__ = ["check_operand"]


def check_operand(op: Any, a: da.Array, shape: tuple[int, ...], name: str) -> da.Array:
    """``a`` checked against ``op`` and cast (lazily) to the dtype ``op`` computes in.

    ``a`` must be numeric, have known chunk sizes and the shape ``(..., *shape)``
    (leading batch axes allowed). Empty chunks (left by slicing) are merged away.
    Nothing is computed.

    Raises
    ------
    TypeError
        ``a`` is not a Dask array or not numeric.
    ValueError
        Unknown chunk sizes or a wrong shape, naming the shape received and the one expected.
    """
    if not isinstance(a, da.Array):
        raise TypeError(f"{name} must be a dask.array.Array; got {type(a).__name__}")
    if any(math.isnan(s) for s in a.shape):
        if not (np.issubdtype(a.dtype, np.number) or a.dtype == np.bool_):
            raise TypeError(f"{name} must be a numeric array; got dtype {a.dtype}")
        raise ValueError(
            f"{name} has unknown chunk sizes (shape {a.shape}); call {name}.compute_chunk_sizes() first"
        )
    check_shape_and_dtype(a.shape, a.dtype, shape, name)
    if any(0 in c for c, n in zip(a.chunks, a.shape) if n):  # empty chunks (from slicing) carry no samples
        a = a.rechunk(tuple(tuple(s for s in c if s) if n else c for c, n in zip(a.chunks, a.shape)))
    dtype = op._result_dtype(a)
    return a if a.dtype == dtype else a.astype(dtype)
