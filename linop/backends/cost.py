r"""The cost model that chooses a backend: estimated seconds from FLOPs, memory traffic and calls.

Each method's time for one sample is estimated from a few machine constants, measured
on a 2-core x86 CPU with OpenBLAS and pocketfft (only their ratios matter for the choice):

* **gemm** (per window ordering, :func:`gemm_ordering_cost`):
  ``MACs / (GEMM_MACS * eff) + traffic * itemsize / COPY_BYTES + calls * CALL_SECONDS`` with

  .. math::

      \mathrm{eff} = \frac{\mathrm{inner}}{\mathrm{inner} + \mathrm{INNER\_HALF}}
                     \cdot \frac{\mathrm{outer}}{\mathrm{outer} + \mathrm{OUTER\_HALF}}

  where ``inner`` is the inner (summed) dimension of each product and ``outer`` its
  number of output columns: a product with a small inner dimension re-reads its output
  block for little work, one with few columns leaves vector lanes idle. ``traffic``
  counts the elements written and read besides the products: the wide output grid, the
  polyphase copies, the window buffers. The compiled ``"implicit"`` ordering copies
  nothing (the adjoint reads a zero-bordered copy of ``y``) and runs at
  ``IMPLICIT_MACS * eff``: its vectors of ``lanes`` values run along the output columns,
  which it computes in whole vectors (``computed`` = ``outer`` rounded up), so
  ``eff = outer / computed * min(computed, 2 lanes) / (2 lanes)``; ``NARROW_EFFICIENCY``
  for at most 4 columns from at least a vector of summed channels, and ``SINGLE_MACS``
  per channel vector for one channel in and out (depthwise). The cheapest ordering
  stands for the method.
* **fft**: ``(c_in + c_out) * FFT_SECONDS * N log2 N`` for the transforms of the
  ``N = prod(L)``-point periodic grids, plus ``c_in/G * c_out`` complex multiply-adds per
  stored frequency at ``MIX_MACS``.
* **direct**: ``MACs / DIRECT_MACS`` (one vectorised multiply-add per tap and channel pair
  over the output) plus ``CALL_SECONDS`` per NumPy call.

Every estimate covers forward plus adjoint. Double precision halves the arithmetic
rates and doubles the bytes; complex data counts four real multiply-adds per complex one.
"""

from __future__ import annotations

import math

import numpy as np

from ..geometry import ConvGeometry
from . import compiled, direct
from .fft import fft_shape
from .gemm import NUMPY_ORDERINGS, ORDERINGS, wide_grid

__all__ = ["direct_cost", "fft_cost", "gemm_cost", "gemm_ordering_cost", "method_costs"]

#: Single-precision multiply-adds per second of a large BLAS product (both cores).
GEMM_MACS = 1.5e11
#: Inner dimension at which a product reaches half its peak rate.
INNER_HALF = 8.0
#: Outer (column) dimension at which a product reaches half its peak rate (single, double precision).
OUTER_HALF = (6.0, 12.0)
#: Bytes per second copied into window buffers and wide grids (one core, cache resident).
COPY_BYTES = 1e10
#: Seconds per NumPy or BLAS call from Python.
CALL_SECONDS = 4e-6
#: Single-precision multiply-adds per second of the compiled implicit GEMM (both cores, 32+ columns).
IMPLICIT_MACS = 1.3e11
#: Its efficiency with at most 4 output columns and at least 16 summed channels.
NARROW_EFFICIENCY = 0.3
#: Its single-precision multiply-adds per second with one input and one output channel.
SINGLE_MACS = 1.0e10
#: Seconds per ``N log2 N`` of a single-precision real FFT (both cores).
FFT_SECONDS = 1.1e-10
#: Single-precision complex multiply-adds per second in the per-frequency channel mixing.
MIX_MACS = 5e8
#: Single-precision multiply-adds per second of the direct method (strided, vectorised).
DIRECT_MACS = 2.5e9


