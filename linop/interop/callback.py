"""The callback operator: a shaped operator whose two maps a framework computes.

A framework computes in one dtype; linop's operators accept any numeric input. The
:class:`CallbackOperator` casts its batches to the operator's dtype before handing them to
the framework and, when a real operator receives complex input, applies it to the real
and imaginary parts separately (``A (u + i v) = A u + i A v`` for a real matrix ``A``), so
no imaginary part is ever dropped. It is the base of the adapters of PyTorch, JAX and PyLops.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..arguments import as_shape
from ..operators.base import ShapedOperator
from .frameworks import check_dtype

__all__ = ["CallbackOperator"]


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
        super().__init__(
            as_shape(input_shape, "input_shape"), as_shape(output_shape, "output_shape"), check_dtype(dtype)
        )
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
