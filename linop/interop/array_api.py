"""Array-API arrays (CuPy and others) through linop's operators, by way of ``array-api-compat``.

The array is copied to the host as a NumPy array, the operator runs there, and the
result is copied back with the array's own namespace onto the array's device:

.. math::

    \\mathrm{apply}(A, a) = \\mathrm{xp.asarray}\\big(A\\,\\mathrm{host}(a),\\ \\mathrm{device}(a)\\big)

where ``xp`` is ``array_api_compat.array_namespace(a)``. PyTorch tensors and JAX arrays
have their own modules (they keep autograd and tracing); this one serves the rest.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..operators.base import ShapedOperator
from ._common import require

__all__ = ["apply_to_array", "to_numpy"]


def to_numpy(a: Any) -> np.ndarray:
    """An array-API array's values as a NumPy array on the host (a copy for device memory).

    Raises
    ------
    TypeError
        ``a`` is not an array of a library ``array-api-compat`` knows.
    """
    compat = require("array_api_compat", "interop")
    if not compat.is_array_api_obj(a):
        raise TypeError(f"expected an array-API array; got {type(a).__module__}.{type(a).__name__}")
    try:
        return np.from_dlpack(a)
    except (BufferError, RuntimeError, TypeError, ValueError, AttributeError):
        # Device memory (CuPy on a GPU) cannot be shared with NumPy: copy it to the host.
        return np.asarray(compat.to_device(a, "cpu"))


def _result_dtype(array_dtype: np.dtype, result: np.ndarray) -> np.dtype:
    """The array's dtype, complex of the same precision for a complex result (the result's own for integers)."""
    dt = np.dtype(array_dtype)
    if not np.issubdtype(dt, np.inexact):
        return result.dtype
    if np.iscomplexobj(result) and dt.kind == "f":
        return np.result_type(dt, np.complex64)
    return dt


def apply_to_array(op: ShapedOperator, a: Any, *, adjoint: bool = False) -> Any:
    """``A a`` (or ``A^H a``) for an array-API array; an array of the same namespace and device comes back.

    Raises
    ------
    TypeError
        ``a`` is not an array-API array.
    ValueError
        ``a`` does not end in the operator's input (``adjoint``: output) shape.
    """
    compat = require("array_api_compat", "interop")
    host = to_numpy(a)
    out = op.apply_adjoint(host) if adjoint else op.apply(host)
    out = np.ascontiguousarray(out, dtype=_result_dtype(host.dtype, out))
    xp = compat.array_namespace(a)
    return xp.asarray(out, device=compat.device(a))
