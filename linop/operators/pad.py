"""Padding with a boundary mode, and its adjoint (folding the padded values back).

Along one axis of length ``n`` padded by ``(lo, hi)``, padded position ``p`` copies
input index ``src(p) = fold(p - lo)`` (:func:`linop.geometry.fold_index`), so

.. math::

    (\\mathrm{Pad}\\,x)[p] = x[\\mathrm{src}(p)], \\qquad
    (\\mathrm{Pad}^H z)[i] = \\sum_{p:\\ \\mathrm{src}(p) = i} z[p]

(``constant`` pads with zeros: those positions have no source and are dropped by the adjoint).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..backends.padding import fold_array, pad_array
from ..deprecation import moved_names, renamed_keyword, warn_deprecated
from ..geometry import AxisGeometry, pad_geometry
from .base import ShapedOperator
from .blocking import Stencil, numerics_inherited

__all__ = ["Pad", "PadBlocks"]

#: The padding kernels moved to :mod:`linop.backends.padding`.
__getattr__ = moved_names(
    __name__, {"pad_array": "linop.backends.padding:pad_array", "fold_array": "linop.backends.padding:fold_array"}
)


class Pad(ShapedOperator):
    """Pad an array with a boundary mode (``numpy.pad`` names).

    Parameters
    ----------
    input_shape : tuple of int
        Shape of the arrays to pad.
    pad_width : int, sequence of int, or sequence of (low, high) pairs
        One entry per axis of ``input_shape`` (an int pads every axis by that on both sides).
    boundary : str, default "constant"
        ``"constant"`` (zeros), ``"wrap"``, ``"reflect"``, ``"symmetric"``, ``"edge"``, or
        PyTorch's ``"zeros"``, ``"circular"``, ``"replicate"``: the word every operator uses
        (``mode`` is its deprecated name here).
    dtype : numpy dtype, default float64
        The operator's dtype.

    Notes
    -----
    The adjoint folds: each padded value is added back onto the input sample it copied.

    Raises
    ------
    ValueError
        Unknown boundary mode, negative or wrongly sized ``pad_width``, a pad wider than
        ``reflect`` (``n-1``) or ``symmetric`` (``n``) allows.

    Examples
    --------
    >>> P = linop.Pad((4,), 2, "reflect")
    >>> P.apply(np.array([1.0, 2.0, 3.0, 4.0]))
    array([3., 2., 1., 2., 3., 4., 3., 2.])
    >>> P.H.apply(np.ones(8))                        # the adjoint folds the padded values back
    array([1., 3., 3., 1.])
    """

    @renamed_keyword("mode", "boundary")
    def __init__(
        self,
        input_shape: int | Sequence[int],
        pad_width: int | Sequence[int] | Sequence[Sequence[int]],
        boundary: str = "constant",
        *,
        dtype: np.dtype | type = np.float64,
    ):
        geometry = pad_geometry(input_shape, pad_width, boundary)
        self.boundary = geometry.boundary
        self.pad_width = geometry.padding
        super().__init__(geometry.input_size, geometry.padded_size, dtype)

    @property
    def mode(self) -> str:
        """Deprecated name of ``boundary``."""
        warn_deprecated("Pad.mode", "Pad.boundary")
        return self.boundary

    def _forward(self, x: np.ndarray) -> np.ndarray:
        return pad_array(x, self.pad_width, self.boundary)

    def _backward(self, y: np.ndarray) -> np.ndarray:
        return fold_array(y, self.pad_width, self.boundary)

    def block_structure(self) -> Stencil | None:
        """Blocks of a chunked array: one tap per axis whose low padding is ``pad_width``'s
        (``None`` for a subclass that replaces the numerics)."""
        if not numerics_inherited(self, Pad):
            return None
        axes = tuple(AxisGeometry(n, 1, 1, 1, lo, hi) for n, (lo, hi) in zip(self.input_shape, self.pad_width))
        return Stencil(axes, self.boundary, PadBlocks(self.dtype))


@dataclass(frozen=True)
class PadBlocks:
    """The block operators of a :class:`Pad`: zero padding by the block's zeros (the boundary
    mode was applied when the block was assembled)."""

    dtype: np.dtype

    def build(self, spatial: tuple[int, ...], zeros: tuple[tuple[int, int], ...]) -> Pad:
        """The padding of one block of ``spatial`` samples by ``zeros`` zeros."""
        return Pad(spatial, zeros, "constant", dtype=self.dtype)
