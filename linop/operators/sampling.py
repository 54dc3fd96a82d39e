"""Subsampling, its adjoint (zero insertion), and the identity.

``Subsample`` keeps every ``s``-th sample from ``offset`` on, per axis:

.. math::

    y[j] = x[\\mathrm{offset} + s\\,j], \\quad 0 \\le j < \\lceil (n - \\mathrm{offset}) / s \\rceil

and its adjoint puts ``y`` back at those positions with zeros between (zero insertion).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..arguments import as_shape, per_axis
from ..geometry import AxisGeometry
from .base import ShapedOperator
from .blocking import Stencil, Unchanged, numerics_inherited

__all__ = ["Identity", "Subsample", "SubsampleBlocks"]


class Subsample(ShapedOperator):
    """Keep every ``stride``-th sample from ``offset`` on, on every axis.

    Parameters
    ----------
    input_shape : tuple of int
        Shape of the arrays to subsample.
    stride : int or one int per axis
        The step between kept samples, ``>= 1``.
    offset : int or one int per axis, default 0
        The first kept sample, ``0 <= offset < n``.
    dtype : numpy dtype, default float64
        The operator's dtype.

    Raises
    ------
    TypeError, ValueError
        If ``input_shape`` is not a shape of positive ints, ``stride`` is below 1, or
        ``offset`` is negative or not below the axis length.

    Examples
    --------
    >>> S = linop.Subsample((7,), 2, offset=1)
    >>> S.apply(np.arange(7.0))
    array([1., 3., 5.])
    >>> S.H.apply([1.0, 2.0, 3.0])                   # the adjoint inserts zeros
    array([0., 1., 0., 2., 0., 3., 0.])
    """

    def __init__(
        self,
        input_shape: int | Sequence[int],
        stride: int | Sequence[int],
        offset: int | Sequence[int] = 0,
        *,
        dtype: np.dtype | type = np.float64,
    ):
        shape = as_shape(input_shape, "input_shape")
        self.stride = per_axis(stride, len(shape), "stride", minimum=1)
        self.offset = per_axis(offset, len(shape), "offset", minimum=0)
        for n, o in zip(shape, self.offset):
            if o >= n:
                raise ValueError(f"offset must be < the axis length; got offset={offset!r} for shape {shape}")
        out = tuple(-(-(n - o) // s) for n, s, o in zip(shape, self.stride, self.offset))
        self._index = (slice(None),) + tuple(slice(o, None, s) for s, o in zip(self.stride, self.offset))
        super().__init__(shape, out, dtype)

    def _forward(self, x: np.ndarray) -> np.ndarray:
        return x[self._index].copy()

    def _backward(self, y: np.ndarray) -> np.ndarray:
        x = np.zeros((y.shape[0],) + self.input_shape, dtype=y.dtype)
        x[self._index] = y
        return x

    def block_structure(self) -> Stencil | None:
        """Blocks of a chunked array: ``y[j] = x[offset + s j]`` is a one-tap correlation with
        stride ``s`` and low "padding" ``-offset`` (``None`` for a subclass that replaces the numerics)."""
        if not numerics_inherited(self, Subsample):
            return None
        axes = tuple(AxisGeometry(n, 1, s, 1, -o, 0) for n, s, o in zip(self.input_shape, self.stride, self.offset))
        return Stencil(axes, "constant", SubsampleBlocks(self.stride, self.dtype))


@dataclass(frozen=True)
class SubsampleBlocks:
    """The block operators of a :class:`Subsample` (offset 0: a block starts on a kept sample)."""

    stride: tuple[int, ...]
    dtype: np.dtype

    def build(self, spatial: tuple[int, ...], zeros: tuple[tuple[int, int], ...]) -> Subsample:
        """The subsampling of one block of ``spatial`` samples."""
        return Subsample(spatial, self.stride, dtype=self.dtype)


class Identity(ShapedOperator):
    """The identity on arrays of ``shape``.

    Parameters
    ----------
    shape : int or tuple of int
        The shape of the arrays it maps (input and output).
    dtype : dtype, default float64
        The operator's dtype.

    Raises
    ------
    TypeError, ValueError
        If ``shape`` is not a shape of positive ints.

    Examples
    --------
    >>> I = linop.Identity((2, 3))
    >>> I.shape, I.input_shape
    ((6, 6), (2, 3))
    >>> A = linop.Convolution([1.0, -1.0], (4,))
    >>> (A.H @ A + 0.1 * linop.Identity(4)).shape     # a regularised normal operator
    (4, 4)
    """

    def __init__(self, shape: int | Sequence[int], *, dtype: np.dtype | type = np.float64):
        shape = as_shape(shape, "shape")
        super().__init__(shape, shape, dtype)

    def _forward(self, x: np.ndarray) -> np.ndarray:
        return x.copy()

    def _backward(self, y: np.ndarray) -> np.ndarray:
        return y.copy()

    def _adjoint(self) -> ShapedOperator:
        return self

    def block_structure(self) -> Unchanged | None:
        """Blocks of a chunked array: the operand itself (``None`` for a subclass that replaces the numerics)."""
        return Unchanged() if numerics_inherited(self, Identity) else None
