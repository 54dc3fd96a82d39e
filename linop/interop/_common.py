"""What every framework adapter shares: the optional import, dtypes, and the callback operator.

A framework computes in one dtype; linop's operators accept any numeric input. The
:class:`CallbackOperator` casts its batches to the operator's dtype before handing them to
the framework and, when a real operator receives complex input, applies it to the real
and imaginary parts separately (``A (u + i v) = A u + i A v`` for a real matrix ``A``), so
no imaginary part is ever dropped.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from types import ModuleType

import numpy as np

from ..arguments import as_shape
from ..operators.base import ShapedOperator

__all__ = ["INEXACT_DTYPES", "CallbackOperator", "check_dtype", "check_operator", "require", "returned_dtype"]

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


def check_operator(op: object, name: str = "op") -> ShapedOperator:
    """``op`` itself when it is a linop :class:`~linop.operators.base.ShapedOperator`.

    Raises
    ------
    TypeError
        ``op`` is anything else (a scipy ``LinearOperator`` has no input and output shapes).
    """
    if not isinstance(op, ShapedOperator):
        raise TypeError(f"{name} must be a linop ShapedOperator (with input_shape and output_shape); "
                        f"got {type(op).__module__}.{type(op).__name__}")
    return op


def returned_dtype(array_dtype: object, computed_dtype: object) -> np.dtype:
    """The dtype a foreign array's result comes back in: the array's, complex of its precision for a complex result.

    Integer and boolean arrays get ``computed_dtype``, the dtype the operator computed in.
    """
    dt, computed = np.dtype(array_dtype), np.dtype(computed_dtype)
    if not np.issubdtype(dt, np.inexact):
        return computed
    if computed.kind == "c" and dt.kind == "f":
        return np.result_type(dt, np.complex64)
    return dt


class CallbackOperator(ShapedOperator):
    """A shaped operator whose two maps are computed elsewhere, on batches of the operator's dtype.

    The base of the framework adapters. Subclasses implement ``_run_forward(x)`` and
    ``_run_adjoint(y)`` on NumPy arrays of shape ``(B, *input_shape)`` and
    ``(B, *output_shape)`` whose dtype is exactly the operator's, and return NumPy arrays
    of the other shape; a wrong shape raises ``ValueError`` naming the map. A real
    operator applied to complex input runs on both parts:
    ``A (u + i v) = A u + i A v``.

    Parameters
    ----------
    input_shape, output_shape : int or tuple of int
        The shapes of the arrays the operator maps from and to.
    dtype : numpy dtype
        The operator's dtype: float32, float64, complex64 or complex128.

    Raises
    ------
    TypeError, ValueError
        A shape that is not positive ints, or another ``dtype`` (the message names which).

    Examples
    --------
    >>> from linop.interop import CallbackOperator
    >>> class Doubling(CallbackOperator):
    ...     def _run_forward(self, x):
    ...         return 2 * x
    ...
    ...     def _run_adjoint(self, y):
    ...         return 2 * y
    >>> A = Doubling((3,), (3,), np.dtype("float64"))
    >>> A.apply(np.array([1.0, 2.0j, 3.0]))  # a real operator on complex input: both parts
    array([2.+0.j, 0.+4.j, 6.+0.j])
    """

    def __init__(self, input_shape: Sequence[int], output_shape: Sequence[int], dtype: np.dtype):
        super().__init__(as_shape(input_shape, "input_shape"), as_shape(output_shape, "output_shape"),
                         check_dtype(dtype))
        self._real = not np.issubdtype(self.dtype, np.complexfloating)

    def _run_forward(self, x: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _run_adjoint(self, y: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _through(self, run, a: np.ndarray, shape: tuple[int, ...], what: str) -> np.ndarray:
        if self._real and np.iscomplexobj(a):
            return self._through(run, a.real, shape, what) + 1j * self._through(run, a.imag, shape, what)
        out = np.asarray(run(np.ascontiguousarray(a, dtype=self.dtype)))
        expected = (a.shape[0],) + shape
        if out.shape != expected:
            raise ValueError(f"{what} returned shape {out.shape} for a batch of {a.shape[0]}; expected {expected}")
        return out

    def _forward(self, x: np.ndarray) -> np.ndarray:
        return self._through(self._run_forward, x, self.output_shape, "the forward map")

    def _backward(self, y: np.ndarray) -> np.ndarray:
        return self._through(self._run_adjoint, y, self.input_shape, "the adjoint (vector-Jacobian product)")
