"""PyLops operators in and out: ``dims``/``dimsd`` are ``input_shape``/``output_shape``.

A ``pylops.LinearOperator`` maps flattened arrays of shape ``dims`` to flattened arrays of
shape ``dimsd``; :class:`PylopsOperator` wraps it as a shaped operator with

.. math::

    A x = \\mathrm{op.matmat}(x), \\qquad A^H y = \\mathrm{op.rmatmat}(y)

so its hand-written ``_rmatvec`` is what :func:`linop.verify` checks. A PyLops operator
that is only real-linear (``clinear=False``: the real FFTs, ``Real``, ``Imag``, ``Conj``)
tells :func:`linop.verify` so, and which of its spaces hold real vectors (those its
``matvec`` or ``rmatvec`` return real arrays into), so that its adjoint is checked for the
real inner product ``Re<Ax, y> = <x, A* y>``, as PyLops' own ``dottest`` does. The other way,
:func:`to_pylops` hands a linop operator to PyLops' solvers and combinators. PyLops is
imported when these are called, never by ``import linop``.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from ..arguments import as_shape
from ..operators.base import ShapedOperator
from .callback import CallbackOperator
from .frameworks import check_dtype, require

__all__ = ["PylopsOperator", "from_pylops", "to_pylops"]


class PylopsOperator(CallbackOperator):
    """A ``pylops.LinearOperator`` as a shaped linop operator (same matrix, same dtype).

    Parameters
    ----------
    op : pylops.LinearOperator
        The operator; its ``dims`` and ``dimsd`` are the input and output shapes.

    Raises
    ------
    TypeError
        ``op`` is not a ``pylops.LinearOperator`` or has a dtype other than float32,
        float64, complex64, complex128.
    ValueError
        ``dims``/``dimsd`` do not multiply to the operator's ``shape``.

    Examples
    --------
    >>> import pylops
    >>> from linop.interop.pylops import PylopsOperator
    >>> A = PylopsOperator(pylops.Restriction((6, 5), [0, 2, 3], axis=0))
    >>> A.input_shape, A.output_shape, A.apply(np.ones((6, 5))).shape
    ((6, 5), (3, 5), (3, 5))
    """

    def __init__(self, op: Any):
        pylops = require("pylops", "pylops")
        if not isinstance(op, pylops.LinearOperator):
            raise TypeError(f"op must be a pylops.LinearOperator; got {type(op).__name__}")
        self.op = op
        dims = tuple(int(d) for d in np.atleast_1d(op.dims))
        dimsd = tuple(int(d) for d in np.atleast_1d(op.dimsd))
        rows, cols = (int(s) for s in op.shape)
        if int(np.prod(dims)) != cols or int(np.prod(dimsd)) != rows:
            raise ValueError(f"the PyLops operator's dims {dims} / dimsd {dimsd} do not match its shape {op.shape}")
        super().__init__(dims, dimsd, check_dtype(op.dtype, "the PyLops operator's dtype"))
        if not getattr(op, "clinear", True) and np.issubdtype(self.dtype, np.complexfloating):
            self.inner_product_spaces = _real_linear_spaces(op, self.dtype)

    def _run_forward(self, x: np.ndarray) -> np.ndarray:
        columns = x.reshape(x.shape[0], -1).T
        return np.asarray(self.op.matmat(columns)).T.reshape((x.shape[0],) + self.output_shape)

    def _run_adjoint(self, y: np.ndarray) -> np.ndarray:
        columns = y.reshape(y.shape[0], -1).T
        return np.asarray(self.op.rmatmat(columns)).T.reshape((y.shape[0],) + self.input_shape)

    def __repr__(self) -> str:
        return (
            f"<PylopsOperator {type(self.op).__name__}: {self.input_shape} -> {self.output_shape}, dtype={self.dtype}>"
        )


def _real_linear_spaces(op: Any, dtype: np.dtype) -> dict:
    """The spaces of a real-linear PyLops operator: real where its maps return real arrays.

    A map that returns real arrays (``rmatvec`` of a real FFT, ``matvec`` of ``Real``) lands
    in a real space; read from one call of each on zeros (the dtype of a result does not
    depend on its values). A call that raises tells nothing: the space stays complex.
    """
    rows, cols = (int(s) for s in op.shape)

    def returns_real(apply: Any, size: int) -> bool:
        try:
            out = np.asarray(apply(np.zeros(size, dtype=dtype)))
        except Exception:  # the checks call it again and report the failure
            return False
        return not np.iscomplexobj(out)

    name = f"PyLops {type(op).__name__}, clinear=False"
    return {
        "scalars": "real",
        "domain": {"real": returns_real(op.rmatvec, rows), "name": name},
        "range": {"real": returns_real(op.matvec, cols), "name": name},
    }


def from_pylops(op: Any) -> PylopsOperator:
    """A ``pylops.LinearOperator`` as a shaped linop operator with its ``dims``/``dimsd``.

    Parameters
    ----------
    op : pylops.LinearOperator
        The operator; its ``rmatvec`` is the adjoint that :func:`linop.verify` checks.

    Returns
    -------
    PylopsOperator
        ``input_shape = op.dims``, ``output_shape = op.dimsd``, ``dtype = op.dtype``.

    Raises
    ------
    TypeError
        ``op`` is not a ``pylops.LinearOperator`` or its dtype is not float or complex.

    Examples
    --------
    >>> import numpy as np, pylops, linop
    >>> from linop.interop import from_pylops
    >>> A = from_pylops(pylops.FirstDerivative((6, 5), axis=0))
    >>> A.input_shape, A.output_shape
    ((6, 5), (6, 5))
    >>> linop.verify(A, seed=0).passed
    True
    """
    return PylopsOperator(op)


def adapt_pylops_object(obj: object, *, input_shape: Any = None, dtype: Any = None) -> PylopsOperator:
    """What :func:`linop.interop.adapt` does with a PyLops object (shapes and dtype come from the operator).

    Raises
    ------
    ValueError
        ``input_shape`` or ``dtype`` given and different from the operator's ``dims``/``dtype``.
    TypeError
        Not a ``pylops.LinearOperator``.
    """
    op = from_pylops(obj)
    if input_shape is not None and as_shape(input_shape, "input_shape") != op.input_shape:
        raise ValueError(f"input_shape={input_shape!r} differs from the PyLops operator's dims {op.input_shape}")
    if dtype is not None and check_dtype(dtype) != op.dtype:
        raise ValueError(f"dtype={dtype!r} differs from the PyLops operator's dtype {op.dtype}")
    return op


@functools.cache
def _linop_operator_class():
    """The ``pylops.LinearOperator`` subclass that runs a linop operator (defined once PyLops is imported)."""
    pylops = require("pylops", "pylops")

    class LinopOperator(pylops.LinearOperator):
        """A linop :class:`~linop.operators.base.ShapedOperator` as a PyLops operator."""

        def __init__(self, op: ShapedOperator):
            self.linop_operator = op
            super().__init__(
                dtype=op.dtype, dims=op.input_shape, dimsd=op.output_shape, clinear=True, explicit=False, name="L"
            )

        def _matvec(self, x):
            return self.linop_operator.apply(np.reshape(x, self.linop_operator.input_shape)).ravel()

        def _rmatvec(self, y):
            return self.linop_operator.apply_adjoint(np.reshape(y, self.linop_operator.output_shape)).ravel()

    return LinopOperator


def to_pylops(op: ShapedOperator):
    """A linop operator as a ``pylops.LinearOperator``: ``dims = input_shape``, ``dimsd = output_shape``, same dtype.

    ``_matvec`` is ``op.apply`` and ``_rmatvec`` is ``op.apply_adjoint`` on the reshaped
    vectors, so PyLops' solvers, ``dottest`` and operator algebra use linop's exact adjoint.

    Parameters
    ----------
    op : ShapedOperator
        Any shaped linop operator.

    Returns
    -------
    pylops.LinearOperator
        ``dims = op.input_shape``, ``dimsd = op.output_shape``, ``dtype = op.dtype``.

    Raises
    ------
    TypeError
        ``op`` is not a shaped linop operator.

    Examples
    --------
    >>> import numpy as np, linop
    >>> from linop.interop.pylops import to_pylops
    >>> P = to_pylops(linop.Convolution(np.ones((3, 3)), (8, 8), padding="same"))
    >>> P.dims, P.dimsd, P.shape
    ((8, 8), (8, 8), (64, 64))
    """
    if not isinstance(op, ShapedOperator):
        raise TypeError(
            f"op must be a linop ShapedOperator (with input_shape and output_shape); got {type(op).__name__}"
        )
    return _linop_operator_class()(op)
