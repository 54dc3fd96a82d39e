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
