"""What every framework module shares: the optional import, the dtypes, and what an operator is.

This module imports no linop operator: the modules that run linop's operators on a
framework's arrays (the targets of :meth:`linop.ShapedOperator.apply` for foreign arrays)
know an operator by what it offers, so that the operators never import an extra that
imports them back.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["INEXACT_DTYPES", "check_dtype", "check_operator", "require", "returned_dtype"]

#: What a linop operator offers (a :class:`~linop.ShapedOperator` has all of it).
OPERATOR_PROTOCOL = ("input_shape", "output_shape", "dtype", "apply", "apply_adjoint", "block_structure")

#: The dtypes an adapted operator may have.
INEXACT_DTYPES: tuple[np.dtype, ...] = tuple(np.dtype(t) for t in ("float32", "float64", "complex64", "complex128"))


def require(module: str, extra: str) -> ModuleType:
    """Import an optional framework, or raise an ImportError that says how to install it.

    Raises
    ------
    ImportError
        ``module`` is not installed.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(f"{module} is not installed: pip install 'linop[{extra}]' ({exc})") from exc


def check_dtype(dtype: object, name: str = "dtype") -> np.dtype:
    """``dtype`` as one of :data:`INEXACT_DTYPES` (NumPy dtypes, their names, or the framework's own dtype objects).

    Raises
    ------
    TypeError
        ``dtype`` is not one of float32, float64, complex64, complex128.
    """
    text = str(dtype).rpartition(".")[2]  # torch.float64 -> float64; jnp.float32 -> float32
    try:
        dt = np.dtype(dtype if isinstance(dtype, (np.dtype, type)) else text)
    except TypeError:
        dt = None
    if dt is None or dt not in INEXACT_DTYPES:  # (np.dtype == None compares with float64)
        allowed = ", ".join(str(d) for d in INEXACT_DTYPES)
        raise TypeError(f"{name} must be one of {allowed}; got {dtype!r}")
    return dt


def check_operator(op: object, name: str = "op") -> Any:
    """``op`` itself when it is a linop :class:`~linop.ShapedOperator` (told by what it offers).

    Raises
    ------
    TypeError
        ``op`` is anything else (a scipy ``LinearOperator`` has no input and output shapes).
    """
    if isinstance(op, type) or not all(hasattr(op, attribute) for attribute in OPERATOR_PROTOCOL):
        raise TypeError(
            f"{name} must be a linop ShapedOperator (with input_shape and output_shape); "
            f"got {type(op).__module__}.{type(op).__name__}"
        )
    return op


def returned_dtype(array_dtype: npt.DTypeLike, computed_dtype: npt.DTypeLike) -> np.dtype:
    """The dtype a foreign array's result comes back in: the array's, complex of its precision for a complex result.

    Integer and boolean arrays get ``computed_dtype``, the dtype the operator computed in.
    """
    dt, computed = np.dtype(array_dtype), np.dtype(computed_dtype)
    if not np.issubdtype(dt, np.inexact):
        return computed
    if computed.kind == "c" and dt.kind == "f":
        return np.result_type(dt, np.complex64)
    return dt
