"""Real adjoint defects that ``linop.verify`` finds in framework code, each with the wrong entry it names.

The reference for every verdict is independent of verify: the explicit matrices of the
forward and of the hand-written adjoint (``A^H`` must be ``conj(A)^T``).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pylops
import pytest
import torch
import torch.nn.functional as F
from scipy.sparse.linalg import LinearOperator

import linop
from linop.interop import from_jax, from_pylops, from_torch
from tests.support.interop_support import one_torch_thread  # noqa: F401  (autouse fixture)

RNG = np.random.default_rng(2026)


def wrong_entries(forward: np.ndarray, adjoint: np.ndarray) -> set[tuple[int, int]]:
    """The entries (i, j) where the adjoint's matrix is not the conjugate transpose of the forward's."""
    gaps = np.abs(forward - adjoint.conj().T) > 1e-9 * np.abs(forward).max()
    return {(int(i), int(j)) for i, j in np.argwhere(gaps)}


def assert_named_entry_is_wrong(report, forward: np.ndarray, adjoint: np.ndarray) -> None:
    """verify failed the matrix check, counted the wrong entries right, and named one of them."""
    wrong = wrong_entries(forward, adjoint)
    matrix = report["matrix"]
    assert wrong and not report.passed and not matrix.passed
    assert matrix.details["wrong_entries"] == len(wrong)
    assert (matrix.details["row"], matrix.details["column"]) in wrong


# -- PyLops: Convolve1D with a complex kernel -------------------------------------------------------
@pytest.mark.parametrize("method", ["direct", "fft"])
def test_pylops_convolve1d_complex_adjoint_misses_the_conjugate(method):
    """PyLops 2.8.0: Convolve1D's rmatvec correlates with h, not conj(h), so A^H = A^T for complex kernels."""
    h = RNG.standard_normal(3) + 1j * RNG.standard_normal(3)
    op = pylops.signalprocessing.Convolve1D(12, h=h, offset=1, dtype="complex128", method=method)
    report = linop.verify(op, seed=0)
    forward, adjoint = op.todense(), op.H.todense()
    if pylops.__version__ == "2.8.0":  # the version this defect was found in
        assert np.allclose(adjoint, forward.T)  # the transpose, not the adjoint
    if wrong_entries(forward, adjoint):
        assert_named_entry_is_wrong(report, forward, adjoint)
    else:  # a fixed PyLops: verify must agree
        assert report.passed


def test_pylops_convolve1d_real_kernel_is_right():
    op = pylops.signalprocessing.Convolve1D(12, h=RNG.standard_normal(3), offset=1)
    assert linop.verify(op, seed=0).passed


def test_pylops_nonstationary_convolve1d_complex_adjoint_misses_the_conjugate():
    hs = RNG.standard_normal((2, 3)) + 1j * RNG.standard_normal((2, 3))
    op = pylops.signalprocessing.NonStationaryConvolve1D(12, hs=hs, ih=(3, 8), dtype="complex128")
    report = linop.verify(op, seed=0)
    forward, adjoint = op.todense(), op.H.todense()
    if wrong_entries(forward, adjoint):
        assert_named_entry_is_wrong(report, forward, adjoint)
    else:
        assert report.passed


# -- PyTorch: a custom Function with a wrong backward ----------------------------------------------
WEIGHT = torch.tensor(RNG.standard_normal((1, 1, 3, 3)))


class BlurWrongBackward(torch.autograd.Function):
    """A 3x3 correlation whose backward is a 'full' correlation with the same, unflipped kernel.

    The adjoint of a correlation is a full correlation with the *flipped* kernel (what
    ``conv_transpose2d`` computes); forgetting the flip is the classic slip.
    """

    @staticmethod
    def forward(ctx, x):
        return F.conv2d(x, WEIGHT)

    @staticmethod
    def backward(ctx, g):
        return F.conv2d(g, WEIGHT, padding=2)


def test_torch_function_with_unflipped_backward_is_caught_at_a_named_entry():
    report = linop.verify(BlurWrongBackward, input_shape=(1, 1, 6, 6), dtype="float64", seed=0)
    A = from_torch(BlurWrongBackward, (1, 1, 6, 6), dtype="float64")
    assert report["linearity"].passed
    assert_named_entry_is_wrong(report, A.to_dense(), A.H.to_dense())


class BlurLayer(torch.nn.Module):
    """A user's module whose forward goes through the Function above (its backward is the planted defect)."""

    def forward(self, x):
        return BlurWrongBackward.apply(x)


