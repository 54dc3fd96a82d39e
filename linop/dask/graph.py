"""Dask graphs of blocked operators: halo gather forward, overlap-add adjoint, reductions.

An operator that is local along its spatial axes (a convolution, a pad, a subsampling)
runs on a chunked array as one task per output block. Per spatial axis the output blocks
follow the input chunks, stride-aligned
(:func:`linop.geometry.output_block_bounds`), and each block reads its
chunk plus a halo (:mod:`linop.dask.halo`):

* **forward**: the halo's samples are sliced out of the neighbouring chunks (small
  ``getitem`` tasks, the only data that moves), the block is assembled and linop's own
  operator for that block runs on it (:mod:`linop.dask.blocks`);
* **adjoint**: each block of the output's adjoint contribution is cut into the same
  stretches and every stretch is *added* into the chunk it was read from (an
  overlap-add: the transpose of the gather, where ``map_overlap`` would trim);
* **kernel adjoint** (:class:`~linop.KernelConvolution`): the blocks' kernel gradients
  are summed in a tree.

Leading (batch) axes keep their chunks. A channel axis may be chunked too: a dense
convolution sums one partial convolution per input channel chunk (a reduction over
channel chunks), a grouped one runs each chunk of whole groups on its own (chunks that
split a group are moved to group boundaries, the one rechunk the channels may need).
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Sequence

import dask.array as da
import numpy as np
from dask.base import tokenize
from dask.highlevelgraph import HighLevelGraph

from ..geometry import AxisGeometry, block_bounds, input_block_bounds, output_block_bounds
from ..operators.blocking import ChannelPlan
from . import blocks as B
from .halo import AxisRead, axis_reads

__all__ = ["blocked_adjoint", "blocked_forward", "kernel_adjoint", "kernel_forward", "single_chunk"]

#: Partial sums added per task of a reduction tree.
FAN_IN = 8


def single_chunk(x: da.Array, axes: Sequence[int]) -> da.Array:
    """``x`` with each of ``axes`` in one chunk (rechunked only when it is split)."""
    split = {a: -1 for a in axes if len(x.chunks[a]) > 1}
    return x.rechunk(split) if split else x


class _Gather:
    """Keys of the pieces a block reads: whole chunks as they are, halos as small copied slices."""

    def __init__(self, source: da.Array, n_lead: int, n_spatial: int, name: str, layer: dict):
        self.source, self.n_lead, self.n_spatial = source, n_lead, n_spatial
        self.name, self.layer = name, layer
        self.keys: dict[tuple, tuple[str, int]] = {}

    def nested(self, lead: tuple[int, ...], reads: Sequence[AxisRead], trail: tuple[int, ...] = ()) -> list:
        """Nested lists (one level per spatial axis) of the keys of the pieces; ``trail``:
        the chunk indices along the trailing (channel) axes."""
        return self._level(lead, reads, trail, 0, ())

    def _level(self, lead, reads, trail, level, chosen):
        if level == len(reads):
            return self._piece(lead, trail, chosen)
        return [self._level(lead, reads, trail, level + 1, chosen + (s,)) for s in reads[level].stretches]

    def _piece(self, lead, trail, stretches):
        chunk = (self.source.name,) + lead + tuple(s.chunk for s in stretches) + trail
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


def _block_shape(lead_chunks, lead, bounds, blk, channels) -> tuple[int, ...]:
    """Shape of one block: its lead chunk sizes, its spatial extents, its channels (if any)."""
    return (
        tuple(c[i] for c, i in zip(lead_chunks, lead))
        + tuple(bounds[a][i + 1] - bounds[a][i] for a, i in enumerate(blk))
        + (() if channels is None else (channels,))
    )


def _reduce_into(layer: dict, key: tuple, parts: list, name: str) -> None:
    """``layer[key]`` = the sum of the arrays at ``parts``, in a tree of fan-in :data:`FAN_IN`."""
    level = 0
    while len(parts) > FAN_IN:
        grouped = [parts[i : i + FAN_IN] for i in range(0, len(parts), FAN_IN)]
        parts = []
        for i, group in enumerate(grouped):
            partial = (name,) + key[1:] + (level, i)
            layer[partial] = (B.sum_arrays, *group)
            parts.append(partial)
        level += 1
    layer[key] = (B.sum_arrays, *parts)


def _channel_plan(a: da.Array, n_trail: int, plan_of) -> tuple[da.Array, ChannelPlan | None]:
    """The channel plan of ``a``'s last axis (``None`` without one), ``a`` rechunked if the plan needs it."""
    if n_trail == 0:
        return a, None
    if n_trail > 1 or plan_of is None:
        raise ValueError(f"a blocked operator has at most one channel axis; got {n_trail} trailing axes")
    plan = plan_of(a.chunks[-1])
    if plan.operand_chunks != a.chunks[-1]:  # groups are not split: chunks moved to group boundaries
        a = a.rechunk({a.ndim - 1: plan.operand_chunks})
    return a, plan


