"""The index arithmetic of one spatial axis of a convolution.

With input length ``n``, kernel length ``k``, stride ``s``, dilation ``d`` and padding
``(p_lo, p_hi)``:

* kernel extent: ``e = d*(k - 1) + 1``
* padded length: ``P = n + p_lo + p_hi``
* output length: ``m = floor((P - e) / s) + 1``
* forward index map (cross-correlation): output ``j`` meets kernel tap ``t`` at
  input index ``i = s*j + d*t - p_lo`` (padded index ``i + p_lo``)
* inverse map (used by the adjoint): input ``i`` meets output ``j`` through tap
  ``t = (i + p_lo - s*j) / d`` whenever that is an integer in ``[0, k)``

An index outside ``[0, n)`` is folded back by the boundary mode
(:func:`linop.geometry.fold_index`). Sizes are Python ints, so dilations and
paddings may be far larger than the input: :meth:`AxisGeometry.tap_sources` folds each
tap's offset exactly before any array arithmetic.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..deprecation import renamed_keyword, warn_deprecated
from .boundary import fold_index

__all__ = ["AxisGeometry", "kernel_extent"]


def kernel_extent(k: int, dilation: int) -> int:
    """Span of a dilated kernel: ``d*(k-1) + 1``."""
    return dilation * (k - 1) + 1


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

    @renamed_keyword("mode", "boundary")
    def fold_period(self, boundary: str) -> int | None:
        """The period of :func:`fold_index` on this axis: ``n`` (``wrap``), ``2(n-1)``
        (``reflect``, ``1`` when ``n == 1``), ``2n`` (``symmetric``); ``None`` for
        ``constant`` and ``edge``, which do not repeat."""
        if boundary == "wrap":
            return self.n
        if boundary == "reflect":
            return max(2 * (self.n - 1), 1)
        if boundary == "symmetric":
            return 2 * self.n
        return None

    @renamed_keyword("mode", "boundary")
    def tap_sources(self, t: int, boundary: str) -> np.ndarray:
        """For every output ``j``, the input index tap ``t`` meets, folded by ``boundary``:
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
        period = self.fold_period(boundary)
        if period is not None:
            return fold_index((s % period) * j + offset % period, self.n, boundary)
        j_lo = max(0, -(offset // s))  # ceil(-offset / s)
        j_hi = min(m - 1, (self.n - 1 - offset) // s)
        if boundary == "constant":
            out = np.full(m, -1, dtype=np.int64)
        elif boundary == "edge":
            out = np.where(j < j_lo, 0, self.n - 1).astype(np.int64)
        else:
            raise ValueError(f"unknown boundary mode {boundary!r}")
        if j_lo <= j_hi:  # in range: first < n, and s < n when more than one output is in range
            first = s * j_lo + offset
            out[j_lo : j_hi + 1] = first + s * np.arange(j_hi - j_lo + 1, dtype=np.int64) if j_hi > j_lo else first
        return out

    @renamed_keyword("mode", "boundary")
    def source_index(self, boundary: str) -> np.ndarray:
        """For every padded position ``0..P-1``, the input index it copies (``-1``: zero)."""
        return fold_index(np.arange(self.padded_size) - self.pad_low, self.n, boundary)

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
        """Deprecated: :func:`linop.geometry.transposed_output_padding` (``axis``)."""
        from .transposed_sizes import transposed_output_padding

        warn_deprecated("AxisGeometry.transposed_output_padding", "linop.geometry.transposed_output_padding(axis)")
        return transposed_output_padding(self)

    def index_range(self) -> tuple[int, int]:
        """Smallest and largest input index ``s*j + d*t - p_lo`` the forward map reads:
        ``(-p_lo, used_size - 1 - p_lo)`` (out-of-range ones are folded by the boundary)."""
        return -self.pad_low, self.used_size - 1 - self.pad_low

    # -- deprecated: the block arithmetic moved to linop.geometry.blocks -------------------
    def block_input_range(self, j_lo: int, j_hi: int) -> tuple[int, int]:
        """Deprecated: :func:`linop.geometry.block_input_range` (``axis, j_lo, j_hi``)."""
        from . import blocks

        warn_deprecated("AxisGeometry.block_input_range", "linop.geometry.block_input_range(axis, j_lo, j_hi)")
        return blocks.block_input_range(self, j_lo, j_hi)

    def window_centre(self, j: int) -> int:
        """Deprecated: :func:`linop.geometry.window_centre` (``axis, j``)."""
        from . import blocks

        warn_deprecated("AxisGeometry.window_centre", "linop.geometry.window_centre(axis, j)")
        return blocks.window_centre(self, j)

    def output_block_bounds(self, input_bounds: Sequence[int]) -> tuple[int, ...]:
        """Deprecated: :func:`linop.geometry.output_block_bounds` (``axis, input_bounds``)."""
        from . import blocks

        warn_deprecated("AxisGeometry.output_block_bounds", "linop.geometry.output_block_bounds(axis, input_bounds)")
        return blocks.output_block_bounds(self, input_bounds)

    def input_block_bounds(self, output_bounds: Sequence[int]) -> tuple[int, ...]:
        """Deprecated: :func:`linop.geometry.input_block_bounds` (``axis, output_bounds``)."""
        from . import blocks

        warn_deprecated("AxisGeometry.input_block_bounds", "linop.geometry.input_block_bounds(axis, output_bounds)")
        return blocks.input_block_bounds(self, output_bounds)
