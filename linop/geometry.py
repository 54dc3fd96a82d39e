"""The index arithmetic of a convolution, stated once.

Everything in linop that needs to know which input pixel meets which kernel tap
reads it from here: the numeric kernels, the symbolic layer and the catalogue.

Per spatial axis, with input length ``n``, kernel length ``k``, stride ``s``,
dilation ``d`` and padding ``(p_lo, p_hi)``:

* kernel extent: ``e = d*(k - 1) + 1``
* padded length: ``P = n + p_lo + p_hi``
* output length: ``m = floor((P - e) / s) + 1``
* forward index map (cross-correlation): output ``j`` meets kernel tap ``t`` at
  input index ``i = s*j + d*t - p_lo`` (padded index ``i + p_lo``)
* inverse map (used by the adjoint): input ``i`` meets output ``j`` through tap
  ``t = (i + p_lo - s*j) / d`` whenever that is an integer in ``[0, k)``

An index ``i`` outside ``[0, n)`` is folded back by the boundary mode
(:func:`fold_index`), with the names of :func:`numpy.pad`.

Cutting an axis into blocks (chunked and distributed arrays) uses the same map:
output ``j`` belongs to the input block holding its window's centre
``c_j = s*j + floor((e-1)/2) - p_lo`` (:meth:`AxisGeometry.output_block_bounds`), and a block of outputs
``j_lo .. j_hi-1`` reads the input indices
``[s*j_lo - p_lo, s*(j_hi-1) + d*(k-1) + 1 - p_lo)`` (:meth:`AxisGeometry.block_input_range`).

Dilations and paddings may be far larger than the input (``dilation=10**30`` on eight
samples): the sizes are Python ints, :meth:`AxisGeometry.tap_sources` folds each tap's
offset exactly before any array arithmetic, and :attr:`ConvGeometry.padding_dominates`
tells the operators to compute only the taps that reach the input instead of building
the padded signal. Output sizes an array cannot hold are rejected by
:meth:`ConvGeometry.build`.

This module imports nothing else from linop.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Union

import numpy as np

__all__ = [
    "BOUNDARY_ALIASES",
    "BOUNDARY_MODES",
    "AxisGeometry",
    "ConvGeometry",
    "FoldPiece",
    "PaddingSpec",
    "ConvParameters",
    "block_bounds",
    "canonical_boundary",
    "check_flag",
    "fold_index",
    "fold_pieces",
    "matching_high_padding",
    "max_pad_width",
    "per_axis",
    "resolve_padding",
    "transposed_conv_size",
]

#: Largest number of samples an axis or an array may have (``numpy.intp``).
MAX_SAMPLES: int = int(np.iinfo(np.intp).max)
#: The padded grid "dominates" when it holds more than this many times the samples of
#: the input and output grids together (plus :data:`PADDING_SLACK`).
PADDING_DOMINANCE: int = 4
#: Samples of slack in :attr:`ConvGeometry.padding_dominates`, so that small layers keep their usual path.
PADDING_SLACK: int = 2**14

#: Boundary modes, named as in :func:`numpy.pad`.
BOUNDARY_MODES: tuple[str, ...] = ("constant", "wrap", "reflect", "symmetric", "edge")

#: PyTorch's names for the same modes.
BOUNDARY_ALIASES: dict[str, str] = {"zeros": "constant", "circular": "wrap", "replicate": "edge"}

#: The forms the ``padding`` keyword takes: ``"valid"``, ``"same"``, ``"full"``, an int,
#: one int per axis, or one ``(low, high)`` pair per axis (:func:`resolve_padding`).
PaddingSpec = Union[str, int, Sequence[int], Sequence[Sequence[int]]]


def canonical_boundary(boundary: str) -> str:
    """Return the :func:`numpy.pad` name of a boundary mode (aliases resolved).

    Parameters
    ----------
    boundary : str
        A :func:`numpy.pad` name or a PyTorch alias (``"zeros"``, ``"circular"``, ``"replicate"``).

    Returns
    -------
    str
        The :func:`numpy.pad` name.

    Raises
    ------
    ValueError
        If ``boundary`` is not one of :data:`BOUNDARY_MODES` or :data:`BOUNDARY_ALIASES`.

    Examples
    --------
    >>> from linop.geometry import canonical_boundary
    >>> canonical_boundary("circular"), canonical_boundary("reflect")
    ('wrap', 'reflect')
    """
    if not isinstance(boundary, str):
        raise TypeError(f"boundary must be a string, got {type(boundary).__name__}")
    name = BOUNDARY_ALIASES.get(boundary, boundary)
    if name not in BOUNDARY_MODES:
        allowed = ", ".join(repr(b) for b in BOUNDARY_MODES + tuple(BOUNDARY_ALIASES))
        raise ValueError(f"boundary must be one of {allowed}; got {boundary!r}")
    return name


def _as_int(value: object, name: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {value!r}")
    return int(value)


def per_axis(value: int | Sequence[int], ndim: int, name: str, minimum: int = 1) -> tuple[int, ...]:
    """Broadcast an int, or check a sequence of ``ndim`` ints, each ``>= minimum``.

    Parameters
    ----------
    value : int or sequence of int
        One int for every axis, or one per axis.
    ndim : int
        The number of axes.
    name : str
        The keyword's name, for the error message.
    minimum : int, default 1
        The smallest value allowed.

    Returns
    -------
    tuple of int
        One value per axis.

    Raises
    ------
    ValueError
        If the sequence has the wrong length or an entry is below ``minimum``.
    TypeError
        If an entry is not an integer.

    Examples
    --------
    >>> from linop.geometry import per_axis
    >>> per_axis(2, 3, "stride"), per_axis((1, 2), 2, "stride")
    ((2, 2, 2), (1, 2))
    """
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        values = (int(value),) * ndim
    else:
        try:
            values = tuple(_as_int(v, name) for v in value)  # type: ignore[union-attr]
        except TypeError:
            raise TypeError(f"{name} must be an int or a sequence of {ndim} ints, got {value!r}") from None
        if len(values) != ndim:
            raise ValueError(
                f"{name} must be an int or a sequence of {ndim} ints (one per spatial axis); got {value!r}"
            )
    for v in values:
        if v < minimum:
            raise ValueError(f"{name} must be >= {minimum} on every axis; got {value!r}")
    return values


def check_flag(value: object, name: str) -> bool:
    """A keyword that must be ``True`` or ``False`` (``flip``, ``real``, ...).

    Parameters
    ----------
    value : object
        The value received.
    name : str
        The keyword's name, for the error message.

    Returns
    -------
    bool
        ``value`` as a Python bool.

    Raises
    ------
    TypeError
        If ``value`` is not a bool.

    Examples
    --------
    >>> from linop.geometry import check_flag
    >>> check_flag(True, "flip")
    True
    """
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False; got {value!r}")
    return bool(value)


def kernel_extent(k: int, dilation: int) -> int:
    """Span of a dilated kernel: ``d*(k-1) + 1``."""
    return dilation * (k - 1) + 1


def resolve_padding(
    padding: PaddingSpec,
    input_size: Sequence[int],
    kernel_size: Sequence[int],
    stride: Sequence[int],
    dilation: Sequence[int],
) -> tuple[tuple[int, int], ...]:
    """Turn a padding specification into one ``(low, high)`` pair per axis.

    * ``"valid"``: no padding.
    * ``"same"``: output length ``ceil(n / s)``; the total pad
      ``max((ceil(n/s) - 1)*s + d*(k-1) + 1 - n, 0)`` is split with
      ``low = total // 2`` and the extra one on the high side.
    * ``"full"``: ``d*(k-1)`` on both sides (every partial overlap).
    * an int ``p``: ``(p, p)`` on every axis; a sequence of ints: ``(p_i, p_i)``;
      a sequence of pairs: ``(low_i, high_i)``.

    Parameters
    ----------
    padding : str, int or sequence
        ``"valid"``, ``"same"``, ``"full"``, an int, one int per axis, or one ``(low, high)``
        pair per axis.
    input_size, kernel_size, stride, dilation : sequence of int
        One entry per spatial axis.

    Returns
    -------
    tuple of (int, int)
        ``(low, high)`` per axis.

    Raises
    ------
    ValueError
        For an unknown name, a negative pad or a sequence of the wrong length.

    Examples
    --------
    >>> from linop.geometry import resolve_padding
    >>> resolve_padding("same", (16, 15), (3, 4), (2, 1), (1, 1))
    ((0, 1), (1, 2))
    >>> resolve_padding([(1, 0)], (7,), (3,), (1,), (1,))
    ((1, 0),)
    """
    ndim = len(input_size)
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * ndim
        if padding == "same":
            pads = []
            for n, k, s, d in zip(input_size, kernel_size, stride, dilation):
                out = -(-n // s)
                total = max((out - 1) * s + kernel_extent(k, d) - n, 0)
                pads.append((total // 2, total - total // 2))
            return tuple(pads)
        if padding == "full":
            return tuple((d * (k - 1),) * 2 for k, d in zip(kernel_size, dilation))
        raise ValueError(
            f"padding must be 'valid', 'same', 'full', an int, one int per axis or one (low, high) "
            f"pair per axis; got {padding!r}"
        )
    if isinstance(padding, (int, np.integer)) and not isinstance(padding, (bool, np.bool_)):
        p = per_axis(int(padding), ndim, "padding", minimum=0)
        return tuple((v, v) for v in p)
    try:
        items = list(padding)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(f"padding must be a string, an int or a sequence; got {padding!r}") from None
    if len(items) != ndim:
        raise ValueError(
            f"padding must have one entry per spatial axis ({ndim}); got {padding!r}"
        )
    pairs = []
    for item in items:
        if isinstance(item, (int, np.integer)) and not isinstance(item, (bool, np.bool_)):
            pair = (int(item), int(item))
        else:
            try:
                pair = tuple(_as_int(v, "padding") for v in item)  # type: ignore[union-attr]
            except TypeError:
                raise TypeError(f"padding entries must be ints or (low, high) pairs; got {padding!r}") from None
            if len(pair) != 2:
                raise ValueError(f"padding pairs must be (low, high); got {padding!r}")
        if min(pair) < 0:
            raise ValueError(f"padding must be >= 0; got {padding!r}")
        pairs.append(pair)
    return tuple(pairs)  # type: ignore[return-value]


def transposed_conv_size(
    m: int, k: int, stride: int = 1, dilation: int = 1, padding: int = 0, output_padding: int = 0
) -> int:
    """Output length of a transposed convolution written the PyTorch way (input length ``m``).

    .. math::

        n = (m - 1)\\,s - 2p + d\\,(k - 1) + \\mathrm{output\\_padding} + 1

    It is the input length ``n`` of the convolution it transposes; see
    :attr:`AxisGeometry.transposed_output_padding` for the way back.

    Parameters
    ----------
    m : int
        The transposed convolution's input length (the convolution's output length).
    k : int
        The kernel length.
    stride, dilation : int, default 1
        As in the convolution.
    padding : int, default 0
        Cropped from both ends of the full transposed result.
    output_padding : int, default 0
        Extra samples at the high end.

    Returns
    -------
    int
        The output length ``n``.

    Examples
    --------
    >>> from linop.geometry import transposed_conv_size
    >>> transposed_conv_size(4, 3, stride=2, padding=1, output_padding=1)  # 4 -> 8, as in ConvTranspose1d
    8
    """
    return (m - 1) * stride - 2 * padding + kernel_extent(k, dilation) + output_padding


def matching_high_padding(n: int, k: int, stride: int, dilation: int, pad_low: int, output_size: int) -> int | None:
    """A high pad ``p_hi >= 0`` with which a convolution of an axis of length ``n`` has ``output_size`` outputs.

    ``floor((n + p_lo + p_hi - d (k-1) - 1) / s) + 1 = m`` holds for
    ``p_hi`` in ``[h, h + s - 1]`` with ``h = (m - 1) s + d (k-1) + 1 - n - p_lo``; the
    symmetric ``p_hi = p_lo`` is preferred when it lies in that range, else the smallest
    non-negative one.

    Parameters
    ----------
    n, k : int
        The input and kernel lengths.
    stride, dilation : int
        As in the convolution.
    pad_low : int
        The low pad ``p_lo``.
    output_size : int
        The number of outputs ``m`` wanted.

    Returns
    -------
    int or None
        The high pad, or ``None`` when the range holds no non-negative pad (the input is
        longer than ``m`` outputs can read).

    Examples
    --------
    >>> from linop.geometry import matching_high_padding
    >>> matching_high_padding(8, 3, stride=2, dilation=1, pad_low=1, output_size=4)
    1
    >>> matching_high_padding(9, 3, stride=2, dilation=1, pad_low=0, output_size=3) is None
    True
    """
    lowest = (output_size - 1) * stride + kernel_extent(k, dilation) - n - pad_low
    if lowest <= pad_low <= lowest + stride - 1:
        return pad_low
    candidate = max(0, lowest)
    return candidate if candidate <= lowest + stride - 1 else None


def max_pad_width(n: int, mode: str) -> int | None:
    """Widest pad a boundary mode allows on an axis of length ``n`` (``None``: unbounded).

    ``reflect`` mirrors about the edge sample, so it can reach ``n - 1`` samples
    (as in PyTorch); ``symmetric`` mirrors including the edge sample, ``n``
    samples. ``constant``, ``wrap`` and ``edge`` are defined for any width.

    Parameters
    ----------
    n : int
        The axis length.
    mode : str
        A boundary mode (a :func:`numpy.pad` name).

    Returns
    -------
    int or None
        The widest pad, ``None`` when any width is allowed.

    Examples
    --------
    >>> from linop.geometry import max_pad_width
    >>> max_pad_width(5, "reflect"), max_pad_width(5, "symmetric"), max_pad_width(5, "wrap")
    (4, 5, None)
    """
    if mode == "reflect":
        return n - 1
    if mode == "symmetric":
        return n
    return None


def fold_index(i: np.ndarray | int, n: int, mode: str) -> np.ndarray:
    """Map (possibly out-of-range) indices ``i`` of an axis of length ``n`` into ``[0, n)``.

    ``constant`` returns ``-1`` for indices outside ``[0, n)`` (the value there is zero).
    The other modes follow :func:`numpy.pad`:

    * ``wrap``: ``i mod n``
    * ``reflect``: period ``2(n-1)``, ``r = i mod 2(n-1)``, ``min(r, 2(n-1) - r)``
      (``0`` when ``n == 1``)
    * ``symmetric``: period ``2n``, ``r = i mod 2n``, ``min(r, 2n - 1 - r)``
    * ``edge``: ``clip(i, 0, n-1)``

    Parameters
    ----------
    i : int or ndarray of int
        Indices, possibly outside ``[0, n)``.
    n : int
        The axis length.
    mode : str
        A boundary mode (a :func:`numpy.pad` name).

    Returns
    -------
    ndarray of int
        The folded indices (``-1`` where ``constant`` gives zero).

    Raises
    ------
    ValueError
        For an unknown boundary mode.

    Examples
    --------
    >>> from linop.geometry import fold_index
    >>> fold_index(np.arange(-3, 8), 5, "reflect")
    array([3, 2, 1, 0, 1, 2, 3, 4, 3, 2, 1])
    >>> fold_index(np.arange(-3, 8), 5, "wrap")
    array([2, 3, 4, 0, 1, 2, 3, 4, 0, 1, 2])
    """
    idx = np.asarray(i, dtype=np.int64)
    if mode == "constant":
        return np.where((idx >= 0) & (idx < n), idx, -1)
    if mode == "wrap":
        return np.mod(idx, n)
    if mode == "reflect":
        if n == 1:
            return np.zeros_like(idx)
        period = 2 * (n - 1)
        r = np.mod(idx, period)
        return np.minimum(r, period - r)
    if mode == "symmetric":
        period = 2 * n
        r = np.mod(idx, period)
        return np.minimum(r, period - 1 - r)
    if mode == "edge":
        return np.clip(idx, 0, n - 1)
    raise ValueError(f"unknown boundary mode {mode!r}")


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
        if isinstance(c, (bool, np.bool_)) or not isinstance(c, (int, np.integer)) or c < 1:
            raise ValueError(f"block sizes must be positive ints; got {tuple(sizes)!r}")
        out.append(out[-1] + int(c))
    return tuple(out)


def _check_bounds(bounds: Sequence[int], length: int, name: str) -> tuple[int, ...]:
    values = tuple(int(b) for b in bounds)
    if len(values) < 2 or values[0] != 0 or values[-1] != length or any(
        a >= b for a, b in zip(values, values[1:])
    ):
        raise ValueError(f"{name} must increase strictly from 0 to {length}; got {values!r}")
    return values


@dataclass(frozen=True)
class AxisGeometry:
    """Index arithmetic of one spatial axis of a convolution.

    Parameters
    ----------
    n : int
        The input length.
    k : int
        The kernel length.
    stride, dilation : int, default 1
        The step between outputs and between kernel taps.
    pad_low, pad_high : int, default 0
        The padding before and after the input.

    Examples
    --------
    >>> from linop.geometry import AxisGeometry
    >>> axis = AxisGeometry(n=7, k=3, stride=2)
    >>> axis.output_size
    3
    >>> int(axis.input_index(1, 2))             # output 1 meets tap 2 at input 2*1 + 2
    4
    """

    n: int
    k: int
    stride: int = 1
    dilation: int = 1
    pad_low: int = 0
    pad_high: int = 0

    @property
    def extent(self) -> int:
        """``d*(k-1) + 1``: the input span one output sees."""
        return kernel_extent(self.k, self.dilation)

    @property
    def padded_size(self) -> int:
        """``n + p_lo + p_hi``."""
        return self.n + self.pad_low + self.pad_high

    @property
    def output_size(self) -> int:
        """``floor((n + p_lo + p_hi - d*(k-1) - 1) / s) + 1`` (may be < 1 for an invalid set-up)."""
        return (self.padded_size - self.extent) // self.stride + 1

    @property
    def used_size(self) -> int:
        """Padded samples that some output reads: ``s*(m-1) + d*(k-1) + 1``.

        The remaining ``padded_size - used_size`` samples at the high end are
        never read (the last partial window is dropped); the adjoint gives them zero.
        """
        return self.stride * (self.output_size - 1) + self.extent

    def input_index(self, j: np.ndarray | int, t: np.ndarray | int) -> np.ndarray:
        """Input index (unpadded coordinates) that output ``j`` meets through tap ``t``:
        ``s*j + d*t - p_lo``."""
        return self.stride * np.asarray(j) + self.dilation * np.asarray(t) - self.pad_low

    def padded_index(self, j: np.ndarray | int, t: np.ndarray | int) -> np.ndarray:
        """Index into the padded input: ``s*j + d*t``."""
        return self.stride * np.asarray(j) + self.dilation * np.asarray(t)

    def tap_slice(self, t: int) -> slice:
        """Slice of the padded axis that tap ``t`` reads across all outputs:
        ``d*t, d*t + s, ..., d*t + s*(m-1)``."""
        start = self.dilation * t
        return slice(start, start + self.stride * (self.output_size - 1) + 1, self.stride)

    def output_range(self, i: int) -> tuple[int, int]:
        """Inclusive range ``[j_lo, j_hi]`` of outputs whose window covers padded index ``i``
        (taps still have to satisfy the divisibility ``(i - s*j) % d == 0``):
        ``j_lo = max(0, ceil((i - d*(k-1)) / s))``, ``j_hi = min(m-1, floor(i / s))``."""
        lo = max(0, -(-(i - self.dilation * (self.k - 1)) // self.stride))
        hi = min(self.output_size - 1, i // self.stride)
        return lo, hi

    def input_span(self, j_lo: int, j_hi: int) -> tuple[int, int]:
        """Half-open range ``[s*j_lo, s*(j_hi-1) + d*(k-1) + 1)`` of padded indices that the
        outputs ``j_lo .. j_hi-1`` read (``j_lo < j_hi``).

        Cutting the output into blocks of rows and each block's input to this span gives
        independent smaller convolutions with the same kernel, stride and dilation.
        """
        return self.stride * j_lo, self.stride * (j_hi - 1) + self.extent

    @property
    def phase_length(self) -> int:
        """``ceil(P / s)``: samples in the longest polyphase component ``x_p[phi], x_p[phi+s], ...``."""
        return -(-self.padded_size // self.stride)

    def component_length(self, phi: int) -> int:
        """``ceil((P - phi) / s)``: samples in polyphase component ``phi`` (padded samples
        ``phi, phi + s, ...``)."""
        return -(-(self.padded_size - phi) // self.stride)

    def polyphase_tap(self, t: int) -> tuple[int, int]:
        """Phase ``phi`` and offset ``a`` of tap ``t`` in the polyphase decomposition.

        ``s*j + d*t = s*(j + a) + phi`` with ``phi = (d*t) mod s`` and ``a = floor(d*t / s)``:
        tap ``t`` reads polyphase component ``phi`` (padded samples ``phi + s*u``) at
        ``u = j + a``, so a strided correlation becomes ``s`` stride-1 correlations.
        Valid outputs read ``u <= floor((P-1)/s) < ceil(P/s)``.
        """
        return (self.dilation * t) % self.stride, (self.dilation * t) // self.stride

    @property
    def reads_input(self) -> bool:
        """Whether some output meets some input sample through some tap, i.e. some
        ``s*j + d*t - p_lo`` lies in ``[0, n)``. When it does not, every tap of every output
        lands in the padding, and with a ``constant`` boundary the operator is zero."""
        reach = self.input_index(np.arange(self.output_size)[:, None], np.arange(self.k)[None, :])
        return bool(np.any((reach >= 0) & (reach < self.n)))

    def fold_period(self, mode: str) -> int | None:
        """The period of :func:`fold_index` on this axis: ``n`` (``wrap``), ``2(n-1)``
        (``reflect``, ``1`` when ``n == 1``), ``2n`` (``symmetric``); ``None`` for
        ``constant`` and ``edge``, which do not repeat."""
        if mode == "wrap":
            return self.n
        if mode == "reflect":
            return max(2 * (self.n - 1), 1)
        if mode == "symmetric":
            return 2 * self.n
        return None

    def tap_sources(self, t: int, mode: str) -> np.ndarray:
        """For every output ``j``, the input index tap ``t`` meets, folded by ``mode``:
        ``fold(s*j + d*t - p_lo)`` (``-1``: a zero of ``constant`` padding), shape ``(m,)``.

        Exact for any size of dilation and padding, in memory ``O(m)``: the offset
        ``d*t - p_lo`` (a Python int) is reduced before any array arithmetic, modulo the
        fold period for the periodic modes, and for ``constant``/``edge`` only the outputs
        ``j_lo <= j <= j_hi`` with ``0 <= s*j + d*t - p_lo < n`` are computed:
        ``j_lo = ceil((p_lo - d*t) / s)``, ``j_hi = floor((n - 1 + p_lo - d*t) / s)``.

        Examples
        --------
        >>> AxisGeometry(8, 3, dilation=10**30, pad_low=10**30, pad_high=10**30).tap_sources(1, "constant")
        array([0, 1, 2, 3, 4, 5, 6, 7])
        >>> AxisGeometry(8, 3, dilation=10**30, pad_low=10**30, pad_high=10**30).tap_sources(0, "wrap")
        array([0, 1, 2, 3, 4, 5, 6, 7])
        """
        m, s = self.output_size, self.stride
        offset = self.dilation * int(t) - self.pad_low
        j = np.arange(m, dtype=np.int64)
        period = self.fold_period(mode)
        if period is not None:
            return fold_index((s % period) * j + offset % period, self.n, mode)
        j_lo = max(0, -(offset // s))  # ceil(-offset / s)
        j_hi = min(m - 1, (self.n - 1 - offset) // s)
        if mode == "constant":
            out = np.full(m, -1, dtype=np.int64)
        elif mode == "edge":
            out = np.where(j < j_lo, 0, self.n - 1).astype(np.int64)
        else:
            raise ValueError(f"unknown boundary mode {mode!r}")
        if j_lo <= j_hi:  # in range: first < n, and s < n when more than one output is in range
            first = s * j_lo + offset
            out[j_lo : j_hi + 1] = first + s * np.arange(j_hi - j_lo + 1, dtype=np.int64) if j_hi > j_lo else first
        return out

    def source_index(self, mode: str) -> np.ndarray:
        """For every padded position ``0..P-1``, the input index it copies (``-1``: zero)."""
        return fold_index(np.arange(self.padded_size) - self.pad_low, self.n, mode)

    @property
    def zero_inserted_size(self) -> int:
        """Length of the output with ``s - 1`` zeros between neighbours: ``s*(m-1) + 1``."""
        return self.stride * (self.output_size - 1) + 1

    @property
    def transposed_padding(self) -> tuple[int, int]:
        """Zero padding that turns the adjoint into a stride-1 correlation.

        The adjoint on this axis (before the boundary fold) equals: insert ``s - 1``
        zeros between the outputs (length ``s*(m-1) + 1``), pad by
        ``(d*(k-1), d*(k-1) + P - used_size)`` with zeros, and correlate with the
        reversed kernel at dilation ``d`` and stride 1; this gives back exactly the
        ``P = padded_size`` padded samples (``P - used_size`` of them, never read by
        the forward map, come out zero).
        """
        full = self.dilation * (self.k - 1)
        return full, full + self.padded_size - self.used_size

    @property
    def transposed_output_padding(self) -> int:
        """``n + 2 p_lo - used_size``: the ``output_padding`` a transposed convolution that crops
        ``p_lo`` samples on both sides (PyTorch's ``ConvTranspose`` with ``padding=p_lo``) needs
        to return exactly the ``n`` input samples.

        That transposed convolution computes the ``used_size = s (m-1) + d (k-1) + 1``
        samples of the zero-inserted correlation, extends them with zeros to
        ``used_size + output_padding`` and drops ``p_lo`` at both ends; the adjoint here
        keeps ``[p_lo, p_lo + n)`` of the same samples, so the two agree exactly when this
        number is used. It lies in ``[p_lo - p_hi, p_lo - p_hi + s - 1]`` (negative when the
        high pad exceeds the low one: then no such transposed convolution exists).
        """
        return self.n + 2 * self.pad_low - self.used_size

    def index_range(self) -> tuple[int, int]:
        """Smallest and largest input index ``s*j + d*t - p_lo`` the forward map reads:
        ``(-p_lo, used_size - 1 - p_lo)`` (out-of-range ones are folded by the boundary)."""
        return -self.pad_low, self.used_size - 1 - self.pad_low

    # -- blocks of an axis (chunked arrays) ---------------------------------------------
    def block_input_range(self, j_lo: int, j_hi: int) -> tuple[int, int]:
        """Half-open range of input indices (unpadded coordinates, possibly outside ``[0, n)``)
        that the outputs ``j_lo .. j_hi-1`` read (``j_lo < j_hi``):
        ``[s*j_lo - p_lo, s*(j_hi-1) + d*(k-1) + 1 - p_lo)``.

        Indices below 0 or from ``n`` on lie in the padding and are folded by the
        boundary mode (:func:`fold_pieces`); the part inside ``[0, n)`` may span several
        input blocks (the halo).

        Examples
        --------
        >>> AxisGeometry(n=10, k=3, stride=2, pad_low=1, pad_high=1).block_input_range(2, 4)
        (3, 8)
        """
        if not 0 <= j_lo < j_hi <= self.output_size:
            raise ValueError(
                f"output block must satisfy 0 <= j_lo < j_hi <= {self.output_size}; got ({j_lo}, {j_hi})"
            )
        start, stop = self.input_span(j_lo, j_hi)
        return start - self.pad_low, stop - self.pad_low

    def window_centre(self, j: int) -> int:
        """Input index at the centre of output ``j``'s window: ``c_j = s*j + floor((e-1)/2) - p_lo``
        (for an even extent, the lower of the two middle samples).

        With ``"same"`` padding at stride 1, ``c_j = j``; for a one-tap window it is the
        sample the output reads.
        """
        return self.stride * j + (self.extent - 1) // 2 - self.pad_low

    def output_block_bounds(self, input_bounds: Sequence[int]) -> tuple[int, ...]:
        """Stride-aligned output block boundaries for input blocks with boundaries ``input_bounds``.

        Output ``j`` belongs to the input block that holds its window's centre
        (:meth:`window_centre`): an input boundary ``b`` becomes the output boundary
        ``q = clip(ceil((b - floor((e-1)/2) + p_lo) / s), 0, m)``, the number of outputs
        whose centre lies before ``b``. The first and last boundaries are ``0`` and
        ``m``; empty output blocks (an input block holding no window centre) are
        dropped, so the output blocks partition ``0 .. m-1``. Each output block reads its
        own input block plus a halo of about ``(e-1)/2`` samples on either side (at the
        outer edges, the padding): a stride-1 ``"same"`` convolution keeps the chunks.

        Parameters
        ----------
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
        >>> AxisGeometry(n=10, k=3, stride=2, pad_low=1, pad_high=1).output_block_bounds((0, 4, 7, 10))
        (0, 2, 4, 5)
        >>> AxisGeometry(n=10, k=3, pad_low=1, pad_high=1).output_block_bounds((0, 4, 7, 10))
        (0, 4, 7, 10)
        """
        bounds = _check_bounds(input_bounds, self.n, "input_bounds")
        m = self.output_size
        shift = (self.extent - 1) // 2 - self.pad_low
        out = [0]
        for b in bounds[1:-1]:
            q = min(max(-(-(b - shift) // self.stride), 0), m)
            if q > out[-1]:
                out.append(q)
        if out[-1] < m:
            out.append(m)
        return tuple(out)

    def input_block_bounds(self, output_bounds: Sequence[int]) -> tuple[int, ...]:
        """Input block boundaries matching output blocks with boundaries ``output_bounds``.

        The inverse of :meth:`output_block_bounds`: an output boundary ``q`` becomes the
        input boundary ``b = clip(c_q, 0, n)``, the centre of output ``q``'s window
        (:meth:`window_centre`); ``0`` and ``n`` close the ends and empty blocks are
        dropped. The adjoint of a blocked convolution adds each output block's
        contribution into its own input block and the halo parts into the neighbours
        (an overlap-add).

        Raises
        ------
        ValueError
            If ``output_bounds`` does not run from 0 to ``m`` in increasing order.

        Examples
        --------
        >>> AxisGeometry(n=10, k=3, stride=2, pad_low=1, pad_high=1).input_block_bounds((0, 2, 4, 5))
        (0, 4, 8, 10)
        """
        bounds = _check_bounds(output_bounds, self.output_size, "output_bounds")
        out = [0]
        for q in bounds[1:-1]:
            b = min(max(self.window_centre(q), 0), self.n)
            if b > out[-1]:
                out.append(b)
        if out[-1] < self.n:
            out.append(self.n)
        return tuple(out)


@dataclass(frozen=True)
class ConvGeometry:
    """The full geometry of a channels-last convolution.

    Shapes (channels last, as an image ``n_y x n_x x n_c``):

    * input ``(n_1, ..., n_d, c_in)``, output ``(m_1, ..., m_d, c_out)``;
    * kernel ``(k_1, ..., k_d, c_in / groups, c_out)``;
    * output channel ``o`` belongs to group ``g = o // (c_out / groups)`` and reads
      input channels ``g*c_in/groups ... (g+1)*c_in/groups - 1``.

    ``channels=False`` describes the single-channel layout with no channel axis
    (``c_in == c_out == groups == 1``).

    Parameters
    ----------
    axes : tuple of AxisGeometry
        One per spatial axis.
    in_channels, out_channels : int, default 1
        ``c_in`` and ``c_out``.
    groups : int, default 1
        Divides both channel counts.
    boundary : str, default "constant"
        The :func:`numpy.pad` name of the boundary mode.
    channels : bool, default True
        Whether the arrays have a channel axis (last).

    Examples
    --------
    >>> from linop.geometry import ConvGeometry
    >>> geom = ConvGeometry.build((16, 16), (3, 3), stride=2, padding="same", in_channels=4, out_channels=8)
    >>> geom.input_shape, geom.output_shape, geom.kernel_shape
    ((16, 16, 4), (8, 8, 8), (3, 3, 4, 8))
    >>> geom.padding
    ((0, 1), (0, 1))
    """

    axes: tuple[AxisGeometry, ...]
    in_channels: int = 1
    out_channels: int = 1
    groups: int = 1
    boundary: str = "constant"
    channels: bool = True

    @classmethod
    def build(
        cls,
        input_size: Sequence[int],
        kernel_size: Sequence[int],
        *,
        stride: int | Sequence[int] = 1,
        padding: PaddingSpec = "valid",
        dilation: int | Sequence[int] = 1,
        in_channels: int = 1,
        out_channels: int = 1,
        groups: int = 1,
        boundary: str = "constant",
        channels: bool = True,
    ) -> "ConvGeometry":
        """Check every parameter and resolve the padding.

        Raises
        ------
        ValueError
            Stride or dilation below 1, groups not dividing the channels, a pad
            wider than the boundary mode allows, or an output length below 1.
        """
        ndim = len(input_size)
        if len(kernel_size) != ndim:
            raise ValueError(
                f"kernel has {len(kernel_size)} spatial axes but the input has {ndim} "
                f"(input spatial shape {tuple(input_size)}, kernel spatial shape {tuple(kernel_size)})"
            )
        for n in input_size:
            if n < 1:
                raise ValueError(f"input_shape must have positive sizes; got {tuple(input_size)}")
        for k in kernel_size:
            if k < 1:
                raise ValueError(f"kernel must have positive sizes; got {tuple(kernel_size)}")
        strides = per_axis(stride, ndim, "stride")
        dilations = per_axis(dilation, ndim, "dilation")
        groups = _as_int(groups, "groups")
        if groups < 1:
            raise ValueError(f"groups must be >= 1; got {groups}")
        if in_channels % groups or out_channels % groups:
            raise ValueError(
                f"groups must divide both channel counts; got groups={groups}, "
                f"in_channels={in_channels}, out_channels={out_channels}"
            )
        mode = canonical_boundary(boundary)
        pads = resolve_padding(padding, input_size, kernel_size, strides, dilations)
        axes = tuple(
            AxisGeometry(int(n), int(k), s, d, lo, hi)
            for n, k, s, d, (lo, hi) in zip(input_size, kernel_size, strides, dilations, pads)
        )
        for a, ax in enumerate(axes):
            limit = max_pad_width(ax.n, mode)
            if limit is not None and max(ax.pad_low, ax.pad_high) > limit:
                raise ValueError(
                    f"boundary={mode!r} allows a pad of at most {limit} on an axis of length {ax.n}; "
                    f"axis {a} has padding ({ax.pad_low}, {ax.pad_high})"
                )
            if ax.output_size < 1:
                raise ValueError(
                    f"output size on axis {a} would be {ax.output_size}: the kernel span "
                    f"dilation*(k-1)+1 = {ax.extent} exceeds the padded input length {ax.padded_size} "
                    f"(n={ax.n}, padding=({ax.pad_low}, {ax.pad_high}))"
                )
        outputs = math.prod(ax.output_size for ax in axes) * int(out_channels)
        if outputs > MAX_SAMPLES:
            raise ValueError(
                f"padding={padding!r} with dilation={dilation!r} and stride={stride!r} gives an output of "
                f"{'x'.join(str(ax.output_size) for ax in axes)} samples ({outputs:.3g} with the channels), "
                f"more than an array can hold ({MAX_SAMPLES}); use a smaller padding or dilation, or a larger stride"
            )
        return cls(axes, int(in_channels), int(out_channels), groups, mode, channels)

    # -- derived sizes -------------------------------------------------------------------
    @property
    def ndim(self) -> int:
        return len(self.axes)

    @property
    def input_size(self) -> tuple[int, ...]:
        return tuple(a.n for a in self.axes)

    @property
    def kernel_size(self) -> tuple[int, ...]:
        return tuple(a.k for a in self.axes)

    @property
    def output_size(self) -> tuple[int, ...]:
        return tuple(a.output_size for a in self.axes)

    @property
    def padded_size(self) -> tuple[int, ...]:
        return tuple(a.padded_size for a in self.axes)

    @property
    def stride(self) -> tuple[int, ...]:
        return tuple(a.stride for a in self.axes)

    @property
    def dilation(self) -> tuple[int, ...]:
        return tuple(a.dilation for a in self.axes)

    @property
    def padding(self) -> tuple[tuple[int, int], ...]:
        return tuple((a.pad_low, a.pad_high) for a in self.axes)

    @property
    def in_per_group(self) -> int:
        return self.in_channels // self.groups

    @property
    def out_per_group(self) -> int:
        return self.out_channels // self.groups

    @property
    def input_shape(self) -> tuple[int, ...]:
        """Shape of the arrays the convolution maps from."""
        return self.input_size + ((self.in_channels,) if self.channels else ())

    @property
    def output_shape(self) -> tuple[int, ...]:
        """Shape of the arrays the convolution maps to."""
        return self.output_size + ((self.out_channels,) if self.channels else ())

    @property
    def kernel_shape(self) -> tuple[int, ...]:
        """Shape of the kernel: ``(k_1..k_d, c_in/groups, c_out)``, or ``(k_1..k_d)``."""
        return self.kernel_size + ((self.in_per_group, self.out_channels) if self.channels else ())

    @property
    def has_padding(self) -> bool:
        return any(a.pad_low or a.pad_high for a in self.axes)

    @property
    def padding_dominates(self) -> bool:
        """Whether the padded grid is far larger than what the convolution reads and writes:
        ``prod(P) > PADDING_DOMINANCE * (prod(n) + prod(m) + PADDING_SLACK)``.

        Then the operators compute only the taps that reach the input
        (:meth:`AxisGeometry.tap_sources`) instead of building the padded signal, whose
        size is unbounded in the dilation and padding (a dilation of ``10**7`` on eight
        samples would pad them to twenty million).
        """
        padded = math.prod(self.padded_size)
        return padded > PADDING_DOMINANCE * (math.prod(self.input_size) + math.prod(self.output_size) + PADDING_SLACK)

    def tap_input_indices(self, tap: Sequence[int]) -> np.ndarray:
        """For tap ``tap`` (one index per axis), the flat (C-order) index of the input sample
        each output meets, shape ``output_size`` (``-1``: a zero of ``constant`` padding);
        :meth:`AxisGeometry.tap_sources` per axis, combined."""
        flat = np.zeros(self.output_size, dtype=np.int64)
        outside = np.zeros(self.output_size, dtype=bool)
        for a, ax in enumerate(self.axes):
            shape = [1] * self.ndim
            shape[a] = ax.output_size
            src = ax.tap_sources(tap[a], self.boundary).reshape(shape)
            flat = flat * ax.n + src
            outside = outside | (src < 0)
        return np.where(outside, -1, flat)

    def unpadded(self) -> "ConvGeometry":
        """The same convolution on the already padded input (``padding='valid'``): the
        geometry the numeric backends compute.

        A one-tap axis gets dilation 1 here: its span ``d*(k-1)`` is 0 for every ``d``, so the
        map is the same, and no backend multiplies an index step by a dilation that is never
        used (and may not fit in a C integer).
        """
        axes = tuple(
            AxisGeometry(a.padded_size, a.k, a.stride, a.dilation if a.k > 1 else 1, 0, 0) for a in self.axes
        )
        return ConvGeometry(axes, self.in_channels, self.out_channels, self.groups, "constant", self.channels)

    def input_channel(self, out_channel: int, c: int) -> int:
        """Input channel that kernel channel ``c`` of output channel ``out_channel`` reads:
        ``(out_channel // (c_out/groups)) * (c_in/groups) + c``."""
        return (out_channel // self.out_per_group) * self.in_per_group + c

    def source_indices(self) -> tuple[np.ndarray, ...]:
        """Per axis, the input index each padded position copies (``-1`` for a zero)."""
        return tuple(a.source_index(self.boundary) for a in self.axes)

    def taps(self) -> list[tuple[int, ...]]:
        """All kernel tap multi-indices in C order."""
        return [tuple(int(v) for v in t) for t in np.ndindex(*self.kernel_size)]

    @property
    def flops_per_sample(self) -> int:
        """Multiply-adds of one forward application: ``prod(m) * prod(k) * c_in/groups * c_out``."""
        return math.prod(self.output_size) * math.prod(self.kernel_size) * self.in_per_group * self.out_channels


@dataclass(frozen=True)
class FoldPiece:
    """A stretch ``first <= i <= last`` of indices on which the boundary fold is affine:
    ``fold_index(i, n, mode) == sign*i + offset`` (``sign`` is ``1``, ``-1`` or ``0``).

    Parameters
    ----------
    first, last : int
        The stretch of indices, ``first <= i <= last``.
    sign : int
        ``1``, ``-1`` or ``0``.
    offset : int
        The folded index is ``sign*i + offset``.

    Examples
    --------
    >>> from linop.geometry import FoldPiece, fold_index
    >>> piece = FoldPiece(first=-2, last=-1, sign=-1, offset=0)     # reflect: -1 -> 1, -2 -> 2
    >>> [int(fold_index(i, 5, "reflect")) for i in (-2, -1)] == [piece.sign * i + piece.offset for i in (-2, -1)]
    True
    """

    first: int
    last: int
    sign: int
    offset: int

    def __call__(self, i: int) -> int:
        """The folded index ``sign*i + offset``."""
        return self.sign * i + self.offset


def fold_pieces(n: int, mode: str, low: int, high: int) -> tuple[FoldPiece, ...]:
    """Cut the indices ``low..high`` into the stretches on which :func:`fold_index` is affine.

    The interior ``[0, n-1]`` is one piece (``i -> i``); outside it, per mode:

    * ``constant``: no piece (the value there is zero);
    * ``wrap``: stretch ``t`` is ``[t n, t n + n - 1]`` with ``i -> i - t n``;
    * ``symmetric``: the same stretches, ``i -> i - t n`` for even ``t`` and
      ``i -> (t+1) n - 1 - i`` for odd ``t``;
    * ``reflect`` (``n >= 2``): stretch ``t`` covers ``[t(n-1), (t+1)(n-1)]`` minus the
      turning point it shares with its inner neighbour, ``i -> i - t(n-1)`` for even ``t``
      and ``i -> (t+1)(n-1) - i`` for odd ``t``; for ``n == 1`` every index folds to 0;
    * ``edge``: ``i < 0 -> 0`` and ``i > n-1 -> n-1`` (``sign == 0``).

    Pieces come in increasing order, clipped to ``[low, high]``; empty ones are dropped.

    Parameters
    ----------
    n : int
        The axis length.
    mode : str
        A boundary mode (a :func:`numpy.pad` name).
    low, high : int
        The range of indices to cut, ``low <= i <= high``.

    Returns
    -------
    tuple of FoldPiece
        The affine pieces, in increasing order.

    Raises
    ------
    ValueError
        For an unknown mode, ``n < 1`` or ``low > high``.

    Examples
    --------
    >>> from linop.geometry import fold_pieces
    >>> for piece in fold_pieces(5, "reflect", -2, 6):
    ...     print(piece)
    ...
    FoldPiece(first=-2, last=-1, sign=-1, offset=0)
    FoldPiece(first=0, last=4, sign=1, offset=0)
    FoldPiece(first=5, last=6, sign=-1, offset=8)
    """
    mode = canonical_boundary(mode)
    if n < 1:
        raise ValueError(f"n must be >= 1; got {n}")
    if low > high:
        raise ValueError(f"low must be <= high; got low={low}, high={high}")
    pieces: list[FoldPiece] = []

    def add(first: int, last: int, sign: int, offset: int) -> None:
        first, last = max(first, low), min(last, high)
        if first <= last:
            pieces.append(FoldPiece(first, last, sign, offset))

    if mode == "edge" or (mode == "reflect" and n == 1):
        add(low, -1, 0, 0)
        add(0, n - 1, 1, 0)
        add(n, high, 0, n - 1)
    elif mode == "constant":
        add(0, n - 1, 1, 0)
    elif mode == "reflect":
        half = n - 1
        for t in range(low // half - 1, high // half + 2):
            if t == 0:
                first, last = 0, n - 1
            elif t > 0:
                first, last = t * half + 1, (t + 1) * half
            else:
                first, last = t * half, (t + 1) * half - 1
            if t % 2 == 0:
                add(first, last, 1, -t * half)
            else:
                add(first, last, -1, (t + 1) * half)
    else:  # wrap, symmetric: stretches of length n
        for t in range(low // n, high // n + 1):
            if mode == "wrap" or t % 2 == 0:
                add(t * n, t * n + n - 1, 1, -t * n)
            else:
                add(t * n, t * n + n - 1, -1, (t + 1) * n - 1)
    return tuple(pieces)


class ConvParameters:
    """Mixin: the resolved keywords of anything that holds a :class:`ConvGeometry` as ``geometry``.

    Shared by the numeric operators and the symbolic layer, so both report the parameters
    as the geometry resolved them (one ``(low, high)`` pair per axis for ``padding``, the
    numpy name for ``boundary``).

    Examples
    --------
    >>> A = linop.Convolution(np.ones((3, 3)), (8, 8), stride=2, padding="same", boundary="circular")
    >>> A.stride, A.padding, A.boundary
    ((2, 2), ((0, 1), (0, 1)), 'wrap')
    """

    geometry: ConvGeometry

    @property
    def stride(self) -> tuple[int, ...]:
        return self.geometry.stride

    @property
    def dilation(self) -> tuple[int, ...]:
        return self.geometry.dilation

    @property
    def padding(self) -> tuple[tuple[int, int], ...]:
        return self.geometry.padding

    @property
    def groups(self) -> int:
        return self.geometry.groups

    @property
    def boundary(self) -> str:
        return self.geometry.boundary
