"""Padding with a boundary mode, and its adjoint: folding the padded values back.

Along one axis of length ``n`` padded by ``(lo, hi)``, padded position ``p`` copies
input index ``src(p) = fold(p - lo)`` (:func:`linop.geometry.fold_index`), so

.. math::

    (\\mathrm{pad}\\,x)[p] = x[\\mathrm{src}(p)], \\qquad
    (\\mathrm{pad}^H z)[i] = \\sum_{p:\\ \\mathrm{src}(p) = i} z[p]

(``constant`` pads with zeros: those positions have no source and are dropped by the
adjoint). These are the numeric kernels of :class:`linop.Pad` and of the boundary of
every convolution; they work on batches (``first_axis``: the first padded axis).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..geometry import fold_index
from . import parallel

__all__ = ["fold_array", "pad_array"]

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


def pad_array(x: np.ndarray, pads: Pads, boundary: str, first_axis: int = 1) -> np.ndarray:
    """Pad axes ``first_axis, first_axis+1, ...`` of ``x`` by ``pads`` with ``boundary`` (a :func:`numpy.pad` name).

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
    if boundary == "constant":
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
        source = fold_index(np.arange(n + lo + hi) - lo, n, boundary) + lo
        border = np.r_[0:lo, lo + n : lo + n + hi]
        view = _axis_view(out, axis, pads, first_axis)
        view[border] = view[source[border]]
    return out


def fold_array(z: np.ndarray, pads: Pads, boundary: str, first_axis: int = 1, *, overwrite: bool = False) -> np.ndarray:
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
    if boundary == "constant":
        return parallel.copied(z[tuple(interior)])
    work = z if overwrite else z.copy()
    for offset in reversed(range(len(pads))):
        lo, hi = pads[offset]
        if not (lo or hi):
            continue
        axis = first_axis + offset
        n = work.shape[axis] - lo - hi
        source = fold_index(np.arange(n + lo + hi) - lo, n, boundary) + lo
        view = _axis_view(work, axis, pads, first_axis)
        for p in list(range(lo)) + list(range(lo + n, n + lo + hi)):
            view[source[p]] += view[p]
    return parallel.copied(work[tuple(interior)])
