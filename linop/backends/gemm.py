"""GEMM on sliding windows: the convolution as matrix products on shifted views of the input.

Flatten the padded, channels-last input of a sample to a matrix ``F`` with one row per
pixel and one column per channel. For stride 1, output pixel ``j`` and kernel tap ``t``
meet input row ``flat(j) + off(t)``, where ``off(t)`` is the flat offset of the tap; so if
the output is computed on the *wide grid* (the padded input's grid, rows
``q = flat(j)``), every tap is one matrix product of a shifted block of rows of ``F``:

.. math::

    Y[q, :] = \\sum_t F[q + \\mathrm{off}(t), :]\\; W_t, \\qquad W_t = w[t] \\in \\mathbb{C}^{c_{in} \\times c_{out}}

Wide-grid rows whose last coordinate lies beyond the output (a few per image row) are
computed and dropped. Strides:

* along the **last** axis the output step is ``s`` rows of ``F``, which BLAS takes as a
  leading dimension ``s * c_in`` (the row length is rounded up to a multiple of ``s``);
* along the **other** axes the input is split once into its polyphase components
  ``x[phi + s u]``; tap ``t`` reads component ``phi = (d t) mod s`` at ``u = j + (d t) // s``
  (:meth:`linop.geometry.AxisGeometry.polyphase_tap`), so only the kept outputs are computed.

Four *window orderings*, chosen by the planner (:mod:`linop.backends.planner`) from the cost model:

``"implicit"``
    the compiled kernel (:mod:`linop.backends.compiled`, float32 and float64 when the
    extension is built): the same sum without forming any window or wide grid, reading
    the padded input and writing the output in place; its adjoint is a gather per
    polyphase component. Chosen wherever it runs; the three NumPy orderings below are
    the path for complex data and for installs without a C compiler.

``"tap"``
    one product per kernel tap on the shifted view itself (no copy; inner dimension
    ``c_in``), accumulated in place by BLAS (``beta = 1``). Best for many channels.
``"row"``
    the windows along the last axis are copied into a buffer (``k_last * c_in`` columns);
    one product per tap of the other axes. For few channels.
``"full"``
    all windows copied (im2col, ``prod(k) * c_in`` columns); one product. For very few channels.

Buffers are filled a block of rows at a time so that they stay in cache.

The adjoint multiplies by ``W_t^T`` and adds each product into the shifted block of
rows it came from: one contiguous slice-add per tap, never a scatter. For ``"row"`` and
``"full"`` the products go to a window buffer first and are added back one slice per
tap (col2im); with at most :data:`PLANES_MAX_CHANNELS` input channels the ``"row"``
adjoint folds into channel planes ``(c_in, rows)`` instead, so that every add is a long
contiguous one. The kernel adjoint is ``sum_q F[q + off(t)]^T Y[q]`` per tap.

The wide rows are cut into ranges of whole *lines* (``W`` rows, one index of the lead
axes) that run on all cores (:mod:`linop.backends.parallel`; the adjoint's ranges share
halo rows and run in two waves); each range copies its outputs out of the wide grid
(forward) or places its part of ``y`` on it (adjoint) itself, in parallel and while that
part is in cache. All functions take the
*padded*, channels-last, batch-first input and the *unpadded* geometry, as in
:mod:`linop.backends.direct`.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..geometry import ConvGeometry
from . import compiled, parallel, workspace
from .blas import gemm

__all__ = [
    "ORDERINGS",
    "correlate",
    "correlate_adjoint",
    "correlate_kernel_adjoint",
    "scratch_bytes",
]

ORDERINGS: tuple[str, ...] = ("tap", "row", "full", "implicit")
#: The orderings that run in NumPy + BLAS (every dtype); "implicit" is the compiled kernel
#: (:mod:`linop.backends.compiled`, float32 and float64) and stands in for "row" elsewhere.
NUMPY_ORDERINGS: tuple[str, ...] = ("tap", "row", "full")

#: Bytes of window buffer filled per block (keeps the buffer in the per-core caches).
WINDOW_BLOCK_BYTES = 2 * 2**20
#: Bytes of wide output per block of the "tap" ordering (OpenBLAS blocks for the cache itself;
#: larger blocks mean fewer calls: C1 forward 4.5 -> 4.1 ms going from 2 to 8 MiB).
TAP_BLOCK_BYTES = 8 * 2**20
#: Up to this many input channels the "row" adjoint folds into channel planes.
PLANES_MAX_CHANNELS = 4


@dataclass(frozen=True)
class WideGrid:
    """Memory layout of the shifted-view products for one geometry and batch size.

    The (polyphase) source arrays have shape ``(B, U_1..U_{d-1}, V, c_in)`` with
    ``U_a = ceil(P_a / s_a)`` and ``V = s_last * W``, ``W = ceil(P_last / s_last)``;
    wide row ``q`` of the output is source row ``s_last * q``.
    """

    batch: int
    lead_lengths: tuple[int, ...]  # U_a for the axes before the last
    width: int  # W
    row_length: int  # V
    copy: bool  # whether the sources are a copy (polyphase split or padded rows)
    phases: tuple[tuple[int, ...], ...]  # polyphase components over the lead axes
    lead_taps: tuple[tuple[int, ...], ...]
    lead_phase: tuple[int, ...]  # per lead tap: index into phases
    lead_offset: tuple[int, ...]  # per lead tap: offset in wide rows
    rows: int  # Q: wide rows that hold every valid output

    @property
    def sample_rows(self) -> int:
        """Wide rows per sample: ``prod(U) * W``."""
        return math.prod(self.lead_lengths) * self.width

    @property
    def total_rows(self) -> int:
        """Wide rows of the whole batch."""
        return self.batch * self.sample_rows

    @property
    def source_rows(self) -> int:
        """Rows of one source array: ``B * prod(U) * V``."""
        return self.batch * math.prod(self.lead_lengths) * self.row_length


@functools.lru_cache(maxsize=256)
def wide_grid(geom: ConvGeometry, batch: int) -> WideGrid:
    """The :class:`WideGrid` of ``geom`` (unpadded) for ``batch`` samples (memoised)."""
    lead, last = geom.axes[:-1], geom.axes[-1]
    width = last.phase_length
    row_length = last.stride * width
    lead_lengths = tuple(a.phase_length for a in lead)
    copy = any(a.stride > 1 for a in lead) or row_length != last.padded_size
    phases = tuple(np.ndindex(*(a.stride for a in lead)))
    phase_index = {p: i for i, p in enumerate(phases)}
    # wide rows per step of each lead axis
    steps = [math.prod(lead_lengths[a + 1 :]) * width for a in range(len(lead))]
    lead_taps = tuple(tuple(int(v) for v in t) for t in np.ndindex(*(a.k for a in lead)))
    lead_phase, lead_offset = [], []
    for t in lead_taps:
        split = [ax.polyphase_tap(ti) for ax, ti in zip(lead, t)]
        lead_phase.append(phase_index[tuple(p for p, _ in split)])
        lead_offset.append(sum(a * step for (_, a), step in zip(split, steps)))
    last_valid = np.ravel_multi_index(
        (batch - 1,) + tuple(a.output_size - 1 for a in geom.axes),
        (batch,) + lead_lengths + (width,),
    )
    return WideGrid(
        batch,
        lead_lengths,
        width,
        row_length,
        copy,
        phases,
        lead_taps,
        tuple(lead_phase),
        tuple(lead_offset),
        int(last_valid) + 1,
    )


# -- sources: polyphase split and merge -------------------------------------------------
def _phase_slices(geom: ConvGeometry, grid: WideGrid, phase: tuple[int, ...]) -> tuple[tuple, tuple]:
    """Index of polyphase component ``phase`` in the padded array and in its source array."""
    padded = [slice(None)]
    source = [slice(None)]
    for ax, p in zip(geom.axes[:-1], phase):
        count = -(-(ax.padded_size - p) // ax.stride)
        padded.append(slice(p, None, ax.stride))
        source.append(slice(0, count))
    last = geom.axes[-1].padded_size
    padded.append(slice(None))
    source.append(slice(0, last))
    return tuple(padded), tuple(source)


def _sources(xp: np.ndarray, geom: ConvGeometry, grid: WideGrid) -> list[np.ndarray]:
    """The polyphase source arrays as 2-D ``(rows, c_in)`` matrices."""
    channels = xp.shape[-1]
    if not grid.copy:
        return [np.ascontiguousarray(xp).reshape(-1, channels)]
    shape = (grid.batch,) + grid.lead_lengths + (grid.row_length, channels)
    out = []
    for phase in grid.phases:
        padded, source = _phase_slices(geom, grid, phase)
        array = np.zeros(shape, dtype=xp.dtype)
        array[source] = xp[padded]
        out.append(array.reshape(-1, channels))
    return out


def _empty_sources(geom: ConvGeometry, grid: WideGrid, channels: int, dtype: np.dtype) -> list[np.ndarray]:
    shape = (grid.source_rows, channels)
    return [np.zeros(shape, dtype=dtype) for _ in grid.phases]


def _merge_sources(sources: list[np.ndarray], out: np.ndarray, geom: ConvGeometry, grid: WideGrid) -> None:
    """Adjoint of :func:`_sources`: add the components back into the padded array ``out``."""
    shape = (grid.batch,) + grid.lead_lengths + (grid.row_length, out.shape[-1])
    for phase, flat in zip(grid.phases, sources):
        padded, source = _phase_slices(geom, grid, phase)
        out[padded] += flat.reshape(shape)[source]


def _wide_output(y: np.ndarray, geom: ConvGeometry, grid: WideGrid) -> np.ndarray:
    """``y`` placed on the wide grid, zeros elsewhere: ``(total_rows, c_out)``."""
    wide = workspace.scratch("wide", (grid.total_rows, y.shape[-1]), y.dtype)
    _spread_lines(y, wide, geom, grid, 0, grid.total_rows // grid.width)
    return wide


@functools.lru_cache(maxsize=256)
def _valid_runs(geom: ConvGeometry, batch: int) -> tuple[tuple[int, int, int], ...]:
    """The wide-grid *lines* (runs of ``W`` wide rows, one per index of the lead axes) that
    hold outputs, as maximal runs ``(wide line, output line, count)``.

    Wide line ``L = b prod(U) + flat_U(u)`` holds output line ``b prod(m) + flat_m(u)`` when
    ``u_a < m_a`` on every lead axis; consecutive lines of the last lead axis form one run.
    """
    grid = wide_grid(geom, batch)
    lead_m = geom.output_size[:-1]
    if not lead_m:
        return ((0, 0, batch),)
    runs = []
    for index in np.ndindex(*((batch,) + lead_m[:-1])):
        b, u = index[0], index[1:]
        wide_line = np.ravel_multi_index((b,) + u + (0,), (batch,) + grid.lead_lengths)
        out_line = np.ravel_multi_index((b,) + u + (0,), (batch,) + lead_m)
        runs.append((int(wide_line), int(out_line), lead_m[-1]))
    return tuple(runs)


def _line_runs(geom: ConvGeometry, batch: int, lo: int, hi: int):
    """The parts of :func:`_valid_runs` inside wide lines ``[lo, hi)``."""
    for wide_line, out_line, count in _valid_runs(geom, batch):
        first, stop = max(lo, wide_line), min(hi, wide_line + count)
        if first < stop:
            yield first, out_line + first - wide_line, stop - first


def _gather_lines(wide: np.ndarray, out: np.ndarray, geom: ConvGeometry, grid: WideGrid, lo: int, hi: int) -> None:
    """Copy the outputs held by wide lines ``[lo, hi)`` to ``out`` ``(B, m..., c)``; the wide
    grid has ``G`` groups of ``width >= c / G`` columns, of which the first ``c / G`` count."""
    W, m = grid.width, geom.output_size[-1]
    G = geom.groups
    o = out.shape[-1] // G
    wide_lines = wide.reshape(-1, W, G, wide.shape[-1] // G)
    out_lines = out.reshape(-1, m, G, o)
    for src, dst, count in _line_runs(geom, grid.batch, lo, hi):
        out_lines[dst : dst + count] = wide_lines[src : src + count, :m, :, :o]


def _spread_lines(y: np.ndarray, wide: np.ndarray, geom: ConvGeometry, grid: WideGrid, lo: int, hi: int) -> None:
    """Adjoint of :func:`_gather_lines` on wide lines ``[lo, hi)``: ``y``'s outputs placed
    there, zeros elsewhere."""
    W, m = grid.width, geom.output_size[-1]
    wide_lines = wide.reshape(-1, W, wide.shape[-1])
    y_lines = y.reshape(-1, m, y.shape[-1])
    wide_lines[lo:hi].fill(0)
    for src, dst, count in _line_runs(geom, grid.batch, lo, hi):
        wide_lines[src : src + count, :m] = y_lines[dst : dst + count]


# -- views --------------------------------------------------------------------------------
def _rows(source: np.ndarray, start: int, count: int, step: int) -> np.ndarray:
    """Rows ``start, start + step, ...`` (``count`` of them) of a 2-D source, as a view."""
    return source[start : start + step * (count - 1) + 1 : step]


def _windows(source: np.ndarray, start: int, count: int, geom: ConvGeometry) -> np.ndarray:
    """View ``(count, G, k_last, c)``: element ``[r, g, i]`` is source row ``start + s r + d i``,
    channels of group ``g``."""
    last = geom.axes[-1]
    size = source.itemsize
    channels = source.shape[1]
    G, c = geom.groups, geom.in_per_group
    need = start + last.stride * (count - 1) + last.dilation * (last.k - 1) + 1
    if need > source.shape[0]:
        raise AssertionError("window view out of bounds")  # pragma: no cover - layout invariant
    view = as_strided(
        source[start:],
        shape=(count, last.k, G, c),
        strides=(last.stride * channels * size, last.dilation * channels * size, c * size, size),
        writeable=False,
    )
    return view.transpose(0, 2, 1, 3)


def _block_rows(total: int, bytes_per_row: int, budget: int) -> int:
    return max(64, min(total, budget // max(bytes_per_row, 1)))


def padded_width(n: int) -> int:
    """Columns to give a product with ``n`` output columns: ``n`` rounded up to a multiple of 8
    when that adds at most a third.

    OpenBLAS's kernels work on 8 or 16 columns of the (row-major) result at a time and
    handle a ragged remainder slowly: 15 output columns take twice as long as 16.
    """
    padded = -(-n // 8) * 8
    return padded if 3 * padded <= 4 * n else n


def _pad_columns(a: np.ndarray, width: int) -> np.ndarray:
    """``a`` with zero columns appended up to ``width`` (``a`` itself if it is that wide)."""
    if a.shape[-1] == width:
        return a
    out = np.zeros(a.shape[:-1] + (width,), dtype=a.dtype)
    out[..., : a.shape[-1]] = a
    return out


def _group_weights(w: np.ndarray, geom: ConvGeometry) -> list[np.ndarray]:
    """Per group ``g``: ``w[..., g o : (g+1) o]`` as ``(prod(k_lead), k_last * c, o)``."""
    o = geom.out_per_group
    K_lead = math.prod(geom.kernel_size[:-1])
    flat = w.reshape(K_lead, geom.axes[-1].k * geom.in_per_group, geom.out_channels)
    return [flat[:, :, g * o : (g + 1) * o] for g in range(geom.groups)]


# -- the three functions -----------------------------------------------------------------------
def _window_rows(geom: ConvGeometry, grid: WideGrid, ordering: str, itemsize: int) -> tuple[int, int]:
    """``(block, buffer rows)`` of the window buffer of ``ordering``: wide rows per block and
    the rows of one buffer (the block plus the lead taps' offsets for ``"row"``)."""
    G, c, kl = geom.groups, geom.in_per_group, geom.axes[-1].k
    if ordering == "tap":
        block = _block_rows(grid.rows, geom.out_channels * itemsize, TAP_BLOCK_BYTES)
        return block, 0
    if ordering == "row":
        block = _block_rows(grid.rows, len(grid.phases) * G * kl * c * itemsize, WINDOW_BLOCK_BYTES)
        return block, block + max(grid.lead_offset)
    block = _block_rows(grid.rows, G * len(grid.lead_taps) * kl * c * itemsize, WINDOW_BLOCK_BYTES)
    return block, block


def scratch_bytes(geom: ConvGeometry, batch: int, dtype: np.dtype | type = np.float64, ordering: str = "full") -> int:
    """Scratch memory of one call on ``batch`` samples with window ``ordering``: the wide
    output grid, the polyphase copies (or the channel planes of the few-channel adjoint)
    and one block of window buffer per worker thread (``"implicit"``: the larger of its
    forward and adjoint scratch, :func:`linop.backends.compiled.scratch_bytes`)."""
    if ordering == "implicit":
        return max(compiled.scratch_bytes(geom, batch, dtype, d) for d in ("forward", "adjoint"))
    itemsize = np.dtype(dtype).itemsize
    grid = wide_grid(geom, batch)
    wide = grid.total_rows * geom.out_channels
    copies = len(grid.phases) * grid.source_rows * geom.in_channels if grid.copy else 0
    if ordering == "row" and geom.in_channels <= PLANES_MAX_CHANNELS:
        copies = max(copies, len(grid.phases) * grid.source_rows * geom.in_channels)
    _, rows = _window_rows(geom, grid, ordering, itemsize)
    if ordering == "row":
        window = rows * len(set(grid.lead_phase)) * geom.groups * geom.axes[-1].k * geom.in_per_group
    else:
        window = rows * geom.groups * len(grid.lead_taps) * geom.axes[-1].k * geom.in_per_group
    return (wide + copies + window * max(parallel.THREADS, 1)) * itemsize


def _scratch(dtype: np.dtype, ordering: str, direction: str = "forward"):
    if ordering == "implicit":
        return lambda geom, batch: compiled.scratch_bytes(geom, batch, dtype, direction)
    return lambda geom, batch: scratch_bytes(geom, batch, dtype, ordering)


def _common_dtype(*arrays: np.ndarray) -> np.dtype:
    return np.result_type(*arrays)


def _check_ordering(ordering: str) -> None:
    if ordering not in ORDERINGS:
        raise ValueError(f"ordering must be one of {', '.join(map(repr, ORDERINGS))}; got {ordering!r}")


def _runnable_ordering(ordering: str, geom: ConvGeometry, dtype: np.dtype) -> str:
    """``ordering``, except that ``"implicit"`` where the compiled kernel cannot run ``dtype``
    is the ``"row"`` ordering (the same products, windows copied)."""
    if ordering == "implicit" and not compiled.available(dtype, geom):
        return "row"
    return ordering


def correlate(xp: np.ndarray, w: np.ndarray, geom: ConvGeometry, *, ordering: str) -> np.ndarray:
    """Strided, dilated, grouped cross-correlation of a padded batch.

    ``xp``: ``(B, P_1..P_d, c_in)``; ``w``: ``(k_1..k_d, c_in/G, c_out)``; returns
    ``(B, m_1..m_d, c_out)`` with ``y[b, j, g o + q] = sum_t sum_r w[t, r, g o + q] x_p[b, s j + d t, g c + r]``.
    ``ordering`` is the window ordering (:class:`linop.backends.planner.ConvolutionPlan` chooses it).
    """
    _check_ordering(ordering)
    dtype = _common_dtype(xp, w)
    w = np.ascontiguousarray(w, dtype=dtype)
    ordering = _runnable_ordering(ordering, geom, dtype)
    if ordering == "implicit":
        step = lambda piece, g, out: compiled.correlate(piece, w, g, out)  # noqa: E731
    else:
        step = lambda piece, g, out: _forward(piece, w, g, out, ordering)  # noqa: E731
    return workspace.run_chunked(
        step, xp.astype(dtype, copy=False), geom, _scratch(dtype, ordering), dtype, adjoint=False
    )


def correlate_adjoint(
    y: np.ndarray,
    w: np.ndarray,
    geom: ConvGeometry,
    *,
    ordering: str,
    crop: Sequence[tuple[int, int]] | None = None,
) -> np.ndarray:
    """Transpose (no conjugation) of :func:`correlate` in its input.

    ``y``: ``(B, m_1..m_d, c_out)``; returns ``(B, P_1..P_d, c_in)`` with
    ``x_p[b, s j + d t, g c + r] += w[t, r, g o + q] y[b, j, g o + q]``; with
    ``crop = ((lo, hi), ...)`` only its part ``lo <= u < P - hi`` per axis (the adjoint of
    zero padding), which the implicit ordering computes without the rest.
    """
    _check_ordering(ordering)
    dtype = _common_dtype(y, w)
    w = np.ascontiguousarray(w, dtype=dtype)
    ordering = _runnable_ordering(ordering, geom, dtype)
    y = y.astype(dtype, copy=False)
    if y.shape[0] == 0:  # an empty batch: nothing to compute (the compiled entry needs samples)
        pads = crop if crop is not None else ((0, 0),) * len(geom.axes)
        return np.zeros(
            (0,) + tuple(P - lo - hi for P, (lo, hi) in zip(geom.padded_size, pads)) + (geom.in_channels,), dtype
        )
    if ordering == "implicit":
        if compiled.scratch_bytes(geom, y.shape[0], dtype, "adjoint") <= workspace.get_workspace_limit():
            # one chunk: the gather writes every input sample once, nothing to zero first
            pads = crop if crop is not None else ((0, 0),) * len(geom.axes)
            shape = tuple(P - lo - hi for P, (lo, hi) in zip(geom.padded_size, pads))
            out = np.empty((y.shape[0],) + shape + (geom.in_channels,), dtype=dtype)
            compiled.correlate_adjoint(y, w, geom, out, accumulate=False, crop=pads)
            return out
        step = lambda piece, g, out: compiled.correlate_adjoint(piece, w, g, out)  # noqa: E731
    else:
        step = lambda piece, g, out: _adjoint(piece, w, g, out, ordering)  # noqa: E731
    padded = workspace.run_chunked(step, y, geom, _scratch(dtype, ordering, "adjoint"), dtype, adjoint=True)
    return padded if crop is None else workspace.interior(padded, geom, crop)


def correlate_kernel_adjoint(xp: np.ndarray, y: np.ndarray, geom: ConvGeometry, *, ordering: str) -> np.ndarray:
    """Transpose (no conjugation) of :func:`correlate` in its kernel, for a fixed input.

    Returns ``w[t, r, g o + q] = sum_{b, j} x_p[b, s j + d t, g c + r] y[b, j, g o + q]``.
    """
    _check_ordering(ordering)
    dtype = _common_dtype(xp, y)
    xp = xp.astype(dtype, copy=False)
    y = y.astype(dtype, copy=False)
    B = xp.shape[0]
    w = np.zeros(geom.kernel_size + (geom.in_per_group, geom.out_channels), dtype=dtype)
    if ordering in ("full", "implicit"):
        ordering = "row"  # one product per lead tap either way (no compiled kernel adjoint)
    for chunk in workspace.chunks(geom, B, _scratch(dtype, ordering)):
        _kernel(xp[chunk.batch, chunk.in_rows], y[chunk.batch, chunk.out_rows], chunk.geometry, w, ordering)
    return w


# -- cores on one chunk -----------------------------------------------------------------------
def _max_offset(geom: ConvGeometry, grid: WideGrid) -> int:
    """Largest source-row offset of a tap: ``s_last * max(lead offset) + d_last * (k_last - 1)``."""
    last = geom.axes[-1]
    return last.stride * max(grid.lead_offset) + last.dilation * (last.k - 1)


def _lines(grid: WideGrid) -> int:
    """Wide lines (``W`` rows each) that hold the computed rows: ``ceil(rows / W)``."""
    return -(-grid.rows // grid.width)


def _macs(geom: ConvGeometry, grid: WideGrid) -> float:
    return float(grid.rows) * math.prod(geom.kernel_size) * geom.in_per_group * geom.out_channels


def _forward(xp: np.ndarray, w: np.ndarray, geom: ConvGeometry, out: np.ndarray, ordering: str) -> None:
    grid = wide_grid(geom, xp.shape[0])
    sources = _sources(xp, geom, grid)
    G, o = geom.groups, geom.out_per_group
    width = padded_width(o)
    weights = [_pad_columns(wg, width) for wg in _group_weights(w, geom)]  # per group (K_lead, kl*c, width)
    wide = workspace.scratch("wide", (grid.total_rows, G * width), out.dtype)
    block, _ = _window_rows(geom, grid, ordering, out.itemsize)
    step = {"tap": _forward_tap, "row": _forward_row, "full": _forward_full}[ordering]

    def work(line_lo: int, line_hi: int) -> None:
        q_lo, q_hi = line_lo * grid.width, min(grid.rows, line_hi * grid.width)
        for q0 in range(q_lo, q_hi, block):
            step(geom, grid, sources, weights, wide, q0, min(q_hi, q0 + block) - q0)
        _gather_lines(wide, out, geom, grid, line_lo, line_hi)  # while the range is in cache

    lines = _lines(grid)
    parts = parallel.ranges(lines, parallel.parts_for(lines, _macs(geom, grid)))
    parallel.concurrently([functools.partial(work, a, b) for a, b in parts])


def _forward_tap(geom, grid, sources, weights, wide, q0, n):
    last = geom.axes[-1]
    s, dl, kl = last.stride, last.dilation, last.k
    G, c = geom.groups, geom.in_per_group
    o = weights[0].shape[-1]  # padded output columns per group
    for g in range(G):
        target = wide[q0 : q0 + n, g * o : (g + 1) * o]
        first = True
        for lt, (phase, offset) in enumerate(zip(grid.lead_phase, grid.lead_offset)):
            wt = weights[g][lt].reshape(kl, c, o)
            for i in range(kl):
                a = _rows(sources[phase], s * (q0 + offset) + dl * i, n, s)[:, g * c : (g + 1) * c]
                gemm(a, wt[i], target, accumulate=not first)
                first = False


def _window_buffers(geom, grid, sources, q0, n, dtype) -> dict[int, np.ndarray]:
    """Per polyphase component a lead tap reads: the windows of wide rows ``q0 .. q0 + n - 1``
    (and the lead taps' offsets beyond), copied into a scratch buffer ``(rows, G, k_last, c)``."""
    last = geom.axes[-1]
    count = n + max(grid.lead_offset)
    buffers = {}
    for phase in sorted(set(grid.lead_phase)):
        buf = workspace.scratch(f"windows {phase}", (count, geom.groups, last.k, geom.in_per_group), dtype)
        np.copyto(buf, _windows(sources[phase], last.stride * q0, count, geom))
        buffers[phase] = buf
    return buffers


def _forward_row(geom, grid, sources, weights, wide, q0, n):
    kl = geom.axes[-1].k
    G, c = geom.groups, geom.in_per_group
    o = weights[0].shape[-1]  # padded output columns per group
    buffers = _window_buffers(geom, grid, sources, q0, n, wide.dtype)
    for g in range(G):
        target = wide[q0 : q0 + n, g * o : (g + 1) * o]
        for lt, (phase, offset) in enumerate(zip(grid.lead_phase, grid.lead_offset)):
            a = buffers[phase][offset : offset + n, g].reshape(n, kl * c)
            gemm(a, weights[g][lt], target, accumulate=lt > 0)


def _forward_full(geom, grid, sources, weights, wide, q0, n):
    last = geom.axes[-1]
    s, kl = last.stride, last.k
    G, c = geom.groups, geom.in_per_group
    o = weights[0].shape[-1]  # padded output columns per group
    K_lead = len(grid.lead_taps)
    buf = workspace.scratch("windows", (n, G, K_lead, kl, c), wide.dtype)
    for lt, (phase, offset) in enumerate(zip(grid.lead_phase, grid.lead_offset)):
        np.copyto(buf[:, :, lt], _windows(sources[phase], s * (q0 + offset), n, geom))
    for g in range(G):
        a = buf[:, g].reshape(n, K_lead * kl * c)
        b = weights[g].reshape(K_lead * kl * c, o)
        gemm(a, b, wide[q0 : q0 + n, g * o : (g + 1) * o], accumulate=False)


def _adjoint(y: np.ndarray, w: np.ndarray, geom: ConvGeometry, out: np.ndarray, ordering: str) -> None:
    """Add the transposed correlation of ``y`` into the padded array ``out``."""
    grid = wide_grid(geom, y.shape[0])
    wide = workspace.scratch("wide", (grid.total_rows, y.shape[-1]), y.dtype)
    C = geom.in_channels
    kl, c = geom.axes[-1].k, geom.in_per_group
    planes = ordering == "row" and C <= PLANES_MAX_CHANNELS
    if planes:
        # few input channels: fold into channel planes (C, rows), one contiguous add per tap
        # and channel instead of adds whose inner dimension is a handful of channels
        targets = [np.zeros((C, grid.source_rows), dtype=out.dtype) for _ in grid.phases]
    elif grid.copy:
        targets = _empty_sources(geom, grid, C, out.dtype)
    else:
        targets = [out.reshape(-1, C)]
        if not np.may_share_memory(targets[0], out):  # pragma: no cover - out is contiguous
            raise AssertionError("adjoint target must be a view of out")
    if ordering == "tap":
        weights = _group_weights(w, geom)
        step = _adjoint_tap
    else:
        # per group, the transposed weights (o, columns) padded to a fast product width
        columns = kl * c if ordering == "row" else len(grid.lead_taps) * kl * c
        flat = [wg.reshape(len(grid.lead_taps), kl * c, -1) for wg in _group_weights(w, geom)]
        if ordering == "row":
            weights = [_pad_columns(np.swapaxes(wg, -1, -2), padded_width(columns)) for wg in flat]
        else:
            weights = [_pad_columns(wg.reshape(columns, -1).T, padded_width(columns)) for wg in flat]
        step = _adjoint_row if ordering == "row" else _adjoint_full
    block, _ = _window_rows(geom, grid, ordering, out.itemsize)

    def work(line_lo: int, line_hi: int) -> None:
        _spread_lines(y, wide, geom, grid, line_lo, line_hi)  # each range reads only its own rows
        q_lo, q_hi = line_lo * grid.width, min(grid.rows, line_hi * grid.width)
        for q0 in range(q_lo, q_hi, block):
            step(geom, grid, wide, weights, targets, q0, min(q_hi, q0 + block) - q0, planes)

    # ranges write overlapping source rows (the halo): two waves, neighbours never together
    halo = _max_offset(geom, grid) // geom.axes[-1].stride + 2
    lines = _lines(grid)
    parts = parallel.ranges(lines, parallel.parts_for(lines, _macs(geom, grid), -(-halo // grid.width) + 1, waves=2))
    parallel.alternating([functools.partial(work, a, b) for a, b in parts])
    if planes:
        targets = [t.T for t in targets]
    if grid.copy or planes:
        _merge_sources(targets, out, geom, grid)


def _adjoint_tap(geom, grid, wide, weights, targets, q0, n, planes):
    last = geom.axes[-1]
    s, dl, kl = last.stride, last.dilation, last.k
    G, c, o = geom.groups, geom.in_per_group, geom.out_per_group
    for g in range(G):
        yg = wide[q0 : q0 + n, g * o : (g + 1) * o]
        for lt, (phase, offset) in enumerate(zip(grid.lead_phase, grid.lead_offset)):
            wt = weights[g][lt].reshape(kl, c, o)
            for i in range(kl):
                dest = _rows(targets[phase], s * (q0 + offset) + dl * i, n, s)[:, g * c : (g + 1) * c]
                gemm(yg, wt[i].T, dest, accumulate=True)


def _adjoint_row(geom, grid, wide, weights, targets, q0, n, planes):
    """Products ``y W^T`` into per-phase window buffers ``(rows, G, width)`` (``width``:
    ``k_last * c`` padded), then folded back one slice per last-axis tap."""
    G, o = geom.groups, geom.out_per_group
    width = weights[0].shape[-1]
    count = n + max(grid.lead_offset)
    buffers = {
        p: workspace.scratch(f"windows {p}", (count, G, width), wide.dtype) for p in sorted(set(grid.lead_phase))
    }
    for buf in buffers.values():
        buf.fill(0)
    for g in range(G):
        yg = wide[q0 : q0 + n, g * o : (g + 1) * o]
        for lt, (phase, offset) in enumerate(zip(grid.lead_phase, grid.lead_offset)):
            gemm(yg, weights[g][lt], buffers[phase][offset : offset + n, g], accumulate=True)
    fold = _fold_planes if planes else _fold_windows
    for phase, buf in buffers.items():
        fold(buf, targets[phase], geom.axes[-1].stride * q0, geom)


def _adjoint_full(geom, grid, wide, weights, targets, q0, n, planes):
    """One product ``y W^T`` per group into ``(n, G, width)`` (all taps), folded back one
    slice per tap."""
    G, o = geom.groups, geom.out_per_group
    kl, c = geom.axes[-1].k, geom.in_per_group
    width = weights[0].shape[-1]
    buf = workspace.scratch("windows", (n, G, width), wide.dtype)
    for g in range(G):
        gemm(wide[q0 : q0 + n, g * o : (g + 1) * o], weights[g], buf[:, g], accumulate=False)
    s = geom.axes[-1].stride
    for lt, (phase, offset) in enumerate(zip(grid.lead_phase, grid.lead_offset)):
        _fold_windows(buf[:, :, lt * kl * c : (lt + 1) * kl * c], targets[phase], s * (q0 + offset), geom)


def _view_reshape(a: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """``a.reshape(shape)`` that must be a view (the product is written through it)."""
    view = a.reshape(shape)
    if not np.may_share_memory(view, a):  # pragma: no cover - layout invariant
        raise AssertionError("reshape of an output buffer made a copy")
    return view


def _fold_windows(buf: np.ndarray, target: np.ndarray, start: int, geom: ConvGeometry) -> None:
    """Adjoint of filling a window buffer: ``buf[r, g, i*c + j]`` is added to source row
    ``start + s r + d i``, channel ``g c + j``; one strided slice-add per last-axis tap."""
    last = geom.axes[-1]
    count = buf.shape[0]
    G, c = geom.groups, geom.in_per_group
    for i in range(last.k):
        rows = _rows(target, start + last.dilation * i, count, last.stride)
        view = rows.reshape(count, G, c)
        np.add(view, buf[:, :, i * c : (i + 1) * c], out=view)


def _fold_planes(buf: np.ndarray, planes: np.ndarray, start: int, geom: ConvGeometry) -> None:
    """:func:`_fold_windows` into channel planes ``(C, rows)``: the buffer is transposed once
    (in cache), then every (tap, channel) is one long contiguous add."""
    last = geom.axes[-1]
    s, dl = last.stride, last.dilation
    G, c = geom.groups, geom.in_per_group
    count = buf.shape[0]
    columns = np.ascontiguousarray(buf[:, :, : last.k * c].transpose(1, 2, 0))  # (G, k_last*c, count)
    rows = planes.shape[1]
    for g in range(G):
        for i in range(last.k):
            first = start + dl * i
            stop = min(rows, first + s * (count - 1) + 1)
            length = len(range(first, stop, s))
            segment = planes[g * c : (g + 1) * c, first:stop:s]
            segment += columns[g, i * c : (i + 1) * c, :length]


def _kernel(xp: np.ndarray, y: np.ndarray, geom: ConvGeometry, out: np.ndarray, ordering: str) -> None:
    """Add ``sum_{b,j} x_p[b, s j + d t] y[b, j]`` (per tap and channel pair) into ``out``."""
    grid = wide_grid(geom, xp.shape[0])
    sources = _sources(xp, geom, grid)
    wide = _wide_output(y, geom, grid)
    block, _ = _window_rows(geom, grid, ordering, out.itemsize)
    step = _kernel_tap if ordering == "tap" else _kernel_row

    def work(q_lo: int, q_hi: int) -> np.ndarray:
        partial = np.zeros_like(out)
        flat = partial.reshape(len(grid.lead_taps), geom.axes[-1].k, geom.in_per_group, geom.out_channels)
        for q0 in range(q_lo, q_hi, block):
            step(geom, grid, sources, wide, flat, q0, min(q_hi, q0 + block) - q0)
        return partial

    parts = parallel.ranges(grid.rows, parallel.parts_for(grid.rows, _macs(geom, grid)))
    for partial in parallel.concurrently([functools.partial(work, a, b) for a, b in parts]):
        out += partial


def _kernel_tap(geom, grid, sources, wide, flat_out, q0, n):
    last = geom.axes[-1]
    s, dl, kl = last.stride, last.dilation, last.k
    G, c, o = geom.groups, geom.in_per_group, geom.out_per_group
    for g in range(G):
        yg = wide[q0 : q0 + n, g * o : (g + 1) * o]
        for lt, (phase, offset) in enumerate(zip(grid.lead_phase, grid.lead_offset)):
            for i in range(kl):
                a = _rows(sources[phase], s * (q0 + offset) + dl * i, n, s)[:, g * c : (g + 1) * c]
                gemm(a.T, yg, flat_out[lt, i, :, g * o : (g + 1) * o], accumulate=True)


def _kernel_row(geom, grid, sources, wide, flat_out, q0, n):
    kl = geom.axes[-1].k
    G, c, o = geom.groups, geom.in_per_group, geom.out_per_group
    buffers = _window_buffers(geom, grid, sources, q0, n, wide.dtype)
    for g in range(G):
        yg = wide[q0 : q0 + n, g * o : (g + 1) * o]
        for lt, (phase, offset) in enumerate(zip(grid.lead_phase, grid.lead_offset)):
            a = buffers[phase][offset : offset + n, g].reshape(n, kl * c)
            dest = _view_reshape(flat_out[lt, :, :, g * o : (g + 1) * o], (kl * c, o))
            gemm(a.T, yg, dest, accumulate=True)