def test_torch_module_with_a_wrong_backward_inside_is_caught_at_a_named_entry():
    report = linop.verify(BlurLayer(), input_shape=(1, 1, 5, 5), dtype="float64", seed=0)
    A = from_torch(BlurLayer(), (1, 1, 5, 5), dtype="float64")
    assert_named_entry_is_wrong(report, A.to_dense(), A.H.to_dense())


class ShiftWithWrongAdjoint(pylops.LinearOperator):
    """A user's PyLops operator: a circular shift by one whose _rmatvec shifts the same way (it must shift back)."""

    def __init__(self, n: int):
        super().__init__(dtype=np.dtype("float64"), dims=(n,), dimsd=(n,))

    def _matvec(self, x):
        return np.roll(x, 1)

    def _rmatvec(self, y):
        return np.roll(y, 1)  # wrong: np.roll(y, -1)


def test_pylops_subclass_with_a_wrong_rmatvec_is_caught_at_a_named_entry():
    op = ShiftWithWrongAdjoint(6)
    report = linop.verify(op, seed=0)
    assert_named_entry_is_wrong(report, op.todense(), op.H.todense())


# -- PyTorch: conv_transpose2d as the adjoint, with a wrong output_padding ----------------------------
def strided_conv(output_padding: int) -> LinearOperator:
    """conv2d (stride 2, padding 1, 8x8 -> 4x4) with conv_transpose2d as its adjoint, zero-filled to 8x8.

    The right output_padding is 1 (8 + 2*1 - 9); with 0 torch returns 7x7, and zero-filling
    the missing last row and column hides the shape error but not the wrong entries.
    """
    weight = torch.tensor(RNG.standard_normal((1, 1, 3, 3)))

    def forward(x):
        return F.conv2d(torch.from_numpy(np.reshape(x, (1, 1, 8, 8))), weight, stride=2, padding=1).numpy().ravel()

    def adjoint(y):
        back = F.conv_transpose2d(
            torch.from_numpy(np.reshape(y, (1, 1, 4, 4))), weight, stride=2, padding=1, output_padding=output_padding
        )
        back = F.pad(back, (0, 8 - back.shape[-1], 0, 8 - back.shape[-2]))
        return back.numpy().ravel()

    return LinearOperator((16, 64), matvec=forward, rmatvec=adjoint, dtype=np.float64)


def test_conv_transpose2d_with_the_right_output_padding_is_the_adjoint():
    assert linop.verify(strided_conv(output_padding=1), seed=0).passed


