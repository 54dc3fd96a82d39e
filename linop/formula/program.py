"""Running a compiled index formula: strided-slice multiply-adds, NumPy only.

A compiled formula (:class:`Program`) is a list of :class:`Step` s. Each step is one
multiply-add over whole arrays,

.. math::

    \\text{out}[\\text{target view}] \\mathrel{+}= c \\cdot P(\\text{source}[\\text{source view}])

where both views are basic (strided) slices, ``P`` reorders or broadcasts the source's
axes to the target's, and ``c`` is a scalar or an array of coefficients; a step that
sums over an axis the target lacks contracts it (:func:`numpy.einsum`). The steps come
from :mod:`linop.formula.compiler`; this module never imports SymPy, so a compiled
operator runs (and is timed) on NumPy alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from typing_extensions import TypeIs

__all__ = ["BLOCK_BYTES", "Program", "Step"]

#: Bytes of output one block of rows holds: the steps of a block run in the CPU's cache.
BLOCK_BYTES = 1 << 18


@dataclass(frozen=True)
class Step:
    """One multiply-add of a compiled formula (batch axis first in both views).

    Attributes
    ----------
    target, source : tuple
        Basic indices (slices and ints) into the output and the input, without the batch axis.
    coefficient : complex, float or ndarray
        A scalar, or an array broadcastable to the target view (``contract is None``) or
        with the axes named by ``contract``'s first operand.
    permutation : tuple of int or None
        Axes of the source view in the target's order (batch axis 0 included).
    expansion : tuple or None
        Index (``None`` for a new axis) that inserts the target axes the source lacks.
    contract : str or None
        ``"coef_axes,source_axes->target_axes"`` for :func:`numpy.einsum` when the step
        sums over an axis of the source (or of the coefficient) that the target lacks.
    link : (int or None, int or None) or None
        The source axis and the coefficient axis of the output's first axis (to cut the
        step into blocks of output rows).
    convolution : (offset, count, reverse) or None
        A banded sum ``y[k] = sum_l g[k - l] x[l]`` (``reverse``: ``h[k + l]``) computed as
        ``(g * x)[offset:offset + count]``; ``coefficient`` is the kernel ``g``.
    fourier : (sign, N, K) or None
        A DFT sum ``y[k] = sum_m exp(sign 2 pi i k m / N) x[m]``, ``k < K``: an FFT of length ``N``.
    """

    target: tuple
    source: tuple
    coefficient: complex | np.ndarray
    permutation: tuple[int, ...] | None = None
    expansion: tuple | None = None
    contract: str | None = None
    link: tuple[int | None, int | None] | None = None
    convolution: tuple[int, int, bool] | None = None
    fourier: tuple[int, int, int] | None = None

    def astype(self, dtype: np.dtype) -> Step:
        """The step with its coefficient in ``dtype`` (scalars stay Python numbers)."""
        c = self.coefficient
        if isinstance(c, np.ndarray):
            if np.iscomplexobj(c) and not np.issubdtype(dtype, np.complexfloating):
                c = c.real  # the caller checked that no imaginary part is non-zero
            c = c.astype(dtype)
        elif not np.issubdtype(dtype, np.complexfloating):
            c = complex(c).real
        return Step(
            self.target,
            self.source,
            c,
            self.permutation,
            self.expansion,
            self.contract,
            self.link,
            self.convolution,
            self.fourier,
        )

    def rows(self, low: int, high: int, n: int) -> Step | None:
        """The part of the step that writes output rows ``low <= row < high`` (first axis of ``n``),
        with the target rows renumbered from ``low``; ``None`` when it writes none of them."""
        first = self.target[0]
        if not isinstance(first, slice):
            if not low <= first < high:
                return None
            return Step(
                (first - low,) + self.target[1:],
                self.source,
                self.coefficient,
                self.permutation,
                self.expansion,
                None,
                self.link,
            )
        start, stop, stride = first.indices(n)
        count = len(range(start, stop, stride))
        if stride > 0:
            k_lo, k_hi = -((start - low) // stride), -((start - high) // stride)
        else:
            k_lo, k_hi = (start - high) // -stride + 1, (start - low) // -stride + 1
        k_lo, k_hi = max(k_lo, 0), min(k_hi, count)
        if k_lo >= k_hi:
            return None
        t_first = start + stride * k_lo - low
        t_last = t_first + stride * (k_hi - k_lo - 1)
        target = (_progression_slice(t_first, t_last, stride),) + self.target[1:]
        source = self.source
        assert self.link is not None, "a program is cut into rows only when its sliced steps have links"
        source_axis, coefficient_axis = self.link
        if source_axis is not None:
            s = self.source[source_axis]
            s_start, _, s_stride = _bounds(s)
            s_first = s_start + s_stride * k_lo
            s_last = s_first + s_stride * (k_hi - k_lo - 1)
            source = source[:source_axis] + (_progression_slice(s_first, s_last, s_stride),) + source[source_axis + 1 :]
        c = self.coefficient
        if coefficient_axis is not None and isinstance(c, np.ndarray) and c.shape[coefficient_axis] > 1:
            index = [slice(None)] * c.ndim
            index[coefficient_axis] = slice(k_lo, k_hi)
            c = c[tuple(index)]
        return Step(target, source, c, self.permutation, self.expansion, None, self.link)


def _bounds(index: slice) -> tuple[int, int | None, int]:
    return index.start, index.stop, index.step or 1


def _progression_slice(first: int, last: int, stride: int) -> slice:
    """The basic slice of ``first, first + stride, ..., last``."""
    if stride > 0:
        return slice(first, last + 1, stride)
    return slice(first, last - 1 if last - 1 >= 0 else None, stride)


def _is_scalar(c: complex | np.ndarray) -> TypeIs[int | float | complex]:
    return not isinstance(c, np.ndarray)


class Program:
    """The steps of one direction of a formula operator, and how to run them on a batch.

    Parameters
    ----------
    steps : sequence of Step
    input_shape, output_shape : tuple of int
        Shapes of one sample read and written.

    Notes
    -----
    Running costs one pass over the output for its initialisation (skipped when the first
    step writes every output entry) plus one multiply-add per step; a scalar coefficient
    shared by every step is applied once at the end. Steps with a scalar coefficient
    multiply into a scratch buffer instead of allocating a temporary.
    """

    def __init__(
        self, steps: list[Step], input_shape: tuple[int, ...], output_shape: tuple[int, ...], *, blocked: bool = True
    ):
        self.steps = tuple(steps)
        self.block_bytes = BLOCK_BYTES
        self._block_cache: dict[int, list] = {}
        self.blockable = blocked and all(
            s.contract is None and (not isinstance(s.target[0], slice) or s.link is not None) for s in self.steps
        )
        self.input_shape = tuple(input_shape)
        self.output_shape = tuple(output_shape)
        scalars = [s.coefficient for s in self.steps if _is_scalar(s.coefficient)]
        shared = scalars[0] if scalars and len(scalars) == len(self.steps) else None
        self.factor = shared if shared is not None and all(c == shared for c in scalars) and shared != 1 else None
        self.first_covers = bool(self.steps) and self._covers(self.steps[0])
        self.partition = not self.first_covers and self._partitions()
        self.first_box = None if self.first_covers or self.partition or not self.steps else self._box(self.steps[0])
        self.fused_pair = None
        if self.first_covers and len(self.steps) > 1 and self._covers(self.steps[1]):
            c0, c1 = (1, 1) if self.factor is not None else (self.steps[0].coefficient, self.steps[1].coefficient)
            if _is_scalar(c0) and _is_scalar(c1) and c0 == 1 and c1 in (1, -1):
                self.fused_pair = np.add if c1 == 1 else np.subtract

    def _covers(self, step: Step) -> bool:
        """Whether the step's target view is the whole output, in order, without a contraction."""
        if step.contract is not None or len(step.target) != len(self.output_shape):
            return False
        for index, n in zip(step.target, self.output_shape):
            if not isinstance(index, slice) or index.indices(n) != (0, n, 1):
                return False
        return True

    def _partitions(self) -> bool:
        """Whether the steps write every output entry exactly once (then they assign, no zeros)."""
        size = int(np.prod(self.output_shape))
        if not self.steps or size > 50_000_000 or any(s.contract is not None for s in self.steps):
            return False
        counts = np.zeros(self.output_shape, dtype=np.uint16)
        for step in self.steps:
            counts[step.target] += 1
        return bool(np.all(counts == 1))

    def _box(self, step: Step) -> tuple | None:
        """The contiguous box the first step writes (then only the rest of the output is zeroed)."""
        if step.contract is not None or len(step.target) != len(self.output_shape):
            return None
        box = []
        for index, n in zip(step.target, self.output_shape):
            if not isinstance(index, slice):
                return None
            start, stop, stride = index.indices(n)
            if stride != 1:
                return None
            box.append((start, stop))
        return tuple(box)

    def _value(self, step: Step, x: np.ndarray, c: complex | np.ndarray) -> np.ndarray:
        """The step's source view in the target's axes (contracted, with ``c``, when it sums)."""
        view = x[(slice(None),) + step.source]
        if step.fourier is not None:  # a DFT sum: the FFT of length N, its first K values
            sign, n, count = step.fourier
            if sign < 0:
                return np.fft.fft(view, n=n, axis=-1)[:, :count]
            return n * np.fft.ifft(view, n=n, axis=-1)[:, :count]
        if step.convolution is not None:  # a banded (Toeplitz or Hankel) sum: one FFT convolution
            from scipy.signal import oaconvolve

            offset, count, reverse = step.convolution
            kernel = step.coefficient
            assert isinstance(kernel, np.ndarray), "a banded step's coefficient is its kernel g"
            full = oaconvolve(view[:, ::-1] if reverse else view, kernel[None, :], axes=-1)
            return full[:, offset : offset + count]
        if step.contract is not None:
            if _is_scalar(c):
                out = np.einsum(step.contract.split(",", 1)[1], view)
                return out if c == 1 else out * c
            return np.einsum(step.contract, c, view, optimize=True)
        if step.permutation is not None:
            view = view.transpose(step.permutation)
        if step.expansion is not None:
            view = view[step.expansion]
        return view

    def _blocks(self, rows: int) -> list[tuple[int, int, Program]]:
        """The steps cut into blocks of ``rows`` output rows (computed once per block height)."""
        if rows not in self._block_cache:
            n = self.output_shape[0]
            blocks = []
            for low in range(0, n, rows):
                high = min(low + rows, n)
                steps = [r for r in (s.rows(low, high, n) for s in self.steps) if r is not None]
                sub = Program(steps, self.input_shape, (high - low,) + self.output_shape[1:], blocked=False)
                blocks.append((low, high, sub))
            self._block_cache[rows] = blocks
        return self._block_cache[rows]

    def run(self, x: np.ndarray) -> np.ndarray:
        """Apply the steps to a batch ``x`` of shape ``(B, *input_shape)``.

        Large outputs are computed in blocks of rows (first output axis) of about
        :data:`BLOCK_BYTES`, so that the steps of one block work in cache.
        """
        out = np.empty((x.shape[0],) + self.output_shape, dtype=x.dtype)
        if self.blockable and self.steps:
            row = x.shape[0] * math.prod(self.output_shape[1:]) * out.itemsize
            rows = max(1, self.block_bytes // max(row, 1))
            if rows < self.output_shape[0]:
                for low, high, sub in self._blocks(rows):
                    sub._run_into(x, out[:, low:high])
                return out
        self._run_into(x, out)
        return out

    def _run_into(self, x: np.ndarray, out: np.ndarray) -> None:
        """Write the steps' result into ``out`` (``(B, *output_shape)``, any content)."""
        dtype = out.dtype
        if not self.steps:
            out[...] = 0
            return
        if self.partition:
            for step in self.steps:
                target = out[(slice(None),) + step.target]
                value = self._value(step, x, 1)
                c = step.coefficient
                if _is_scalar(c) and c == 1:
                    np.copyto(target, np.broadcast_to(value, target.shape))
                else:
                    np.multiply(value, c if _is_scalar(c) else c[None], out=target)
            return
        first_covers = self.first_covers
        if self.first_box is not None:
            for axis, (lo, hi) in enumerate(self.first_box, start=1):
                before = (slice(None),) * axis
                out[before + (slice(0, lo),)] = 0
                out[before + (slice(hi, None),)] = 0
            first_covers = True
        elif not first_covers:
            out[...] = 0
        scratch: np.ndarray | None = None
        factor = self.factor
        start = 0
        if self.fused_pair is not None:
            # the first two steps write every output entry: one ufunc pass instead of copy + add
            first, second = self.steps[0], self.steps[1]
            self.fused_pair(self._value(first, x, 1), self._value(second, x, 1), out=out)
            start = 2
        for number, step in enumerate(self.steps[start:], start=start):
            target = out[(slice(None),) + step.target]
            c = 1 if factor is not None else step.coefficient
            value = self._value(step, x, c)
            if step.contract is not None:
                c = 1  # applied by the contraction
            if number == 0 and first_covers:
                if _is_scalar(c) and c == 1:
                    np.copyto(target, value)
                else:
                    np.multiply(value, c if _is_scalar(c) else c[None], out=target)
                continue
            if step.contract is not None:
                np.add(target, value, out=target)
            elif _is_scalar(c):
                if c == 1:
                    np.add(target, value, out=target)
                elif c == -1:
                    np.subtract(target, value, out=target)
                else:
                    shape = np.broadcast_shapes(target.shape, value.shape)
                    size = int(np.prod(shape))
                    if scratch is None or scratch.size < size:
                        scratch = np.empty(max(size, out.size), dtype=dtype)
                    tmp = scratch[:size].reshape(shape)
                    np.multiply(value, c, out=tmp)
                    np.add(target, tmp, out=target)
            else:
                target += c[None] * value
        if factor is not None:
            out *= factor
