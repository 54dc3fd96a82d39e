"""Direct summation: one multiply-add over a strided slice per kernel tap and channel.

For tiny kernels, few channels per group and long signals, the defining sum itself is
the fastest: with ``G = groups``, ``c = c_in/G`` and ``o = c_out/G``,

.. math::

    y[b, j, g o + q] = \\sum_t \\sum_{r<c} w[t, r, g o + q]\\; x_p[b, s j + d t, g c + r]

is evaluated tap by tap as ``y += w[t] * x_p[tap slice]``, where the tap slice
(:meth:`linop.geometry.AxisGeometry.tap_slice`) reads exactly the kept outputs' inputs,
so a strided convolution never computes a discarded output. The adjoint adds
``w[t] * y`` into the same strided slice of the padded input (a slice-add, no scatter);
the kernel adjoint is the inner product of each tap slice with ``y``.

The output is processed in blocks of rows along the first spatial axis that fit in the
cache, so each block is read and written once per tap from cache rather than memory.
All functions take the *padded*, channels-last, batch-first input and the *unpadded*
geometry.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from ..geometry import ConvGeometry
from . import parallel

__all__ = ["correlate", "correlate_adjoint", "correlate_kernel_adjoint", "scratch_bytes"]

#: Output bytes per block (with its temporary, about the per-core L2 cache).
BLOCK_BYTES = 2**20
#: A vectorised multiply-add costs about this many BLAS multiply-adds (for the parallel threshold).
ELEMENTWISE_WEIGHT = 8
#: Multiply-adds per output below which the work stays on one thread (it is memory-bound).
MIN_PARALLEL_TAPS = 8


def scratch_bytes(geom: ConvGeometry, batch: int, dtype: np.dtype | type = np.float64) -> int:
    """Scratch memory of one call: a temporary of one output block per worker thread
    (independent of the batch and the image)."""
    return 2 * BLOCK_BYTES * max(parallel.THREADS, 1)


def _row_blocks(geom: ConvGeometry, batch: int, bytes_per_row: int) -> list[tuple[int, int]]:
    m0 = geom.axes[0].output_size
    rows = max(1, min(m0, BLOCK_BYTES // max(bytes_per_row * batch, 1)))
    return [(j, min(m0, j + rows)) for j in range(0, m0, rows)]


def _tap_index(geom: ConvGeometry, tap: tuple[int, ...], j_lo: int, j_hi: int) -> tuple[slice, ...]:
    """Padded-input slice that tap ``tap`` reads for output rows ``j_lo..j_hi-1`` (axis 0) and all
    outputs of the other axes."""
    first = geom.axes[0]
    start, last = int(first.padded_index(j_lo, tap[0])), int(first.padded_index(j_hi - 1, tap[0]))
    rows = slice(start, last + 1, first.stride)
    return (slice(None), rows) + tuple(ax.tap_slice(t) for ax, t in zip(geom.axes[1:], tap[1:]))


def _grouped(a: np.ndarray, groups: int) -> np.ndarray:
    """View ``(..., G*n)`` as ``(..., G, n)``."""
    return a.reshape(a.shape[:-1] + (groups, a.shape[-1] // groups))


def _block_groups(geom: ConvGeometry, blocks: list[tuple[int, int]], waves: int) -> list[list[tuple[int, int]]]:
    """Contiguous groups of row blocks, one per worker (and wave); a single group if the
    call is small. For ``waves=2`` every group spans at least the rows that neighbouring
    groups' input spans share, so the groups of one wave write disjoint input rows."""
    first = geom.axes[0]
    per_output = math.prod(geom.kernel_size) * geom.in_per_group * geom.out_per_group
    macs = math.prod(geom.output_size) * geom.groups * per_output
    halo = -(-first.extent // first.stride)
    if per_output < MIN_PARALLEL_TAPS:
        return [blocks]  # memory-bound: a second thread buys little and waits for a core
    parts = parallel.parts_for(len(blocks), macs * ELEMENTWISE_WEIGHT, waves=waves)
    groups = [blocks[a:b] for a, b in parallel.ranges(len(blocks), parts)]
    if waves > 1 and min(sum(hi - lo for lo, hi in g) for g in groups) < halo:
        return [blocks]
    return groups


def correlate(xp: np.ndarray, w: np.ndarray, geom: ConvGeometry) -> np.ndarray:
    """Strided, dilated, grouped cross-correlation of a padded batch.

    ``xp``: ``(B, P_1..P_d, c_in)``; ``w``: ``(k_1..k_d, c_in/G, c_out)``; returns
    ``(B, m_1..m_d, c_out)``.
    """
    dtype = np.result_type(xp, w)
    xp = xp.astype(dtype, copy=False)
    w = w.astype(dtype, copy=False)
    B = xp.shape[0]
    G, c, o = geom.groups, geom.in_per_group, geom.out_per_group
    wg = w.reshape(geom.kernel_size + (c, G, o))  # [t, r, g, q]
    y = np.empty((B,) + geom.output_size + (geom.out_channels,), dtype=dtype)
    row_items = math.prod(geom.output_size[1:]) * geom.out_channels
    taps = geom.taps()

    def work(blocks: list[tuple[int, int]]) -> None:
        for j_lo, j_hi in blocks:
            block = _grouped(y[:, j_lo:j_hi], G)  # (B, rows, m..., G, o)
            tmp = np.empty_like(block) if o == 1 else None
            first = True
            for tap in taps:
                xs = _grouped(xp[_tap_index(geom, tap, j_lo, j_hi)], G)  # (B, rows, m..., G, c)
                for r in range(c):
                    if first:
                        np.multiply(xs[..., r : r + 1], wg[tap][r], out=block)
                        first = False
                    elif tmp is not None:
                        np.multiply(xs[..., r : r + 1], wg[tap][r], out=tmp)
                        block += tmp
                    else:
                        block += xs[..., r : r + 1] * wg[tap][r]

    blocks = _row_blocks(geom, B, row_items * dtype.itemsize)
    parallel.concurrently([functools.partial(work, g) for g in _block_groups(geom, blocks, waves=1)])
    return y


def correlate_adjoint(y: np.ndarray, w: np.ndarray, geom: ConvGeometry) -> np.ndarray:
    """Transpose (no conjugation) of :func:`correlate` in its input.

    ``y``: ``(B, m_1..m_d, c_out)``; returns ``(B, P_1..P_d, c_in)`` with
    ``x_p[b, s j + d t, g c + r] += w[t, r, g o + q] y[b, j, g o + q]``.
    """
    dtype = np.result_type(y, w)
    y = y.astype(dtype, copy=False)
    w = w.astype(dtype, copy=False)
    B = y.shape[0]
    G, c, o = geom.groups, geom.in_per_group, geom.out_per_group
    wt = np.swapaxes(w.reshape(geom.kernel_size + (c, G, o)), -1, -3)  # [t, q, g, r]
    xp = np.zeros((B,) + geom.padded_size + (geom.in_channels,), dtype=dtype)
    row_items = math.prod(geom.output_size[1:]) * max(geom.in_channels, geom.out_channels)
    taps = geom.taps()

    def work(blocks: list[tuple[int, int]]) -> None:
        for j_lo, j_hi in blocks:
            yb = _grouped(y[:, j_lo:j_hi], G)  # (B, rows, m..., G, o)
            tmp = None
            for tap in taps:
                xs = _grouped(xp[_tap_index(geom, tap, j_lo, j_hi)], G)  # writeable view (B, rows, m..., G, c)
                for q in range(o):
                    if c == 1:
                        if tmp is None:
                            tmp = np.empty(xs.shape, dtype=dtype)
                        np.multiply(yb[..., q : q + 1], wt[tap][q], out=tmp)
                        xs += tmp
                    else:
                        xs += yb[..., q : q + 1] * wt[tap][q]

    blocks = _row_blocks(geom, B, row_items * dtype.itemsize)
    parallel.alternating([functools.partial(work, g) for g in _block_groups(geom, blocks, waves=2)])
    return xp


def correlate_kernel_adjoint(xp: np.ndarray, y: np.ndarray, geom: ConvGeometry) -> np.ndarray:
    """Transpose (no conjugation) of :func:`correlate` in its kernel, for a fixed input.

    Returns ``w[t, r, g o + q] = sum_{b, j} x_p[b, s j + d t, g c + r] y[b, j, g o + q]``.
    """
    dtype = np.result_type(xp, y)
    xp = xp.astype(dtype, copy=False)
    y = y.astype(dtype, copy=False)
    G, c, o = geom.groups, geom.in_per_group, geom.out_per_group
    w = np.zeros(geom.kernel_size + (c, G, o), dtype=dtype)
    m0 = geom.axes[0].output_size
    summed = "abcdefghijklmn"[: geom.ndim + 1]  # batch and output positions
    subscripts = f"{summed}GR,{summed}GQ->RGQ"
    yg = _grouped(y, G)  # (B, m..., G, o)
    for tap in geom.taps():
        xs = _grouped(xp[_tap_index(geom, tap, 0, m0)], G)  # (B, m..., G, c)
        w[tap] = np.einsum(subscripts, xs, yg)
    return w.reshape(geom.kernel_size + (c, G * o))
