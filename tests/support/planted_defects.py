"""Operators with planted defects: the bugs the verification suite exists to find.

Each factory returns an operator that is wrong in exactly one documented way; the
forward map or the adjoint is otherwise linop's correct convolution. The adjoints are
written out by hand (loops over taps, explicit padding) where the defect is an index
mistake, so the defect is the only thing that differs from the truth.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.sparse.linalg import LinearOperator

import linop
from linop.operators.base import ShapedOperator


class ReplacedAdjoint(ShapedOperator):
    """``A`` with its adjoint replaced by ``backward`` (batch-first arrays)."""

    def __init__(self, op: ShapedOperator, backward: Callable[[np.ndarray], np.ndarray], label: str):
        self.op, self._replacement, self.label = op, backward, label
        super().__init__(op.input_shape, op.output_shape, op.dtype)

    def _forward(self, x):
        return self.op._forward(x)

    def _backward(self, y):
        return self._replacement(y)

    def __repr__(self):
        return f"<{self.label}>"


class ReplacedForward(ShapedOperator):
    """``A`` with its forward map replaced by ``forward`` (the adjoint stays correct)."""

    def __init__(self, op: ShapedOperator, forward: Callable[[np.ndarray], np.ndarray], label: str):
        self.op, self._replacement, self.label = op, forward, label
        super().__init__(op.input_shape, op.output_shape, op.dtype)

    def _forward(self, x):
        return self._replacement(x)

    def _backward(self, y):
        return self.op._backward(y)

    def __repr__(self):
        return f"<{self.label}>"


def _kernel(shape, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    k = rng.standard_normal(shape)
    if np.issubdtype(dtype, np.complexfloating):
        k = k + 1j * rng.standard_normal(shape)
    return k.astype(dtype)


def missing_conjugation(shape=(6, 5)) -> ShapedOperator:
    """Complex kernel; the adjoint is the plain transpose (``conj`` forgotten)."""
    A = linop.Convolution(_kernel((3, 2), np.complex128, 1), shape, padding="same")
    return ReplacedAdjoint(A, lambda y: A._backward(y.conj()).conj(), "adjoint without conjugation")


def unflipped_kernel(n=12) -> ShapedOperator:
    """Valid 1-D correlation; the adjoint correlates with the kernel instead of convolving (not flipped)."""
    k = _kernel((4,), seed=2)
    A = linop.Convolution(k, (n,))
    wrong = linop.Convolution(k, A.output_shape, padding="full", flip=False)  # flip=True is the adjoint
    return ReplacedAdjoint(A, wrong._forward, "adjoint with unflipped kernel")


def stride_offset_off_by_one(n=13, stride=2) -> ShapedOperator:
    """Strided 1-D correlation ``y_j = sum_t k_t x_{s j + t}``; the adjoint scatters to ``s j + t + 1``."""
    k = _kernel((3,), seed=3)
    A = linop.Convolution(k, (n,), stride=stride)
    m = A.output_shape[0]

    def backward(y):
        x = np.zeros((y.shape[0], n), dtype=np.result_type(y, k))
        for t, kt in enumerate(k):
            targets = stride * np.arange(m) + t + 1  # the off-by-one: + 1
            keep = targets < n
            x[:, targets[keep]] += kt * y[:, keep]
        return x

    return ReplacedAdjoint(A, backward, "adjoint with stride offset off by one")


def last_partial_window_dropped(n=11) -> ShapedOperator:
    """Strided "same" correlation whose last window hangs over the padding; the adjoint ignores that window."""
    A = linop.Convolution(_kernel((3,), seed=4), (n,), stride=2, padding="same")

    def backward(y):
        y = y.copy()
        y[:, -1] = 0
        return A._backward(y)

    return ReplacedAdjoint(A, backward, "adjoint without the last partial window")


def same_padding_on_wrong_side(n=10) -> ShapedOperator:
    """Even kernel with "same" padding (extra pad on the high side); the adjoint pads the low side."""
    k = _kernel((4,), seed=5)
    A = linop.Convolution(k, (n,), padding="same")
    ((lo, hi),) = A.padding
    mirrored = linop.Convolution(k, (n,), padding=[(hi, lo)])
    return ReplacedAdjoint(A, mirrored._backward, "adjoint with same-padding on the wrong side")


def zero_padding_adjoint_for_reflect(shape=(9, 8), dtype=np.float64) -> ShapedOperator:
    """Reflect boundary; the adjoint is the one of zero padding (the folded boundary values are dropped)."""
    k = _kernel((3, 3), dtype, 6)
    A = linop.Convolution(k, shape, padding="same", boundary="reflect")
    zero = linop.Convolution(k, shape, padding="same", boundary="constant")
    return ReplacedAdjoint(A, zero._backward, "reflect convolution with the adjoint of zero padding")


def scaled_adjoint(shape=(8, 7), factor=1 + 1e-4, dtype=np.float64) -> ShapedOperator:
    """The adjoint is off by a factor ``1 + 1e-4``."""
    A = linop.Convolution(_kernel((3, 3), dtype, 7), shape, padding="same", boundary="wrap")
    return ReplacedAdjoint(A, lambda y: factor * A._backward(y), f"adjoint off by a factor {factor}")


def with_bias(shape=(7, 6)) -> ShapedOperator:
    """Adds a bias: ``x -> A x + b`` (affine, not linear)."""
    A = linop.Convolution(_kernel((3, 3), seed=8), shape)
    bias = np.linspace(0.5, 1.5, int(np.prod(A.output_shape))).reshape(A.output_shape)
    return ReplacedForward(A, lambda x: A._forward(x) + bias, "convolution plus a bias")


def absolute_value(shape=(7, 6)) -> ShapedOperator:
    """``x -> |A x|``: not linear."""
    A = linop.Convolution(_kernel((3, 3), seed=9), shape)
    return ReplacedForward(A, lambda x: np.abs(A._forward(x)), "absolute value of a convolution")


def adjoint_one_sample_short(n=9) -> LinearOperator:
    """A plain scipy LinearOperator whose ``rmatvec`` returns ``N - 1`` samples."""
    A = linop.Convolution(_kernel((3,), seed=10), (n,))
    return LinearOperator(A.shape, matvec=A.matvec, rmatvec=lambda y: A.rmatvec(y)[:-1], dtype=A.dtype)


def shaped_adjoint_one_sample_short(n=9) -> ShapedOperator:
    """A shaped operator whose adjoint returns ``(n - 1,)`` instead of ``(n,)``."""
    A = linop.Convolution(_kernel((3,), seed=10), (n,))
    return ReplacedAdjoint(A, lambda y: A._backward(y)[:, :-1], "adjoint one sample short")


def writes_into_input(n=9) -> LinearOperator:
    """Correct results, but ``matvec`` halves its input array in place after using it."""
    A = linop.Convolution(_kernel((3,), seed=11), (n,))

    def matvec(x):
        y = A.matvec(np.array(x, copy=True))
        x *= 0.5
        return y

    return LinearOperator(A.shape, matvec=matvec, rmatvec=A.rmatvec, dtype=A.dtype)


def wrong_corner_of_adjoint(shape=(1024, 1024), dtype=np.float64, delta=0.5) -> ShapedOperator:
    """Single-channel 2-D convolution whose adjoint has one wrong entry: ``A^H[(0,0), (0,0)]`` is off by ``delta``."""
    A = linop.Convolution(_kernel((3, 3), dtype, 12), shape, padding="same", boundary="reflect")

    def backward(y):
        x = A._backward(y)
        x[:, 0, 0] += delta * y[:, 0, 0]
        return x

    return ReplacedAdjoint(A, backward, f"{shape} convolution with a wrong adjoint corner entry")


def wrong_last_output_sample(n=10**6) -> ShapedOperator:
    """1-D convolution whose forward map computes the last output sample wrong (half of it)."""
    A = linop.Convolution(_kernel((5,), seed=13), (n,))

    def forward(x):
        y = A._forward(x)
        y[:, -1] *= 0.5
        return y

    return ReplacedForward(A, forward, f"length-{n} convolution with a wrong last output sample")
