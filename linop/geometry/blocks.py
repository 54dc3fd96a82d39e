"""Blocks of an axis: the chunk and halo arithmetic of chunked and distributed arrays.

A convolution run block by block (:mod:`linop.dask`) cuts each spatial axis of its input
into consecutive chunks and gives every output to one block:

* output ``j`` belongs to the input block holding its window's centre
  ``c_j = s*j + floor((e-1)/2) - p_lo`` (:func:`window_centre`), which makes the output
  blocks stride-aligned (:func:`output_block_bounds`, and back, :func:`input_block_bounds`);
* a block of outputs ``j_lo .. j_hi-1`` reads the input indices
  ``[s*j_lo - p_lo, s*(j_hi-1) + d*(k-1) + 1 - p_lo)`` (:func:`block_input_range`): its own
  chunk plus a halo from the neighbours, or the boundary's folded samples at the ends.

Every function reads the index map of :class:`~linop.geometry.AxisGeometry`; none
writes its own ``+ 1`` or ``- p``.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..arguments import is_integer
from .axis import AxisGeometry

__all__ = ["block_bounds", "block_input_range", "input_block_bounds", "output_block_bounds", "window_centre"]


def block_bounds(sizes: Sequence[int]) -> tuple[int, ...]:
    """Boundaries ``0, c_0, c_0 + c_1, ..., n`` of consecutive blocks of sizes ``c_0, c_1, ...``.

    Block ``i`` covers the indices ``bounds[i] .. bounds[i+1] - 1``.

    Parameters
    ----------
    sizes : sequence of int
        The block sizes ``c_0, c_1, ...`` (a Dask array's chunks along one axis).

    Returns
    -------
    tuple of int
        The ``len(sizes) + 1`` boundaries, from 0 to ``sum(sizes)``.

    Raises
    ------
    ValueError
        If a size is not a positive integer.

    Examples
    --------
    >>> from linop.geometry import block_bounds
    >>> block_bounds((4, 4, 2))
    (0, 4, 8, 10)
    """
    out = [0]
    for c in sizes:
        if not is_integer(c) or c < 1:
            raise ValueError(f"block sizes must be positive ints; got {tuple(sizes)!r}")
        out.append(out[-1] + int(c))
    return tuple(out)


def _check_bounds(bounds: Sequence[int], length: int, name: str) -> tuple[int, ...]:
    values = tuple(int(b) for b in bounds)
    if len(values) < 2 or values[0] != 0 or values[-1] != length or any(a >= b for a, b in zip(values, values[1:])):
        raise ValueError(f"{name} must increase strictly from 0 to {length}; got {values!r}")
    return values


def block_input_range(axis: AxisGeometry, j_lo: int, j_hi: int) -> tuple[int, int]:
    """The half-open range of input indices that a block of outputs of ``axis`` reads.

    The outputs ``j_lo`` to ``j_hi - 1`` read ``[s*j_lo - p_lo, s*(j_hi-1) + d*(k-1) + 1 - p_lo)``,
    in unpadded coordinates, possibly outside ``[0, n)``: indices below 0 or from ``n`` on lie in the padding
    and are folded by the boundary mode (:func:`~linop.geometry.fold_pieces`); the part inside
    ``[0, n)`` may span several input blocks (the halo).

    Parameters
    ----------
    axis : AxisGeometry
        The axis's index map.
    j_lo, j_hi : int
        The block of outputs, ``0 <= j_lo < j_hi <= m``.

    Returns
    -------
    (int, int)
        The half-open range of input indices.

    Raises
    ------
    ValueError
        If the block is empty or outside ``[0, m)``.

    Examples
    --------
    >>> from linop.geometry import AxisGeometry, block_input_range
    >>> block_input_range(AxisGeometry(n=10, k=3, stride=2, pad_low=1, pad_high=1), 2, 4)
    (3, 8)
    """
    if not 0 <= j_lo < j_hi <= axis.output_size:
        raise ValueError(f"output block must satisfy 0 <= j_lo < j_hi <= {axis.output_size}; got ({j_lo}, {j_hi})")
    start, stop = axis.input_span(j_lo, j_hi)
    return start - axis.pad_low, stop - axis.pad_low


def window_centre(axis: AxisGeometry, j: int) -> int:
    """The input index at the centre of the window of output ``j``.

    ``c_j = s*j + floor((e-1)/2) - p_lo``; for an even extent it is the lower of the two middle samples.
    With ``"same"`` padding at stride 1, ``c_j = j``; for a one-tap window it is the sample the output reads.

    Parameters
    ----------
    axis : AxisGeometry
        The axis's index map.
    j : int
        An output index.

    Returns
    -------
    int
        The input index ``c_j`` (possibly outside ``[0, n)``).

    Examples
    --------
    >>> from linop.geometry import AxisGeometry, window_centre
    >>> window_centre(AxisGeometry(n=10, k=3, stride=2, pad_low=1, pad_high=1), 3)
    6
    """
    return axis.stride * j + (axis.extent - 1) // 2 - axis.pad_low


def output_block_bounds(axis: AxisGeometry, input_bounds: Sequence[int]) -> tuple[int, ...]:
    """Stride-aligned output block boundaries for input blocks with boundaries ``input_bounds``.

    Output ``j`` belongs to the input block that holds its window's centre
    (:func:`window_centre`): an input boundary ``b`` becomes the output boundary
    ``q = clip(ceil((b - floor((e-1)/2) + p_lo) / s), 0, m)``, the number of outputs
    whose centre lies before ``b``. The first and last boundaries are ``0`` and
    ``m``; empty output blocks (an input block holding no window centre) are
    dropped, so the output blocks partition ``0 .. m-1``. Each output block reads its
    own input block plus a halo of about ``(e-1)/2`` samples on either side (at the
    outer edges, the padding): a stride-1 ``"same"`` convolution keeps the chunks.

    Parameters
    ----------
    axis : AxisGeometry
        The axis's index map.
    input_bounds : sequence of int
        ``0 = b_0 < b_1 < ... < b_C = n`` (:func:`block_bounds` of the chunk sizes).

    Returns
    -------
    tuple of int
        ``0 = q_0 < q_1 < ... = m``.

    Raises
    ------
    ValueError
        If ``input_bounds`` does not run from 0 to ``n`` in increasing order.

    Examples
    --------
    >>> from linop.geometry import AxisGeometry, output_block_bounds
    >>> output_block_bounds(AxisGeometry(n=10, k=3, stride=2, pad_low=1, pad_high=1), (0, 4, 7, 10))
    (0, 2, 4, 5)
    >>> output_block_bounds(AxisGeometry(n=10, k=3, pad_low=1, pad_high=1), (0, 4, 7, 10))
    (0, 4, 7, 10)
    """
    bounds = _check_bounds(input_bounds, axis.n, "input_bounds")
    m = axis.output_size
    shift = (axis.extent - 1) // 2 - axis.pad_low
    out = [0]
    for b in bounds[1:-1]:
        q = min(max(-(-(b - shift) // axis.stride), 0), m)
        if q > out[-1]:
            out.append(q)
    if out[-1] < m:
        out.append(m)
    return tuple(out)


def input_block_bounds(axis: AxisGeometry, output_bounds: Sequence[int]) -> tuple[int, ...]:
    """Input block boundaries matching output blocks with boundaries ``output_bounds``.

    The inverse of :func:`output_block_bounds`: an output boundary ``q`` becomes the
    input boundary ``b = clip(c_q, 0, n)``, the centre of output ``q``'s window
    (:func:`window_centre`); ``0`` and ``n`` close the ends and empty blocks are
    dropped. The adjoint of a blocked convolution adds each output block's
    contribution into its own input block and the halo parts into the neighbours
    (an overlap-add).

    Parameters
    ----------
    axis : AxisGeometry
        The axis's index map.
    output_bounds : sequence of int
        ``0 = q_0 < q_1 < ... = m``.

    Returns
    -------
    tuple of int
        ``0 = b_0 < b_1 < ... = n``.

    Raises
    ------
    ValueError
        If ``output_bounds`` does not run from 0 to ``m`` in increasing order.

    Examples
    --------
    >>> from linop.geometry import AxisGeometry, input_block_bounds
    >>> input_block_bounds(AxisGeometry(n=10, k=3, stride=2, pad_low=1, pad_high=1), (0, 2, 4, 5))
    (0, 4, 8, 10)
    """
    bounds = _check_bounds(output_bounds, axis.output_size, "output_bounds")
    out = [0]
    for q in bounds[1:-1]:
        b = min(max(window_centre(axis, q), 0), axis.n)
        if b > out[-1]:
            out.append(b)
    if out[-1] < axis.n:
        out.append(axis.n)
    return tuple(out)