def test_conv_transpose2d_with_a_wrong_output_padding_is_caught_in_the_last_row():
    op = strided_conv(output_padding=0)
    report = linop.verify(op, seed=0)
    forward, adjoint = op @ np.eye(64), op.H @ np.eye(16)
    assert_named_entry_is_wrong(report, forward, adjoint)
    # Every wrong entry lies in the dropped last row or column of the 8x8 input.
    assert all(j // 8 == 7 or j % 8 == 7 for _, j in wrong_entries(forward, adjoint))


def test_linop_computes_the_output_padding_that_makes_the_shapes_meet():
    T = linop.ConvTranspose(np.ones((3, 3)), (8, 8), stride=2, padding=1)
    assert T.to_torch().output_padding == (1, 1)


# -- JAX: a custom_vjp with a wrong bwd -------------------------------------------------------------
KERNEL = jnp.asarray(RNG.standard_normal(8))


@jax.custom_vjp
def circular_blur(x):
    """Circular convolution by FFT, with a bwd that multiplies by fft(k) instead of conj(fft(k))."""
    return jnp.real(jnp.fft.ifft(jnp.fft.fft(x) * jnp.fft.fft(KERNEL)))


def _blur_bwd(_, g):
    return (jnp.real(jnp.fft.ifft(jnp.fft.fft(g) * jnp.fft.fft(KERNEL))),)  # should be conj(fft(KERNEL))


circular_blur.defvjp(lambda x: (circular_blur(x), None), _blur_bwd)


def test_jax_custom_vjp_without_the_conjugate_is_caught_at_a_named_entry():
    report = linop.verify(circular_blur, input_shape=(8,), dtype="float64", seed=0)
    A = from_jax(circular_blur, (8,), dtype="float64")
    assert report["linearity"].passed
    assert_named_entry_is_wrong(report, A.to_dense(), A.H.to_dense())


def test_jax_linear_transpose_is_not_the_adjoint_of_a_complex_map():
    """jax.linear_transpose is documented as the transpose; used as rmatvec it fails for complex maps."""
    M = RNG.standard_normal((3, 4)) + 1j * RNG.standard_normal((3, 4))
    with jax.enable_x64(True):
        f = lambda x: jnp.asarray(M) @ x  # noqa: E731
        transpose = jax.linear_transpose(f, jnp.zeros(4, dtype=jnp.complex128))
        op = LinearOperator(
            (3, 4),
            matvec=lambda x: np.asarray(f(jnp.asarray(x.ravel()))),
            rmatvec=lambda y: np.asarray(transpose(jnp.asarray(y.ravel()))[0]),
            dtype=np.complex128,
        )
        report = linop.verify(op, seed=0)
    assert_named_entry_is_wrong(report, M, M.T)
    assert linop.verify(from_jax(f, (4,), dtype="complex128"), seed=0).passed  # from_jax conjugates


def test_pylops_chirp_radon_2d_drops_the_imaginary_part_of_complex_input():
    """ChirpRadon2D accepts dtype=complex128 but computes on the real part: A^H (a y) != a A^H y for complex a."""
    op = pylops.signalprocessing.ChirpRadon2D(np.arange(8.0), np.arange(6.0), 1e-2, dtype="complex128")
    report = linop.verify(from_pylops(op), seed=0)
    assert not report["linearity"].passed and "complex a" in report["linearity"].message


def _complex(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape) + 1j * RNG.standard_normal(shape)


#: PyLops operators that are right for complex dtypes (the survey behind the guide's claim).
PYLOPS_RIGHT = {
    "Convolve2D": lambda: pylops.signalprocessing.Convolve2D(
        (6, 5), h=_complex(3, 3), offset=(1, 1), dtype="complex128"
    ),
    "ConvolveND": lambda: pylops.signalprocessing.ConvolveND(
        (6, 5), h=_complex(3, 3), offset=(1, 1), dtype="complex128"
    ),
    "MatrixMult": lambda: pylops.MatrixMult(_complex(4, 5), dtype="complex128"),
    "Diagonal": lambda: pylops.Diagonal(_complex(5), dtype="complex128"),
    "FirstDerivative": lambda: pylops.FirstDerivative(8, dtype="complex128"),
    "SecondDerivative": lambda: pylops.SecondDerivative(8, dtype="complex128"),
    "Laplacian": lambda: pylops.Laplacian((5, 4), dtype="complex128"),
    "Gradient": lambda: pylops.Gradient((4, 5), dtype="complex128"),
    "FFT": lambda: pylops.signalprocessing.FFT(8, dtype="complex128"),
    "FFT2D": lambda: pylops.signalprocessing.FFT2D((4, 6), dtype="complex128"),
    "Shift": lambda: pylops.signalprocessing.Shift(8, 1.3, dtype="complex128"),
    "Interp": lambda: pylops.signalprocessing.Interp(10, np.array([1.5, 3.2, 7.7]), dtype="complex128")[0],
    "Bilinear": lambda: pylops.signalprocessing.Bilinear(
        np.array([[1.5, 2.3], [1.2, 3.1]]), (5, 5), dtype="complex128"
    ),
    "Radon2D": lambda: pylops.signalprocessing.Radon2D(
        np.arange(8.0), np.arange(6.0), np.linspace(-1, 1, 5), dtype="complex128"
    ),
    "Fredholm1": lambda: pylops.signalprocessing.Fredholm1(_complex(3, 4, 5), nz=2, dtype="complex128"),
    "Restriction": lambda: pylops.Restriction(8, [1, 4, 6], dtype="complex128"),
    "Roll": lambda: pylops.Roll(8, shift=2, dtype="complex128"),
    "Sum": lambda: pylops.Sum((4, 5), axis=1, dtype="complex128"),
    "CausalIntegration": lambda: pylops.CausalIntegration(8, dtype="complex128"),
    "Smoothing1D": lambda: pylops.Smoothing1D(3, 8, dtype="complex128"),
    "Transpose": lambda: pylops.Transpose((3, 4), axes=(1, 0), dtype="complex128"),
    "Pad": lambda: pylops.Pad(5, (2, 1), dtype="complex128"),
    "Zero": lambda: pylops.Zero(4, 5, dtype="complex128"),
}


@pytest.mark.parametrize("name", sorted(PYLOPS_RIGHT))
def test_pylops_complex_operator_passes(name):
    op = PYLOPS_RIGHT[name]()
    report = linop.verify(op, seed=0, checks=["shapes", "linearity", "adjoint", "matrix"])
    assert report.passed, report
    assert not wrong_entries(op.todense(), op.H.todense())
