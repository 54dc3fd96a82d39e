"""SigPy operators in linop: a ``sigpy.linop.Linop`` with its ``H``, ``ishape`` and ``oshape``.

A SigPy ``Linop`` maps arrays of shape ``ishape`` to arrays of shape ``oshape``; its
adjoint ``op.H`` is a ``Linop`` written by hand for most operators (NUFFT, interpolation,
wavelets, convolutions, resizing, ...). :class:`SigpyOperator` wraps the pair as a shaped
linop operator,

.. math::

    A x = \\mathrm{op}(x), \\qquad A^H y = \\mathrm{op.H}(y),

so that :func:`linop.verify` checks ``op.H``. SigPy is imported when these are called,
never by ``import linop``; its arrays are NumPy arrays on the CPU (a CuPy result is
brought back with ``.get()``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..arguments import as_shape
from .callback import CallbackOperator
from .frameworks import check_dtype, require

__all__ = ["SigpyOperator", "from_sigpy"]


def _to_numpy(a: Any) -> np.ndarray:
    return np.asarray(a.get() if hasattr(a, "get") and not isinstance(a, np.ndarray) else a)


class SigpyOperator(CallbackOperator):
    """A ``sigpy.linop.Linop`` as a shaped linop operator: forward ``op``, adjoint ``op.H``.

    Parameters
    ----------
    op : sigpy.linop.Linop
        The operator; ``ishape`` and ``oshape`` are the input and output shapes.
    dtype : float32, float64, complex64 or complex128, optional
        The dtype to verify in. SigPy operators carry none; by default complex128 (most
        of them are complex: Fourier transforms, NUFFTs, coil sensitivities).

    Attributes
    ----------
    sigpy_operator : sigpy.linop.Linop

    Raises
    ------
    TypeError
        ``op`` is not a ``sigpy.linop.Linop``, or ``dtype`` is not float or complex.
    ValueError
        A shape that is not positive sizes (SigPy allows ``-1`` placeholders, which have
        no size to verify).

    Examples
    --------
    >>> import sigpy, linop
    >>> from linop.interop.sigpy import SigpyOperator
    >>> A = SigpyOperator(sigpy.linop.Resize((3, 3), (4, 6)))
    >>> A.input_shape, A.output_shape, A.dtype
    ((4, 6), (3, 3), dtype('complex128'))
    >>> linop.verify(A, seed=0).passed
    True
    """

    def __init__(self, op: Any, *, dtype: Any = None):
        sigpy = require("sigpy", "sigpy")
        if not isinstance(op, sigpy.linop.Linop):
            raise TypeError(f"op must be a sigpy.linop.Linop; got {type(op).__name__}")
        self.sigpy_operator = op
        ishape = as_shape(tuple(op.ishape), "the SigPy operator's ishape")
        oshape = as_shape(tuple(op.oshape), "the SigPy operator's oshape")
        self._sigpy_adjoint: Any = None
        super().__init__(ishape, oshape, check_dtype(dtype if dtype is not None else "complex128"))

    def _run_forward(self, x: np.ndarray) -> np.ndarray:
        op = self.sigpy_operator
        return np.stack([_to_numpy(op(sample)) for sample in x])

    def _run_adjoint(self, y: np.ndarray) -> np.ndarray:
        if self._sigpy_adjoint is None:
            self._sigpy_adjoint = self.sigpy_operator.H
        return np.stack([_to_numpy(self._sigpy_adjoint(sample)) for sample in y])

    def __repr__(self) -> str:
        name = type(self.sigpy_operator).__name__
        return f"<SigpyOperator {name}: {self.input_shape} -> {self.output_shape}, dtype={self.dtype}>"


def from_sigpy(op: Any, *, dtype: Any = None) -> SigpyOperator:
    """A ``sigpy.linop.Linop`` as a shaped linop operator whose adjoint is ``op.H``.

    Parameters
    ----------
    op : sigpy.linop.Linop
        The operator.
    dtype : float32, float64, complex64 or complex128, optional
        Default complex128.

    Returns
    -------
    SigpyOperator

    Raises
    ------
    TypeError, ValueError
        See :class:`SigpyOperator`.

    Examples
    --------
    >>> import sigpy
    >>> from linop.interop.sigpy import from_sigpy
    >>> from_sigpy(sigpy.linop.FFT((4, 6)), dtype="complex64").dtype
    dtype('complex64')
    """
    return SigpyOperator(op, dtype=dtype)


def adapt_sigpy_object(obj: object, *, input_shape: Any = None, dtype: Any = None) -> SigpyOperator:
    """What :func:`linop.interop.adapt` does with a SigPy object: a ``Linop``, shapes from ``ishape``/``oshape``.

    Raises
    ------
    ValueError
        ``input_shape`` differs from the operator's ``ishape``.
    TypeError
        Not a ``sigpy.linop.Linop``.
    """
    op = from_sigpy(obj, dtype=dtype)
    if input_shape is not None and as_shape(input_shape, "input_shape") != op.input_shape:
        raise ValueError(f"input_shape={input_shape!r} differs from the SigPy operator's ishape {op.input_shape}")
    return op
