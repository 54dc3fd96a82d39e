"""What runs inside one task: assemble a haloed block, apply its block operator, split the adjoint.

Everything here is NumPy on in-memory blocks (no dask import): the tasks of
:mod:`linop.dask.graph` call these functions on the workers. A block operator is made on
the worker by the operator's own block factory (``blocks.build(...)``, from
:meth:`block_structure <linop.ShapedOperator.block_structure>`), which holds the parent's
resolved record and plan: the graph ships those, and a block parses and plans nothing.

Blocks are laid out as the operator's arrays: leading batch axes, then the spatial axes
(from ``first_axis`` on), then the operator's trailing axes (channels), if any.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .halo import AxisRead

__all__ = [
    "adjoint_block",
    "assemble",
    "forward_block",
    "halo_piece",
    "kernel_adjoint_block",
    "kernel_forward_block",
    "scatter",
    "sum_arrays",
    "sum_slabs",
]

Nested = list  # nested lists (one level per spatial axis) of arrays


def assemble(nested: Nested, reads: Sequence[AxisRead], first_axis: int) -> np.ndarray:
    """Put the stretches of a block together (the forward halo gather).

    ``nested[i1][i2]...`` is the piece of stretch ``i1`` of axis 1, ``i2`` of axis 2, ...;
    each stretch is reversed or repeated as its :class:`~linop.dask.halo.Stretch` says and
    the pieces are concatenated axis by axis.
    """
    return _assemble(nested, reads, first_axis, 0)


def _assemble(nested, reads, first_axis, level):
    if level == len(reads):
        return nested
    axis = first_axis + level
    pieces = []
    for sub, stretch in zip(nested, reads[level].stretches):
        piece = _assemble(sub, reads, first_axis, level + 1)
        if stretch.how == "reverse":
            piece = np.flip(piece, axis)
        elif stretch.how == "repeat":
            piece = np.repeat(piece, stretch.length, axis=axis)
        pieces.append(piece)
    return pieces[0] if len(pieces) == 1 else np.concatenate(pieces, axis=axis)


def scatter(block: np.ndarray, reads: Sequence[AxisRead], first_axis: int) -> dict[tuple[int, ...], list]:
    """Cut a block's adjoint contribution into the stretches it was gathered from (the adjoint of :func:`assemble`).

    Returns ``{chunk index tuple: [(chunk-local slices, array), ...]}``: each array is to
    be *added* into that chunk at those slices. A reversed stretch is reversed back; a
    repeated (edge) stretch is summed onto its one sample.
    """
    out: dict[tuple[int, ...], list] = {}
    offsets = []
    for read in reads:
        starts, pos = [], 0
        for s in read.stretches:
            starts.append(pos)
            pos += s.length
        offsets.append(starts)
    for combo in np.ndindex(*(len(r.stretches) for r in reads)):
        index: list[slice] = [slice(None)] * block.ndim
        target, local = [], []
        for level, i in enumerate(combo):
            s = reads[level].stretches[i]
            index[first_axis + level] = slice(offsets[level][i], offsets[level][i] + s.length)
            target.append(s.chunk)
            local.append(slice(s.start, s.stop))
        piece = block[tuple(index)]
        if piece.size * 2 < block.size:  # a halo slab: a copy, so that it does not pin the block
            piece = piece.copy()
        for level, i in enumerate(combo):
            how, axis = reads[level].stretches[i].how, first_axis + level
            if how == "reverse":
                piece = np.flip(piece, axis)
            elif how == "repeat":
                piece = piece.sum(axis=axis, keepdims=True)
        out.setdefault(tuple(target), []).append((tuple(local), piece))
    return out


def halo_piece(chunk: np.ndarray, index: tuple) -> np.ndarray:
    """A copy of the part of a neighbouring chunk that a block reads (a view would keep the
    whole chunk in memory for as long as the halo waits for its block)."""
    return chunk[index].copy()


def sum_slabs(shape: tuple[int, ...], dtype: np.dtype, first_axis: int, slabs: list[list]) -> np.ndarray:
    """One chunk of an adjoint: zeros, plus every slab the neighbouring blocks added into it (overlap-add)."""
    out = np.zeros(shape, dtype=dtype)
    lead = (slice(None),) * first_axis
    for pieces in slabs:
        for local, piece in pieces:
            index = lead + local
            out[index] += piece
    return out


def sum_arrays(*arrays: np.ndarray) -> np.ndarray:
    """The sum of partial results (one level of a reduction tree)."""
    total = arrays[0].copy()
    for a in arrays[1:]:
        total += a
    return total


# -- tasks -------------------------------------------------------------------------------
def _zeros_of(reads: Sequence[AxisRead]) -> tuple[tuple[int, int], ...]:
    return tuple(r.zeros for r in reads)


def forward_block(blocks, nested: Nested, reads: Sequence[AxisRead], first_axis: int, dtype: np.dtype) -> np.ndarray:
    """One output block: gather the haloed input block, apply the block operator."""
    x = assemble(nested, reads, first_axis)
    spatial = tuple(x.shape[first_axis : first_axis + len(reads)])
    op = blocks.build(spatial, _zeros_of(reads))
    return op.apply(x).astype(dtype, copy=False)


def adjoint_block(blocks, y: np.ndarray, reads: Sequence[AxisRead], first_axis: int, dtype: np.dtype) -> dict:
    """One output block's adjoint contribution, cut into the input chunks it adds into."""
    spatial = tuple(r.length for r in reads)
    op = blocks.build(spatial, _zeros_of(reads))
    return scatter(op.apply_adjoint(y).astype(dtype, copy=False), reads, first_axis)


def kernel_forward_block(
    blocks, nested: Nested, reads: Sequence[AxisRead], w: np.ndarray, dtype: np.dtype
) -> np.ndarray:
    """One output block of ``w -> x * w``: gather the haloed image block, convolve it with ``w``."""
    op = blocks.build(assemble(nested, reads, 0), _zeros_of(reads))
    return op.apply(w).astype(dtype, copy=False)


def kernel_adjoint_block(
    blocks, nested: Nested, reads: Sequence[AxisRead], y: np.ndarray, dtype: np.dtype
) -> np.ndarray:
    """One block's share of the kernel gradient: the haloed image block against the block of ``y``."""
    op = blocks.build(assemble(nested, reads, 0), _zeros_of(reads))
    return op.apply_adjoint(y).astype(dtype, copy=False)
