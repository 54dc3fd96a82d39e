"""Dask graphs of blocked operators: halo gather forward, overlap-add adjoint, reductions.

An operator that is local along its spatial axes (a convolution, a pad, a subsampling)
runs on a chunked array as one task per output block. Per spatial axis the output blocks
follow the input chunks, stride-aligned
(:meth:`linop.geometry.AxisGeometry.output_block_bounds`), and each block reads its
chunk plus a halo (:mod:`linop.dask.plan`):

* **forward**: the halo's samples are sliced out of the neighbouring chunks (small
  ``getitem`` tasks, the only data that moves), the block is assembled and linop's own
  operator for that block runs on it (:mod:`linop.dask.blocks`);
* **adjoint**: each block of the output's adjoint contribution is cut into the same
  stretches and every stretch is *added* into the chunk it was read from (an
  overlap-add: the transpose of the gather, where ``map_overlap`` would trim);
* **kernel adjoint** (:class:`~linop.KernelConvolution`): the blocks' kernel gradients
  are summed in a tree.

Leading (batch) axes keep their chunks; trailing (channel) axes are gathered into one
chunk, since every output channel of a convolution may read every input channel.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Sequence

import dask.array as da
import numpy as np
from dask.base import tokenize
from dask.highlevelgraph import HighLevelGraph

from ..geometry import AxisGeometry, block_bounds
from . import blocks as B
from .plan import AxisRead, axis_reads

__all__ = ["blocked_adjoint", "blocked_forward", "kernel_adjoint", "kernel_forward", "single_chunk"]

#: Partial sums added per task of a reduction tree.
FAN_IN = 8


def single_chunk(x: da.Array, axes: Sequence[int]) -> da.Array:
    """``x`` with each of ``axes`` in one chunk (rechunked only when it is split)."""
    split = {a: -1 for a in axes if len(x.chunks[a]) > 1}
    return x.rechunk(split) if split else x


class _Gather:
    """Keys of the pieces a block reads: whole chunks as they are, halos as small ``getitem`` tasks."""

    def __init__(self, source: da.Array, n_lead: int, n_spatial: int, name: str, layer: dict):
        self.source, self.n_lead, self.n_spatial = source, n_lead, n_spatial
        self.n_trail = source.ndim - n_lead - n_spatial
        self.name, self.layer, self.keys = name, layer, {}

    def nested(self, lead: tuple[int, ...], reads: Sequence[AxisRead]) -> list:
        return self._level(lead, reads, 0, ())

    def _level(self, lead, reads, level, chosen):
        if level == len(reads):
            return self._piece(lead, reads, chosen)
        return [self._level(lead, reads, level + 1, chosen + (s,)) for s in reads[level].stretches]

    def _piece(self, lead, reads, stretches):
        chunk = (self.source.name,) + lead + tuple(s.chunk for s in stretches) + (0,) * self.n_trail
        sizes = [self.source.chunks[self.n_lead + a][s.chunk] for a, s in enumerate(stretches)]
        if all(s.start == 0 and s.stop == n for s, n in zip(stretches, sizes)):
            return chunk
        index = (slice(None),) * self.n_lead + tuple(slice(s.start, s.stop) for s in stretches)
        ident = (chunk, tuple((s.start, s.stop) for s in stretches))
        key = self.keys.get(ident)
        if key is None:
            key = self.keys[ident] = (self.name, len(self.keys))
            self.layer[key] = (B.halo_piece, chunk, index)
        return key


def _array(name: str, layer: dict, dependencies: list, chunks: tuple, dtype: np.dtype) -> da.Array:
    graph = HighLevelGraph.from_collections(name, layer, dependencies=dependencies)
    return da.Array(graph, name, chunks, dtype=dtype)


def _sizes(bounds: Sequence[int]) -> tuple[int, ...]:
    return tuple(b - a for a, b in zip(bounds, bounds[1:]))


def blocked_forward(x: da.Array, axes: Sequence[AxisGeometry], boundary: str, blocks, *, n_lead: int,
                    out_trail: tuple[int, ...], dtype: np.dtype, name: str) -> da.Array:
    """The operator described by ``axes``, ``boundary`` and ``blocks`` applied to ``x``, block by block.

    ``x`` is laid out ``(lead..., spatial..., trail...)``; the result is
    ``(lead..., output spatial..., out_trail...)`` with the lead chunks of ``x``, the
    stride-aligned output blocks of :meth:`~linop.geometry.AxisGeometry.output_block_bounds`
    along the spatial axes and one chunk along ``out_trail``.
    """
    d = len(axes)
    x = single_chunk(x, range(n_lead + d, x.ndim))
    in_bounds = [block_bounds(x.chunks[n_lead + a]) for a in range(d)]
    out_bounds = [ax.output_block_bounds(b) for ax, b in zip(axes, in_bounds)]
    reads = [axis_reads(ax, boundary, ib, ob) for ax, ib, ob in zip(axes, in_bounds, out_bounds)]
    token = tokenize(x.name, axes, boundary, blocks, n_lead, out_trail, dtype)
    out_name, halo_name = f"{name}-{token}", f"{name}-halo-{token}"
    layer: dict = {}
    gather = _Gather(x, n_lead, d, halo_name, layer)
    lead_chunks = x.chunks[:n_lead]
    for lead in itertools.product(*(range(len(c)) for c in lead_chunks)):
        for blk in itertools.product(*(range(len(r)) for r in reads)):
            block_reads = tuple(reads[a][i] for a, i in enumerate(blk))
            key = (out_name,) + lead + blk + (0,) * len(out_trail)
            if any(not r.stretches for r in block_reads):  # padding only: the block is zero
                shape = tuple(c[i] for c, i in zip(lead_chunks, lead)) + tuple(
                    out_bounds[a][i + 1] - out_bounds[a][i] for a, i in enumerate(blk)) + out_trail
                layer[key] = (np.zeros, shape, dtype)
                continue
            layer[key] = (B.forward_block, blocks, gather.nested(lead, block_reads), block_reads, n_lead, dtype)
    chunks = lead_chunks + tuple(_sizes(b) for b in out_bounds) + tuple((c,) for c in out_trail)
    return _array(out_name, layer, [x], chunks, dtype)


def blocked_adjoint(y: da.Array, axes: Sequence[AxisGeometry], boundary: str, blocks, *, n_lead: int,
                    in_trail: tuple[int, ...], dtype: np.dtype, name: str,
                    input_bounds: Sequence[Sequence[int]] | None = None) -> da.Array:
    """The adjoint of :func:`blocked_forward` applied to ``y``: block adjoints, overlap-added.

    Each block of ``y`` gives its contribution over the input samples its forward read
    (the block operator's adjoint); the contribution is cut into the stretches of
    :func:`~linop.dask.plan.axis_read` and each stretch is added into its chunk. The
    result's spatial chunks are ``input_bounds`` (default:
    :meth:`~linop.geometry.AxisGeometry.input_block_bounds` of ``y``'s chunks).
    """
    d = len(axes)
    y = single_chunk(y, range(n_lead + d, y.ndim))
    out_bounds = [block_bounds(y.chunks[n_lead + a]) for a in range(d)]
    if input_bounds is None:
        input_bounds = [ax.input_block_bounds(b) for ax, b in zip(axes, out_bounds)]
    reads = [axis_reads(ax, boundary, ib, ob) for ax, ib, ob in zip(axes, input_bounds, out_bounds)]
    token = tokenize(y.name, axes, boundary, blocks, n_lead, in_trail, dtype, input_bounds)
    out_name, part_name, slab_name = f"{name}-{token}", f"{name}-part-{token}", f"{name}-slab-{token}"
    layer: dict = {}
    slabs: dict[tuple, list] = {}
    lead_chunks = y.chunks[:n_lead]
    trail_zeros = (0,) * (y.ndim - n_lead - d)
    for lead in itertools.product(*(range(len(c)) for c in lead_chunks)):
        for blk in itertools.product(*(range(len(r)) for r in reads)):
            block_reads = tuple(reads[a][i] for a, i in enumerate(blk))
            if any(not r.stretches for r in block_reads):  # read padding only: adds nothing
                continue
            part = (part_name,) + lead + blk
            layer[part] = (B.adjoint_block, blocks, (y.name,) + lead + blk + trail_zeros, block_reads, n_lead, dtype)
            for target in itertools.product(*(sorted(set(r.chunks)) for r in block_reads)):
                slab = (slab_name,) + lead + blk + target
                layer[slab] = (operator.getitem, part, target)
                slabs.setdefault(lead + target, []).append(slab)
    for lead in itertools.product(*(range(len(c)) for c in lead_chunks)):
        for target in itertools.product(*(range(len(b) - 1) for b in input_bounds)):
            shape = tuple(c[i] for c, i in zip(lead_chunks, lead)) + tuple(
                input_bounds[a][i + 1] - input_bounds[a][i] for a, i in enumerate(target)) + in_trail
            key = (out_name,) + lead + target + (0,) * len(in_trail)
            layer[key] = (B.sum_slabs, shape, dtype, n_lead, slabs.get(lead + target, []))
    chunks = lead_chunks + tuple(_sizes(b) for b in input_bounds) + tuple((c,) for c in in_trail)
    return _array(out_name, layer, [y], chunks, dtype)


def _tree_sum(layer: dict, keys: list, name: str) -> tuple:
    level = 0
    while len(keys) > 1:
        grouped = [keys[i : i + FAN_IN] for i in range(0, len(keys), FAN_IN)]
        keys = []
        for i, group in enumerate(grouped):
            key = (name, level, i)
            layer[key] = (B.sum_arrays, *group)
            keys.append(key)
        level += 1
    return keys[0]


def kernel_forward(image: da.Array, w: da.Array, axes: Sequence[AxisGeometry], boundary: str,
                   blocks: B.KernelConvolutionBlocks, *, out_bounds: Sequence[Sequence[int]],
                   out_trail: tuple[int, ...], dtype: np.dtype, name: str) -> da.Array:
    """``w -> image * w`` (a :class:`~linop.KernelConvolution`) with output blocks ``out_bounds``.

    The kernels ``w`` (``(lead..., *kernel_shape)``) are small and go whole to every block;
    each block gathers its haloed piece of the image.
    """
    d = len(axes)
    w = w.rechunk(-1) if w.npartitions > 1 else w
    image = single_chunk(image, range(d, image.ndim))
    in_bounds = [block_bounds(image.chunks[a]) for a in range(d)]
    reads = [axis_reads(ax, boundary, ib, ob) for ax, ib, ob in zip(axes, in_bounds, out_bounds)]
    n_lead = w.ndim - len(blocks.kernel_shape)
    token = tokenize(image.name, w.name, axes, boundary, blocks, out_bounds, dtype)
    out_name, halo_name = f"{name}-{token}", f"{name}-halo-{token}"
    layer: dict = {}
    gather = _Gather(image, 0, d, halo_name, layer)
    w_key = (w.name,) + (0,) * w.ndim
    for blk in itertools.product(*(range(len(r)) for r in reads)):
        block_reads = tuple(reads[a][i] for a, i in enumerate(blk))
        key = (out_name,) + (0,) * n_lead + blk + (0,) * len(out_trail)
        if any(not r.stretches for r in block_reads):
            shape = w.shape[:n_lead] + tuple(
                out_bounds[a][i + 1] - out_bounds[a][i] for a, i in enumerate(blk)) + out_trail
            layer[key] = (np.zeros, shape, dtype)
            continue
        layer[key] = (B.kernel_forward_block, blocks, gather.nested((), block_reads), block_reads, w_key, dtype)
    chunks = tuple((n,) for n in w.shape[:n_lead]) + tuple(_sizes(b) for b in out_bounds) + tuple(
        (c,) for c in out_trail)
    return _array(out_name, layer, [image, w], chunks, dtype)


def kernel_adjoint(image: da.Array, y: da.Array, axes: Sequence[AxisGeometry], boundary: str,
                   blocks: B.KernelConvolutionBlocks, *, dtype: np.dtype, name: str) -> da.Array:
    """The kernel gradient ``K_x^H y``: each block of ``y`` against its haloed image block, summed in a tree.

    The result, ``(lead..., *kernel_shape)``, is one chunk.
    """
    d = len(axes)
    n_lead = y.ndim - d - (image.ndim - d)
    y = single_chunk(y, list(range(n_lead)) + list(range(n_lead + d, y.ndim)))
    image = single_chunk(image, range(d, image.ndim))
    in_bounds = [block_bounds(image.chunks[a]) for a in range(d)]
    out_bounds = [block_bounds(y.chunks[n_lead + a]) for a in range(d)]
    reads = [axis_reads(ax, boundary, ib, ob) for ax, ib, ob in zip(axes, in_bounds, out_bounds)]
    token = tokenize(image.name, y.name, axes, boundary, blocks, dtype)
    out_name = f"{name}-{token}"
    part_name, halo_name, sum_name = f"{name}-part-{token}", f"{name}-halo-{token}", f"{name}-sum-{token}"
    layer: dict = {}
    gather = _Gather(image, 0, d, halo_name, layer)
    trail_zeros = (0,) * (y.ndim - n_lead - d)
    parts = []
    for blk in itertools.product(*(range(len(r)) for r in reads)):
        block_reads = tuple(reads[a][i] for a, i in enumerate(blk))
        if any(not r.stretches for r in block_reads):
            continue
        key = (part_name,) + blk
        y_key = (y.name,) + (0,) * n_lead + blk + trail_zeros
        layer[key] = (B.kernel_adjoint_block, blocks, gather.nested((), block_reads), block_reads, y_key, dtype)
        parts.append(key)
    shape = y.shape[:n_lead] + blocks.kernel_shape
    out_key = (out_name,) + (0,) * len(shape)
    if parts:
        layer[out_key] = (operator.getitem, _tree_sum(layer, parts, sum_name), (Ellipsis,))
    else:
        layer[out_key] = (np.zeros, shape, dtype)
    return _array(out_name, layer, [image, y], tuple((n,) for n in shape), dtype)
