"""Which samples each block of a blocked operator reads: the halo plan, in plain Python.

One spatial axis of a convolution-like operator (:class:`linop.geometry.AxisGeometry`)
cut into blocks. A block of outputs ``j_lo .. j_hi-1`` reads the input indices
``[s*j_lo - p_lo, s*(j_hi-1) + d*(k-1) + 1 - p_lo)``
(:func:`~linop.geometry.block_input_range`); outside ``[0, n)`` the boundary
mode folds them back (:func:`~linop.geometry.fold_pieces`), except for ``constant``, whose
zeros the block operator adds itself. An :class:`AxisRead` lists where those samples
live: stretches of input chunks, each copied, reversed (a reflection) or repeated (an
edge), in the order the block reads them.

The same plan serves both directions. Forward: gather the stretches into one block (the
halo exchange). Adjoint: cut the block's contribution into the same stretches and *add*
each one back into the chunk it came from (the overlap-add, with reversal and summation
as the adjoints of reflection and repetition).

This module imports neither dask nor numpy's heavy parts: it is pure index arithmetic.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

from ..geometry import AxisGeometry, FoldPiece, block_input_range, fold_pieces

__all__ = ["AxisRead", "Stretch", "axis_read", "axis_reads"]

#: How a stretch enters the block: as stored, reversed (reflection), or one sample repeated (edge).
HOW = ("copy", "reverse", "repeat")


@dataclass(frozen=True)
class Stretch:
    """Samples ``start .. stop-1`` of input chunk ``chunk`` (chunk-local indices), entering the
    block as ``how`` (``"copy"``, ``"reverse"`` or ``"repeat"``) over ``length`` block samples."""

    chunk: int
    start: int
    stop: int
    how: str
    length: int


@dataclass(frozen=True)
class AxisRead:
    """What one block of outputs reads along one axis.

    Attributes
    ----------
    stretches : tuple of Stretch
        In block order; their ``length`` s add up to the block's input length.
    zeros : (int, int)
        Zero samples before and after them (``constant`` boundary only): the block
        operator pads these itself, so they are never stored or sent.
    """

    stretches: tuple[Stretch, ...]
    zeros: tuple[int, int]

    @property
    def length(self) -> int:
        """Samples of the block that come from the input (the zeros excluded)."""
        return sum(s.length for s in self.stretches)

    @property
    def chunks(self) -> tuple[int, ...]:
        """The input chunks this block reads (its own and its halo's), in reading order."""
        return tuple(s.chunk for s in self.stretches)


def _split(first: int, last: int, bounds: Sequence[int], how: str, descending: bool) -> list[Stretch]:
    """Cut the input indices ``first..last`` (inclusive) at the chunk boundaries."""
    lo_chunk = bisect.bisect_right(bounds, first) - 1
    hi_chunk = bisect.bisect_right(bounds, last) - 1
    parts = []
    for c in range(lo_chunk, hi_chunk + 1):
        start, stop = max(first, bounds[c]), min(last + 1, bounds[c + 1])
        parts.append(Stretch(c, start - bounds[c], stop - bounds[c], how, stop - start))
    return parts[::-1] if descending else parts


def _stretches(piece: FoldPiece, bounds: Sequence[int]) -> list[Stretch]:
    if piece.sign == 1:  # i -> i + offset: a plain copy
        return _split(piece.first + piece.offset, piece.last + piece.offset, bounds, "copy", False)
    if piece.sign == -1:  # i -> offset - i: a mirror image, read backwards
        return _split(piece.offset - piece.last, piece.offset - piece.first, bounds, "reverse", True)
    (part,) = _split(piece.offset, piece.offset, bounds, "copy", False)  # one edge sample, repeated
    return [Stretch(part.chunk, part.start, part.stop, "repeat", piece.last - piece.first + 1)]


def axis_read(axis: AxisGeometry, boundary: str, bounds: Sequence[int], j_lo: int, j_hi: int) -> AxisRead:
    """The stretches of input chunks that outputs ``j_lo .. j_hi-1`` of ``axis`` read.

    Parameters
    ----------
    axis : AxisGeometry
        The axis's index map.
    boundary : str
        The canonical boundary mode (:func:`linop.geometry.canonical_boundary`).
    bounds : sequence of int
        Input chunk boundaries ``0 = b_0 < ... < b_C = n``.
    j_lo, j_hi : int
        The output block, ``0 <= j_lo < j_hi <= m``.

    Returns
    -------
    AxisRead
        For ``constant``, the part of ``[s*j_lo - p_lo, s*(j_hi-1) + d*(k-1) + 1 - p_lo)``
        inside ``[0, n)`` and the zeros around it (no stretches when the block reads
        padding only); for the other modes every index folded by
        :func:`~linop.geometry.fold_pieces`, without zeros.

    Examples
    --------
    >>> ax = AxisGeometry(n=10, k=3, pad_low=1, pad_high=1)
    >>> [(s.chunk, s.start, s.stop, s.how) for s in axis_read(ax, "reflect", (0, 5, 10), 0, 5).stretches]
    [(0, 1, 2, 'reverse'), (0, 0, 5, 'copy'), (1, 0, 1, 'copy')]
    """
    low, high = block_input_range(axis, j_lo, j_hi)
    n = axis.n
    if boundary == "constant":
        first, last = max(low, 0), min(high, n) - 1
        if first > last:
            return AxisRead((), (high - low, 0))
        zeros = (first - low, high - 1 - last)
        return AxisRead(tuple(_split(first, last, bounds, "copy", False)), zeros)
    stretches = [s for piece in fold_pieces(n, boundary, low, high - 1) for s in _stretches(piece, bounds)]
    return AxisRead(tuple(stretches), (0, 0))


def axis_reads(
    axis: AxisGeometry, boundary: str, input_bounds: Sequence[int], output_bounds: Sequence[int]
) -> tuple[AxisRead, ...]:
    """:func:`axis_read` for every output block ``output_bounds[i] .. output_bounds[i+1]-1``."""
    return tuple(axis_read(axis, boundary, input_bounds, lo, hi) for lo, hi in zip(output_bounds, output_bounds[1:]))