def blocked_forward(
    x: da.Array, axes: Sequence[AxisGeometry], boundary: str, blocks, *, n_lead: int, dtype: np.dtype, name: str
) -> da.Array:
    """The operator described by ``axes``, ``boundary`` and ``blocks`` applied to ``x``, block by block.

    ``x`` is laid out ``(lead..., spatial..., [channels])``. The result keeps the lead
    chunks of ``x``, has the stride-aligned output blocks of
    :func:`~linop.geometry.output_block_bounds` along the spatial axes and
    the channel chunks of ``blocks.forward_plan``; partial results of input channel chunks
    that feed the same output chunk are summed in a tree.
    """
    d = len(axes)
    x, plan = _channel_plan(x, x.ndim - n_lead - d, getattr(blocks, "forward_plan", None))
    links = plan.links if plan else ((None, None, blocks),)
    out_channels = plan.result_chunks if plan else (None,)
    in_bounds = [block_bounds(x.chunks[n_lead + a]) for a in range(d)]
    out_bounds = [output_block_bounds(ax, b) for ax, b in zip(axes, in_bounds)]
    reads = [axis_reads(ax, boundary, ib, ob) for ax, ib, ob in zip(axes, in_bounds, out_bounds)]
    token = tokenize(x.name, axes, boundary, blocks, n_lead, dtype)
    out_name, halo_name, part_name = f"{name}-{token}", f"{name}-halo-{token}", f"{name}-part-{token}"
    layer: dict = {}
    gather = _Gather(x, n_lead, d, halo_name, layer)
    lead_chunks = x.chunks[:n_lead]
    for lead in itertools.product(*(range(len(c)) for c in lead_chunks)):
        for blk in itertools.product(*(range(len(r)) for r in reads)):
            block_reads = tuple(reads[a][i] for a, i in enumerate(blk))
            for out_c, channels in enumerate(out_channels):
                trail = (out_c,) if plan else ()
                key = (out_name,) + lead + blk + trail
                if any(not r.stretches for r in block_reads):  # padding only: the block is zero
                    layer[key] = (np.zeros, _block_shape(lead_chunks, lead, out_bounds, blk, channels), dtype)
                    continue
                parts: list[tuple] = []
                for in_c, o, sub in links:
                    if plan and o != out_c:
                        continue
                    nested = gather.nested(lead, block_reads, (in_c,) if in_c is not None else ())  # None: no plan
                    part = (part_name,) + lead + blk + trail + (len(parts),)
                    layer[part] = (B.forward_block, sub, nested, block_reads, n_lead, dtype)
                    parts.append(part)
                if len(parts) == 1:
                    layer[key] = layer.pop(parts[0])
                else:
                    _reduce_into(layer, key, parts, f"{part_name}-sum")
    chunks = lead_chunks + tuple(_sizes(b) for b in out_bounds) + ((out_channels,) if plan else ())
    return _array(out_name, layer, [x], chunks, dtype)


def blocked_adjoint(
    y: da.Array,
    axes: Sequence[AxisGeometry],
    boundary: str,
    blocks,
    *,
    n_lead: int,
    dtype: np.dtype,
    name: str,
    input_bounds: Sequence[Sequence[int]] | None = None,
) -> da.Array:
    """The adjoint of :func:`blocked_forward` applied to ``y``: block adjoints, overlap-added.

    Each block of ``y`` gives its contribution over the input samples its forward read
    (the block operator's adjoint); the contribution is cut into the stretches of
    :func:`~linop.dask.halo.axis_read` and each stretch is added into its chunk. The
    result's spatial chunks are ``input_bounds`` (default:
    :func:`~linop.geometry.input_block_bounds` of ``y``'s chunks), its channel
    chunks those of ``blocks.adjoint_plan``: contributions of the output channel chunks
    that feed the same input chunk are added, like the halos.
    """
    d = len(axes)
    y, plan = _channel_plan(y, y.ndim - n_lead - d, getattr(blocks, "adjoint_plan", None))
    links = plan.links if plan else ((None, None, blocks),)
    in_channels = plan.result_chunks if plan else (None,)
    out_bounds = [block_bounds(y.chunks[n_lead + a]) for a in range(d)]
    if input_bounds is None:
        input_bounds = [input_block_bounds(ax, b) for ax, b in zip(axes, out_bounds)]
    reads = [axis_reads(ax, boundary, ib, ob) for ax, ib, ob in zip(axes, input_bounds, out_bounds)]
    token = tokenize(y.name, axes, boundary, blocks, n_lead, dtype, input_bounds)
    out_name, part_name, slab_name = f"{name}-{token}", f"{name}-part-{token}", f"{name}-slab-{token}"
    layer: dict = {}
    slabs: dict[tuple, list] = {}
    lead_chunks = y.chunks[:n_lead]
    for lead in itertools.product(*(range(len(c)) for c in lead_chunks)):
        for blk in itertools.product(*(range(len(r)) for r in reads)):
            block_reads = tuple(reads[a][i] for a, i in enumerate(blk))
            if any(not r.stretches for r in block_reads):  # read padding only: adds nothing
                continue
            for y_c, in_c, sub in links:
                source, into = ((y_c,), (in_c,)) if plan else ((), ())
                part = (part_name,) + lead + blk + source
                layer[part] = (B.adjoint_block, sub, (y.name,) + lead + blk + source, block_reads, n_lead, dtype)
                for target in itertools.product(*(sorted(set(r.chunks)) for r in block_reads)):
                    slab = (slab_name,) + lead + blk + source + target
                    layer[slab] = (operator.getitem, part, target)
                    slabs.setdefault(lead + target + into, []).append(slab)
    for lead in itertools.product(*(range(len(c)) for c in lead_chunks)):
        for target in itertools.product(*(range(len(b) - 1) for b in input_bounds)):
            for in_c, channels in enumerate(in_channels):
                trail = (in_c,) if plan else ()
                shape = _block_shape(lead_chunks, lead, input_bounds, target, channels)
                key = (out_name,) + lead + target + trail
                layer[key] = (B.sum_slabs, shape, dtype, n_lead, slabs.get(lead + target + trail, []))
    chunks = lead_chunks + tuple(_sizes(b) for b in input_bounds) + ((in_channels,) if plan else ())
    return _array(out_name, layer, [y], chunks, dtype)


