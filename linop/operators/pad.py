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

import numpy as np

from ..geometry import canonical_boundary, fold_index, max_pad_width, resolve_padding
from .base import ShapedOperator, as_shape

__all__ = ["Pad", "fold_array", "pad_array"]

Pads = Sequence[tuple[int, int]]


def pad_array(x: np.ndarray, pads: Pads, mode: str, first_axis: int = 1) -> np.ndarray:
    """Pad axes ``first_axis, first_axis+1, ...`` of ``x`` by ``pads`` with boundary ``mode``.

    Pads once per axis: a gather with the folded source indices (zeros for ``constant``).
    """
    for offset, (lo, hi) in enumerate(pads):
        if not (lo or hi):
            continue
        axis = first_axis + offset
        n = x.shape[axis]
        if mode == "constant":
            shape = list(x.shape)
            shape[axis] = n + lo + hi
            out = np.zeros(shape, dtype=x.dtype)
            index = [slice(None)] * x.ndim
            index[axis] = slice(lo, lo + n)
            out[tuple(index)] = x
            x = out
        else:
            x = np.take(x, fold_index(np.arange(n + lo + hi) - lo, n, mode), axis=axis)
    return x


def fold_array(z: np.ndarray, pads: Pads, mode: str, first_axis: int = 1) -> np.ndarray:
    """Adjoint of :func:`pad_array`: add every padded value back onto the sample it copies.

    Loops over the (few) padded positions of each axis, never over the interior.
    """
    for offset, (lo, hi) in enumerate(pads):
        if not (lo or hi):
            continue
        axis = first_axis + offset
        n = z.shape[axis] - lo - hi
        moved = np.moveaxis(z, axis, 0)
        out = moved[lo : lo + n].copy()
        if mode != "constant":
            src = fold_index(np.arange(n + lo + hi) - lo, n, mode)
            for p in list(range(lo)) + list(range(lo + n, n + lo + hi)):
                out[src[p]] += moved[p]
        z = np.moveaxis(out, 0, axis)
    return z


class Pad(ShapedOperator):
    """Pad an array with a boundary mode (``numpy.pad`` names).

    Parameters
    ----------
    input_shape : tuple of int
        Shape of the arrays to pad.
    pad_width : int, sequence of int, or sequence of (low, high) pairs
        One entry per axis of ``input_shape`` (an int pads every axis by that on both sides).
    mode : str
        ``"constant"`` (zeros), ``"wrap"``, ``"reflect"``, ``"symmetric"``, ``"edge"``, or
        PyTorch's ``"zeros"``, ``"circular"``, ``"replicate"``.
    dtype : numpy dtype, default float64

    Notes
    -----
    The adjoint folds: each padded value is added back onto the input sample it copied.

    Raises
    ------
    ValueError
        Unknown mode, negative or wrongly sized ``pad_width``, a pad wider than
        ``reflect`` (``n-1``) or ``symmetric`` (``n``) allows.
    """

    def __init__(
        self,
        input_shape: int | Sequence[int],
        pad_width: int | Sequence[int] | Sequence[Sequence[int]],
        mode: str = "constant",
        *,
        dtype: np.dtype | type = np.float64,
    ):
        shape = as_shape(input_shape, "input_shape")
        if isinstance(pad_width, str):
            raise TypeError(f"pad_width must be an int or a sequence; got {pad_width!r}")
        self.mode = canonical_boundary(mode)
        ones = (1,) * len(shape)
        self.pad_width = resolve_padding(pad_width, shape, ones, ones, ones)
        for axis, (n, (lo, hi)) in enumerate(zip(shape, self.pad_width)):
            limit = max_pad_width(n, self.mode)
            if limit is not None and max(lo, hi) > limit:
                raise ValueError(
                    f"mode={self.mode!r} allows a pad of at most {limit} on an axis of length {n}; "
                    f"axis {axis} has pad_width ({lo}, {hi})"
                )
        out = tuple(n + lo + hi for n, (lo, hi) in zip(shape, self.pad_width))
        super().__init__(shape, out, dtype)

    def _forward(self, x: np.ndarray) -> np.ndarray:
        return pad_array(x, self.pad_width, self.mode)

    def _backward(self, y: np.ndarray) -> np.ndarray:
        return fold_array(y, self.pad_width, self.mode)
