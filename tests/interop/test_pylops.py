"""PyLops operators in linop: dims/dimsd become shapes, dtype is kept, verify takes them directly."""

from __future__ import annotations

import numpy as np
import pylops
import pytest

import linop
from linop.interop import from_pylops
from linop.interop.pylops import to_pylops

RNG = np.random.default_rng(8)


def test_dims_and_dimsd_become_input_and_output_shapes():
    op = pylops.Restriction((6, 5), [0, 2, 3], axis=0)
    A = from_pylops(op)
    assert (A.input_shape, A.output_shape, A.dtype) == ((6, 5), (3, 5), np.dtype("float64"))


def test_matrix_and_adjoint_are_pylops_own():
    op = pylops.signalprocessing.Convolve1D((7, 3), h=RNG.standard_normal(3), offset=1, axis=0)
    A = from_pylops(op)
    np.testing.assert_allclose(A.to_dense(), op.todense(), rtol=1e-14)
    np.testing.assert_allclose(A.H.to_dense(), op.H.todense(), rtol=1e-14)
    x = RNG.standard_normal((4, 7, 3))
    np.testing.assert_allclose(A.apply(x)[2], (op @ x[2].ravel()).reshape(7, 3), rtol=1e-14)


def test_verify_passes_correct_pylops_operators_with_their_shapes():
    for op in (
        pylops.FirstDerivative((6, 5), axis=1),
        pylops.Laplacian((5, 4), dtype="complex128"),
        pylops.MatrixMult(RNG.standard_normal((3, 4)) + 1j, dtype="complex128"),
    ):
        report = linop.verify(op, seed=0)
        assert report.passed, report
        assert report.input_shape == tuple(np.atleast_1d(op.dims))


def test_verify_refuses_an_input_shape_that_contradicts_dims():
    with pytest.raises(ValueError, match=r"input_shape=\(3, 10\) differs from the PyLops operator's dims \(6, 5\)"):
        linop.verify(pylops.FirstDerivative((6, 5)), input_shape=(3, 10))


def test_from_pylops_refuses_other_objects():
    with pytest.raises(TypeError, match="op must be a pylops.LinearOperator; got list"):
        from_pylops([1, 2])


# -- linop operators out to PyLops ------------------------------------------------------------------
def test_to_pylops_keeps_shapes_dtype_and_matrix():
    A = linop.Convolution(
        RNG.standard_normal((3, 2)) + 1j * RNG.standard_normal((3, 2)),
        (6, 5),
        stride=(2, 1),
        padding=1,
        boundary="reflect",
    )
    P = to_pylops(A)
    assert (P.dims, P.dimsd, P.dtype) == (A.input_shape, A.output_shape, A.dtype)
    np.testing.assert_allclose(P.todense(), A.to_dense(), rtol=1e-14)
    np.testing.assert_allclose(P.H.todense(), A.H.to_dense(), rtol=1e-14)
    assert pylops.utils.dottest(P, complexflag=3, rtol=1e-10)
    np.testing.assert_allclose(from_pylops(P).to_dense(), A.to_dense(), rtol=1e-14)


def test_pylops_solver_inverts_a_linop_convolution():
    A = linop.Convolution(np.array([0.25, 1.0, 0.25]), (20,), padding="same", boundary="edge")
    x = RNG.standard_normal(20)
    solution = pylops.optimization.basic.cgls(to_pylops(A), A.apply(x), niter=200, tol=1e-14)[0]
    np.testing.assert_allclose(solution, x, rtol=1e-8, atol=1e-8)


def test_to_pylops_refuses_unshaped_operators():
    with pytest.raises(TypeError, match="op must be a linop ShapedOperator"):
        to_pylops(np.eye(3))


# -- real-linear PyLops operators in their real spaces ----------------------------------------------
@pytest.mark.parametrize(
    "make",
    [
        lambda: pylops.signalprocessing.FFT(8, real=True),
        lambda: pylops.signalprocessing.FFT(7, real=True, norm="none"),
        lambda: pylops.signalprocessing.FFT2D((4, 6), real=True),
        lambda: pylops.signalprocessing.FFT(8, dtype="float64"),
        lambda: pylops.Real(5, dtype="complex128"),
        lambda: pylops.Imag(5, dtype="complex128"),
        lambda: pylops.Conj(5, dtype="complex128"),
    ],
    ids=["FFT real", "FFT real norm none", "FFT2D real", "FFT float64", "Real", "Imag", "Conj"],
)
def test_real_linear_pylops_operators_pass_in_their_real_spaces(make):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyLops warns about its numpy backend's dtypes
        op = make()
    report = linop.verify(op, seed=0)
    assert report.passed, report
    assert report.inner_products["scalars"] == "real" and report.inner_products["source"] == "detected"


def test_the_real_fft_tells_a_real_domain_and_a_complex_range():
    A = from_pylops(pylops.signalprocessing.FFT(8, real=True))
    spaces = A.inner_product_spaces
    assert (spaces["domain"]["real"], spaces["range"]["real"], spaces["scalars"]) == (True, False, "real")


def test_a_complex_linear_pylops_fft_is_still_checked_for_complex_scalars():
    report = linop.verify(pylops.signalprocessing.FFT(8), seed=0)
    assert report.passed and report.inner_products["scalars"] == "complex"


class _DroppedImaginaryFFT(pylops.LinearOperator):
    """PyLops' real FFT whose adjoint drops the imaginary part of its input (a planted defect)."""

    def __init__(self, n: int):
        self.fft = pylops.signalprocessing.FFT(n, real=True)
        super().__init__(dtype=self.fft.dtype, dims=self.fft.dims, dimsd=self.fft.dimsd, clinear=False)

    def _matvec(self, x):
        return self.fft.matvec(x)

    def _rmatvec(self, y):
        return self.fft.rmatvec(np.real(y).astype(y.dtype))


def test_a_dropped_imaginary_part_in_a_real_fft_adjoint_is_caught_with_the_part_named():
    report = linop.verify(_DroppedImaginaryFFT(8), seed=0)
    assert not report["adjoint"].passed and not report["probes"].passed
    assert report["matrix"].details["output_part"] == "im"