def kernel_forward(
    image: da.Array,
    w: da.Array,
    axes: Sequence[AxisGeometry],
    boundary: str,
    blocks,
    kernel_shape: tuple[int, ...],
    *,
    out_bounds: Sequence[Sequence[int]],
    out_trail: tuple[int, ...],
    dtype: np.dtype,
    name: str,
) -> da.Array:
    """``w -> image * w`` (a :class:`~linop.KernelConvolution`) with output blocks ``out_bounds``.

    The kernels ``w`` (``(lead..., *kernel_shape)``) are small and go whole to every block;
    each block gathers its haloed piece of the image.
    """
    d = len(axes)
    w = w.rechunk(-1) if w.npartitions > 1 else w
    image = single_chunk(image, range(d, image.ndim))
    in_bounds = [block_bounds(image.chunks[a]) for a in range(d)]
    reads = [axis_reads(ax, boundary, ib, ob) for ax, ib, ob in zip(axes, in_bounds, out_bounds)]
    n_lead = w.ndim - len(kernel_shape)
    token = tokenize(image.name, w.name, axes, boundary, blocks, out_bounds, dtype)
    out_name, halo_name = f"{name}-{token}", f"{name}-halo-{token}"
    layer: dict = {}
    gather = _Gather(image, 0, d, halo_name, layer)
    w_key = (w.name,) + (0,) * w.ndim
    for blk in itertools.product(*(range(len(r)) for r in reads)):
        block_reads = tuple(reads[a][i] for a, i in enumerate(blk))
        key = (out_name,) + (0,) * n_lead + blk + (0,) * len(out_trail)
        if any(not r.stretches for r in block_reads):
            shape = (
                w.shape[:n_lead] + tuple(out_bounds[a][i + 1] - out_bounds[a][i] for a, i in enumerate(blk)) + out_trail
            )
            layer[key] = (np.zeros, shape, dtype)
            continue
        nested = gather.nested((), block_reads, (0,) * (image.ndim - d))
        layer[key] = (B.kernel_forward_block, blocks, nested, block_reads, w_key, dtype)
    chunks = (
        tuple((n,) for n in w.shape[:n_lead]) + tuple(_sizes(b) for b in out_bounds) + tuple((c,) for c in out_trail)
    )
    return _array(out_name, layer, [image, w], chunks, dtype)


def kernel_adjoint(
    image: da.Array,
    y: da.Array,
    axes: Sequence[AxisGeometry],
    boundary: str,
    blocks,
    kernel_shape: tuple[int, ...],
    *,
    dtype: np.dtype,
    name: str,
) -> da.Array:
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
        nested = gather.nested((), block_reads, (0,) * (image.ndim - d))
        layer[key] = (B.kernel_adjoint_block, blocks, nested, block_reads, y_key, dtype)
        parts.append(key)
    shape = y.shape[:n_lead] + tuple(kernel_shape)
    out_key = (out_name,) + (0,) * len(shape)
    if parts:
        _reduce_into(layer, out_key, parts, sum_name)
    else:
        layer[out_key] = (np.zeros, shape, dtype)
    return _array(out_name, layer, [image, y], tuple((n,) for n in shape), dtype)
