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

from ..backends import parallel
from ..geometry import canonical_boundary, fold_index, max_pad_width, resolve_padding
from .base import ShapedOperator, as_shape

__all__ = ["Pad", "fold_array", "pad_array"]

Pads = Sequence[tuple[int, int]]


def _axis_view(a: np.ndarray, axis: int, pads: Pads, first_axis: int) -> np.ndarray:
    """``a`` with ``axis`` moved to the front, full range on the padded axes before it and the
    interior only on the axes after it (those are padded later / were folded already)."""
    index = [slice(None)] * a.ndim
    for offset, (lo, hi) in enumerate(pads):
        ax = first_axis + offset
        if ax > axis:
            index[ax] = slice(lo, a.shape[ax] - hi)
    return np.moveaxis(a[tuple(index)], axis, 0)


def pad_array(x: np.ndarray, pads: Pads, mode: str, first_axis: int = 1) -> np.ndarray:
    """Pad axes ``first_axis, first_axis+1, ...`` of ``x`` by ``pads`` with boundary ``mode``.

    Pads once: one allocation, one copy of the interior, then the border slabs of each
    axis copied from the samples they repeat (nothing for ``constant``). Returns ``x``
    itself when there is nothing to pad.
    """
    if not any(lo or hi for lo, hi in pads):
        return x
    shape = list(x.shape)
    interior = [slice(None)] * x.ndim
    for offset, (lo, hi) in enumerate(pads):
        axis = first_axis + offset
        shape[axis] = x.shape[axis] + lo + hi
        interior[axis] = slice(lo, lo + x.shape[axis])
    out = np.empty(shape, dtype=x.dtype)
    parallel.copy(out[tuple(interior)], x)
    if mode == "constant":
        for offset, (lo, hi) in enumerate(pads):  # zero the border slabs only
            lead = (slice(None),) * (first_axis + offset)
            out[lead + (slice(0, lo),)] = 0
            out[lead + (slice(out.shape[first_axis + offset] - hi, None),)] = 0
        return out
    for offset, (lo, hi) in enumerate(pads):
        if not (lo or hi):
            continue
        axis = first_axis + offset
        n = x.shape[axis]
        source = fold_index(np.arange(n + lo + hi) - lo, n, mode) + lo
        border = np.r_[0:lo, lo + n : lo + n + hi]
        view = _axis_view(out, axis, pads, first_axis)
        view[border] = view[source[border]]
    return out


def fold_array(z: np.ndarray, pads: Pads, mode: str, first_axis: int = 1, *, overwrite: bool = False) -> np.ndarray:
    """Adjoint of :func:`pad_array`: add every padded value back onto the sample it copies.

    Folds once: the border slabs of each axis (last axis first) are added in place onto
    their sources, a loop over the few padded positions only, then the interior is copied
    out once. ``z`` is left unchanged unless ``overwrite=True`` (then its borders are used
    as scratch, saving a copy).
    """
    if not any(lo or hi for lo, hi in pads):
        return z
    interior = [slice(None)] * z.ndim
    for offset, (lo, hi) in enumerate(pads):
        axis = first_axis + offset
        interior[axis] = slice(lo, z.shape[axis] - hi)
    if mode == "constant":
        return parallel.copied(z[tuple(interior)])
    work = z if overwrite else z.copy()
    for offset in reversed(range(len(pads))):
        lo, hi = pads[offset]
        if not (lo or hi):
            continue
        axis = first_axis + offset
        n = work.shape[axis] - lo - hi
        source = fold_index(np.arange(n + lo + hi) - lo, n, mode) + lo
        view = _axis_view(work, axis, pads, first_axis)
        for p in list(range(lo)) + list(range(lo + n, n + lo + hi)):
            view[source[p]] += view[p]
    return parallel.copied(work[tuple(interior)])


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
        The operator's dtype.

    Notes
    -----
    The adjoint folds: each padded value is added back onto the input sample it copied.

    Raises
    ------
    ValueError
        Unknown mode, negative or wrongly sized ``pad_width``, a pad wider than
        ``reflect`` (``n-1``) or ``symmetric`` (``n``) allows.

    Examples
    --------
    >>> P = linop.Pad((4,), 2, "reflect")
    >>> P.apply(np.array([1.0, 2.0, 3.0, 4.0]))
    array([3., 2., 1., 2., 3., 4., 3., 2.])
    >>> P.H.apply(np.ones(8))                        # the adjoint folds the padded values back
    array([1., 3., 3., 1.])
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
