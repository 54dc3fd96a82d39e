"""What runs inside one task: assemble a haloed block, apply linop's operator to it, split the adjoint.

Everything here is NumPy on in-memory blocks (no dask import): the tasks of
:mod:`linop.dask.graph` call these functions on the workers. A block operator is
rebuilt on the worker from a small picklable description (a ``*Blocks`` object holding the
kernel and the keywords), so the graph ships parameters, never operators.

Blocks are laid out as the operator's arrays: leading batch axes, then the spatial axes
(from ``first_axis`` on), then the operator's trailing axes (channels), if any.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from ..geometry import block_bounds
from ..operators import Convolution, KernelConvolution, Pad, ShapedOperator, Subsample
from .plan import AxisRead

__all__ = [
    "ChannelPlan",
    "ConvolutionBlocks",
    "KernelConvolutionBlocks",
    "PadBlocks",
    "SubsampleBlocks",
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
    each stretch is reversed or repeated as its :class:`~linop.dask.plan.Stretch` says and
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


# -- block operators ---------------------------------------------------------------------
@dataclass(frozen=True)
class ChannelPlan:
    """How a channel axis is cut: the operand's chunks, the result's, and which block operator links them.

    ``links[i] = (operand chunk, result chunk, builder)``: the operand's channel chunk goes
    through ``builder``'s operator into the result's channel chunk; links into the same
    result chunk are summed (a reduction over channel chunks).
    """

    operand_chunks: tuple[int, ...]
    result_chunks: tuple[int, ...]
    links: tuple[tuple[int, int, object], ...]


def _spans(bounds: Sequence[int]) -> list[tuple[int, int]]:
    return list(zip(bounds, bounds[1:]))


def aligned_bounds(bounds: Sequence[int], unit: int) -> tuple[int, ...]:
    """Chunk boundaries moved down to multiples of ``unit`` (whole groups of channels), duplicates dropped."""
    return tuple(sorted({(b // unit) * unit for b in bounds} | {bounds[-1]}))


@dataclass(frozen=True)
class ConvolutionBlocks:
    """Builds the :class:`~linop.Convolution` of one block: same kernel and keywords, the
    block's shape, ``constant`` padding by the block's zeros (the boundary mode has already
    been applied by the gather)."""

    kernel: np.ndarray = field(repr=False)
    stride: tuple[int, ...]
    dilation: tuple[int, ...]
    groups: int
    flip: bool
    method: str
    channels: tuple[int, ...]  # (c_in,) or ()

    def build(self, spatial: tuple[int, ...], zeros: tuple[tuple[int, int], ...]) -> ShapedOperator:
        return Convolution(self.kernel, spatial + self.channels, stride=self.stride, padding=zeros,
                           dilation=self.dilation, groups=self.groups, boundary="constant",
                           flip=self.flip, method=self.method)

    def _part(self, in_channels: int, out_lo: int, out_hi: int, in_lo: int = 0, in_hi: int | None = None,
              groups: int = 1) -> "ConvolutionBlocks":
        kernel = self.kernel[..., in_lo:in_hi, out_lo:out_hi]
        return replace(self, kernel=kernel, groups=groups, channels=(in_channels,))

    def forward_plan(self, chunks: Sequence[int]) -> ChannelPlan:
        """Channel chunks of the input: a dense convolution sums one partial convolution per
        input chunk (``kernel[..., c_lo:c_hi, :]``) into one output chunk; a grouped one runs
        each chunk of whole groups on its own (chunks are moved to group boundaries)."""
        c_in, c_out = self.channels[0], self.kernel.shape[-1]
        if self.groups == 1:
            bounds = block_bounds(chunks)
            links = tuple((i, 0, self._part(b - a, 0, c_out, a, b)) for i, (a, b) in enumerate(_spans(bounds)))
            return ChannelPlan(tuple(chunks), (c_out,), links)
        per_in, per_out = c_in // self.groups, c_out // self.groups
        bounds = aligned_bounds(block_bounds(chunks), per_in)
        links, out = [], []
        for i, (a, b) in enumerate(_spans(bounds)):
            g0, g1 = a // per_in, b // per_in
            links.append((i, i, self._part(b - a, g0 * per_out, g1 * per_out, groups=g1 - g0)))
            out.append((g1 - g0) * per_out)
        return ChannelPlan(tuple(b - a for a, b in _spans(bounds)), tuple(out), tuple(links))

    def adjoint_plan(self, chunks: Sequence[int]) -> ChannelPlan:
        """Channel chunks of the output: a dense convolution adds every output chunk's
        adjoint (``kernel[..., :, o_lo:o_hi]``) into one input chunk; a grouped one maps each
        chunk of whole groups back to its groups' input channels."""
        c_in = self.channels[0]
        if self.groups == 1:
            bounds = block_bounds(chunks)
            links = tuple((d, 0, self._part(c_in, a, b)) for d, (a, b) in enumerate(_spans(bounds)))
            return ChannelPlan(tuple(chunks), (c_in,), links)
        per_in, per_out = c_in // self.groups, self.kernel.shape[-1] // self.groups
        bounds = aligned_bounds(block_bounds(chunks), per_out)
        links, out = [], []
        for d, (a, b) in enumerate(_spans(bounds)):
            groups = (b - a) // per_out
            links.append((d, d, self._part(groups * per_in, a, b, groups=groups)))
            out.append(groups * per_in)
        return ChannelPlan(tuple(b - a for a, b in _spans(bounds)), tuple(out), tuple(links))


@dataclass(frozen=True)
class PadBlocks:
    """Builds the :class:`~linop.Pad` of one block: zero padding by the block's zeros (or nothing)."""

    dtype: np.dtype

    def build(self, spatial: tuple[int, ...], zeros: tuple[tuple[int, int], ...]) -> ShapedOperator:
        return Pad(spatial, zeros, "constant", dtype=self.dtype)


@dataclass(frozen=True)
class SubsampleBlocks:
    """Builds the :class:`~linop.Subsample` of one block (offset 0: the block starts on a kept sample)."""

    stride: tuple[int, ...]
    dtype: np.dtype

    def build(self, spatial: tuple[int, ...], zeros: tuple[tuple[int, int], ...]) -> ShapedOperator:
        return Subsample(spatial, self.stride, dtype=self.dtype)


@dataclass(frozen=True)
class KernelConvolutionBlocks:
    """Builds the :class:`~linop.KernelConvolution` of one block of the fixed image."""

    kernel_shape: tuple[int, ...]
    stride: tuple[int, ...]
    dilation: tuple[int, ...]
    groups: int
    flip: bool
    method: str

    def build(self, image: np.ndarray, zeros: tuple[tuple[int, int], ...]) -> ShapedOperator:
        return KernelConvolution(image, self.kernel_shape, stride=self.stride, padding=zeros,
                                 dilation=self.dilation, groups=self.groups, boundary="constant",
                                 flip=self.flip, method=self.method)


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


def kernel_forward_block(blocks: KernelConvolutionBlocks, nested: Nested, reads: Sequence[AxisRead],
                         w: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """One output block of ``w -> x * w``: gather the haloed image block, convolve it with ``w``."""
    op = blocks.build(assemble(nested, reads, 0), _zeros_of(reads))
    return op.apply(w).astype(dtype, copy=False)


def kernel_adjoint_block(blocks: KernelConvolutionBlocks, nested: Nested, reads: Sequence[AxisRead],
                         y: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """One block's share of the kernel gradient: the haloed image block against the block of ``y``."""
    op = blocks.build(assemble(nested, reads, 0), _zeros_of(reads))
    return op.apply_adjoint(y).astype(dtype, copy=False)
