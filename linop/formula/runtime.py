"""Running a compiled index formula: strided-slice multiply-adds, NumPy only.

A compiled formula (:class:`Program`) is a list of :class:`Step` s. Each step is one
multiply-add over whole arrays,

.. math::

    \\text{out}[\\text{target view}] \\mathrel{+}= c \\cdot P(\\text{source}[\\text{source view}])

where both views are basic (strided) slices, ``P`` reorders or broadcasts the source's
axes to the target's, and ``c`` is a scalar or an array of coefficients; a step that
sums over an axis the target lacks contracts it (:func:`numpy.einsum`). The steps come
from :mod:`linop.formula.compile`; this module never imports SymPy, so a compiled
operator runs (and is timed) on NumPy alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Program", "Step"]


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
    """

    target: tuple
    source: tuple
    coefficient: object
    permutation: tuple[int, ...] | None = None
    expansion: tuple | None = None
    contract: str | None = None

    def astype(self, dtype: np.dtype) -> "Step":
        """The step with its coefficient in ``dtype`` (scalars stay Python numbers)."""
        c = self.coefficient
        if isinstance(c, np.ndarray):
            if np.iscomplexobj(c) and not np.issubdtype(dtype, np.complexfloating):
                c = c.real  # the caller checked that no imaginary part is non-zero
            c = c.astype(dtype)
        elif not np.issubdtype(dtype, np.complexfloating):
            c = complex(c).real
        return Step(self.target, self.source, c, self.permutation, self.expansion, self.contract)


def _is_scalar(c: object) -> bool:
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

    def __init__(self, steps: list[Step], input_shape: tuple[int, ...], output_shape: tuple[int, ...]):
        self.steps = tuple(steps)
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

    def _value(self, step: Step, x: np.ndarray, c: object) -> np.ndarray:
        """The step's source view in the target's axes (contracted, with ``c``, when it sums)."""
        view = x[(slice(None),) + step.source]
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

    def run(self, x: np.ndarray) -> np.ndarray:
        """Apply the steps to a batch ``x`` of shape ``(B, *input_shape)``."""
        batch = x.shape[0]
        dtype = x.dtype
        out_shape = (batch,) + self.output_shape
        if not self.steps:
            return np.zeros(out_shape, dtype=dtype)
        if self.partition:
            out = np.empty(out_shape, dtype=dtype)
            for step in self.steps:
                target = out[(slice(None),) + step.target]
                value = self._value(step, x, 1)
                c = step.coefficient
                if _is_scalar(c) and c == 1:
                    np.copyto(target, np.broadcast_to(value, target.shape))
                else:
                    np.multiply(value, c if _is_scalar(c) else c[None], out=target)
            return out
        first_covers = self.first_covers
        if self.first_box is not None:
            out = np.empty(out_shape, dtype=dtype)
            for axis, (lo, hi) in enumerate(self.first_box, start=1):
                before = (slice(None),) * axis
                out[before + (slice(0, lo),)] = 0
                out[before + (slice(hi, None),)] = 0
            first_covers = True
        else:
            out = np.empty(out_shape, dtype=dtype) if first_covers else np.zeros(out_shape, dtype=dtype)
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
        return out