def _is_double(itemsize: int, is_complex: bool) -> bool:
    return itemsize == (16 if is_complex else 8)


def _precision(itemsize: int, is_complex: bool) -> tuple[float, float]:
    """(slowdown of arithmetic, bytes per element) for a dtype."""
    arithmetic = (2.0 if _is_double(itemsize, is_complex) else 1.0) * (4.0 if is_complex else 1.0)
    return arithmetic, float(itemsize)


def gemm_ordering_cost(
    geom: ConvGeometry, ordering: str, direction: str = "forward", itemsize: int = 4, is_complex: bool = False
) -> float:
    """Estimated seconds of one sample through :mod:`linop.backends.gemm` with ``ordering``.

    ``direction="forward"``: products ``windows (Q x inner) @ weights (inner x outer)`` with
    ``inner = c_in/G`` per window entry; ``"adjoint"``: ``y (Q x c_out/G) @ weights^T``,
    whose results are folded back. Memory traffic counted (elements, read + write):
    the wide output grid (``2 Q c_out``), the polyphase copies, and for ``"row"``/``"full"``
    the window buffers (copied in the forward, zeroed and folded in the adjoint).
    """
    slow, nbytes = _precision(itemsize, is_complex)
    outer_half = OUTER_HALF[1 if _is_double(itemsize, is_complex) else 0]
    grid = wide_grid(geom, 1)
    G, c, o = geom.groups, geom.in_per_group, geom.out_per_group
    k_last = geom.axes[-1].k
    K_lead = len(grid.lead_taps)
    K = K_lead * k_last
    Q = grid.rows
    phases_used = len(set(grid.lead_phase))
    macs = Q * K * c * o * G
    if macs == 0:  # no channels to compute (an empty batch of kernels): nothing to pay for
        return 0.0
    forward = direction == "forward"
    if ordering == "tap":
        inner, outer = (c, o) if forward else (o, c)
        calls, window = K * G, 0.0
    elif ordering == "row":
        inner, outer = (k_last * c, o) if forward else (o, k_last * c)
        calls, window = K_lead * G, Q * k_last * c * G * phases_used
    elif ordering == "full":
        inner, outer = (K * c, o) if forward else (o, K * c)
        calls, window = G, Q * K * c * G
    elif ordering == "implicit":
        dtype = np.dtype(("c" if is_complex else "f") + str(itemsize))
        return _implicit_cost(geom, forward, slow, nbytes, compiled.vector_lanes(dtype) or 16 // itemsize)
    else:
        raise ValueError(f"unknown ordering {ordering!r}")
    traffic = 2 * Q * geom.out_channels + window * (1.0 if forward else 3.0)
    if grid.copy:
        traffic += 2 * grid.source_rows * len(grid.phases) * geom.in_channels
    blocks = 1 + window * nbytes // (4 * 2**20)
    efficiency = inner / (inner + INNER_HALF) * outer / (outer + outer_half)
    return macs * slow / (GEMM_MACS * efficiency) + traffic * nbytes / COPY_BYTES + calls * blocks * CALL_SECONDS


def _implicit_cost(geom: ConvGeometry, forward: bool, slow: float, nbytes: float, lanes: int) -> float:
    """Seconds of one sample through the compiled kernel (:mod:`linop.backends.compiled`),
    whose vectors hold ``lanes`` values: the output columns are computed in whole vectors."""
    G, c, o = geom.groups, geom.in_per_group, geom.out_per_group
    inner, outer = (c, o) if forward else (o, c)
    macs = math.prod(geom.output_size) * math.prod(geom.kernel_size) * c * o * G
    if inner == 1 and outer == 1:  # one call with vectors along the channels when G > 1
        rate = SINGLE_MACS * (min(G, lanes) if G > 1 else 1)
    elif outer <= 4 and inner >= lanes:
        rate = IMPLICIT_MACS * NARROW_EFFICIENCY
    else:
        computed = -(-outer // lanes) * lanes
        rate = IMPLICIT_MACS * outer / computed * min(computed, 2 * lanes) / (2 * lanes)
    traffic = 0.0 if forward else math.prod(a.phase_length + a.polyphase_tap(a.k - 1)[1] for a in geom.axes) * o * G
    phases = 1 if forward else math.prod(a.stride for a in geom.axes)
    calls = 1 if (inner == 1 and outer == 1) else G
    return macs * slow / rate + traffic * nbytes / COPY_BYTES + calls * phases * CALL_SECONDS


def gemm_cost(geom: ConvGeometry, itemsize: int = 4, is_complex: bool = False) -> float:
    """Seconds of forward plus adjoint through the best window orderings (the compiled one
    where it can run the dtype)."""
    dtype = np.dtype(("c" if is_complex else "f") + str(itemsize))
    names = ORDERINGS if compiled.available(dtype, geom) else NUMPY_ORDERINGS
    return sum(
        min(gemm_ordering_cost(geom, name, direction, itemsize, is_complex) for name in names)
        for direction in ("forward", "adjoint")
    )


def fft_cost(geom: ConvGeometry, itemsize: int = 4, is_complex: bool = False) -> float:
    """Seconds of forward plus adjoint through :mod:`linop.backends.fft`."""
    double = 2.0 if _is_double(itemsize, is_complex) else 1.0
    shape = fft_shape(geom, real=not is_complex)
    n = math.prod(shape)
    frequencies = n // shape[-1] * (shape[-1] // 2 + 1) if not is_complex else n
    transforms = (geom.in_channels + geom.out_channels) * n * math.log2(max(n, 2)) * FFT_SECONDS
    transforms *= double * (2.0 if is_complex else 1.0)
    mix = frequencies * geom.in_per_group * geom.out_channels * double / MIX_MACS
    calls = (geom.in_per_group + 4) * CALL_SECONDS
    return 2 * (transforms + mix + calls)


def direct_cost(geom: ConvGeometry, itemsize: int = 4, is_complex: bool = False) -> float:
    """Seconds of forward plus adjoint through :mod:`linop.backends.direct`."""
    slow, nbytes = _precision(itemsize, is_complex)
    outputs = math.prod(geom.output_size)
    K = math.prod(geom.kernel_size)
    macs = outputs * K * geom.in_per_group * geom.out_channels
    row_bytes = outputs // geom.axes[0].output_size * geom.out_channels * nbytes
    blocks = math.ceil(geom.axes[0].output_size / max(1, direct.BLOCK_BYTES // max(row_bytes, 1)))
    calls = blocks * K * geom.in_per_group * 2
    return 2 * (macs * slow / DIRECT_MACS + calls * CALL_SECONDS)


def method_costs(geom: ConvGeometry, dtype: np.dtype | type = np.float64) -> dict[str, float]:
    """Estimated seconds (forward + adjoint, one sample) of every method for ``geom``.

    Parameters
    ----------
    geom : ConvGeometry
        The convolution's geometry (:mod:`linop.geometry`), without its padding.
    dtype : dtype, default float64
        The dtype of the data.

    Returns
    -------
    dict of str to float
        Estimated seconds per method.

    Examples
    --------
    >>> from linop.backends import method_costs
    >>> from linop.geometry import ConvGeometry
    >>> costs = method_costs(ConvGeometry.build((64, 64), (3, 3), in_channels=32, out_channels=64))
    >>> sorted(costs, key=costs.get)
    ['gemm', 'fft', 'direct']
    """
    dtype = np.dtype(dtype)
    is_complex = dtype.kind == "c"
    return {
        "gemm": gemm_cost(geom, dtype.itemsize, is_complex),
        "fft": fft_cost(geom, dtype.itemsize, is_complex),
        "direct": direct_cost(geom, dtype.itemsize, is_complex),
    }
