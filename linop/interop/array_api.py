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

from ..arguments import check_flag
from .frameworks import check_operator, require, returned_dtype

__all__ = ["apply_to_array", "to_numpy"]


def to_numpy(a: Any) -> np.ndarray:
    """An array-API array's values as a NumPy array on the host (a copy for device memory).

    Host memory is shared through DLPack where the library allows it; device memory
    (CuPy on a GPU) is copied with ``array_api_compat.to_device(a, "cpu")``.

    Parameters
    ----------
    a : array-API array
        An array of a library ``array-api-compat`` knows (CuPy, PyTorch, JAX, ...).

    Returns
    -------
    numpy.ndarray
        The same values.

    Raises
    ------
    TypeError
        ``a`` is not an array of a library ``array-api-compat`` knows.

    Examples
    --------
    >>> import torch
    >>> from linop.interop.array_api import to_numpy
    >>> to_numpy(torch.arange(3.0))
    array([0., 1., 2.], dtype=float32)
    """
    compat = require("array_api_compat", "interop")
    if not compat.is_array_api_obj(a):
        raise TypeError(f"expected an array-API array; got {type(a).__module__}.{type(a).__name__}")
    try:
        return np.from_dlpack(a)
    except (BufferError, RuntimeError, TypeError, ValueError, AttributeError):
        # Device memory (CuPy on a GPU) cannot be shared with NumPy: copy it to the host.
        return np.asarray(compat.to_device(a, "cpu"))


def apply_to_array(op: Any, a: Any, *, adjoint: bool = False) -> Any:
    """``A a`` (or ``A^H a``) for an array-API array; an array of the same namespace and device comes back.

    Parameters
    ----------
    op : ShapedOperator
        The operator.
    a : array-API array
        Of shape ``(..., *op.input_shape)`` (``(..., *op.output_shape)`` when ``adjoint``).
    adjoint : bool, default False
        Apply ``A^H`` instead of ``A``.

    Returns
    -------
    array-API array
        ``A a`` or ``A^H a`` in ``a``'s namespace, dtype (complex when the operator is) and
        device.

    Raises
    ------
    TypeError
        ``a`` is not an array-API array, ``op`` is not a linop operator, or ``adjoint`` is
        not a bool.
    ValueError
        ``a`` does not end in the operator's input (``adjoint``: output) shape.

    Examples
    --------
    >>> import torch
    >>> from linop.interop.array_api import apply_to_array
    >>> A = linop.Convolution(np.array([1.0, 2.0, 1.0]), (5,))
    >>> apply_to_array(A, torch.ones(5, dtype=torch.float64))
    tensor([4., 4., 4.], dtype=torch.float64)
    """
    check_operator(op)
    adjoint = check_flag(adjoint, "adjoint")
    compat = require("array_api_compat", "interop")
    host = to_numpy(a)
    out = op.apply_adjoint(host) if adjoint else op.apply(host)
    out = np.ascontiguousarray(out, dtype=returned_dtype(host.dtype, out.dtype))
    xp = compat.array_namespace(a)
    return xp.asarray(out, device=compat.device(a))
