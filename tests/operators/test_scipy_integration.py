"""Shaped operators inside scipy.sparse.linalg, as they are: solvers and decompositions."""

from __future__ import annotations

import numpy as np
import scipy.sparse.linalg as spla

import linop


def _deblur_problem(seed=0):
    rng = np.random.default_rng(seed)
    kernel = np.outer([0.2, 0.6, 0.2], [0.2, 0.6, 0.2])  # well conditioned: symbol >= 0.04
    A = linop.Convolution(kernel, (24, 20), padding="same", boundary="reflect")
    x_true = rng.standard_normal((24, 20))
    return A, x_true, A.apply(x_true).ravel()


def test_matvec_matmat_rmatvec_rmatmat_agree():
    rng = np.random.default_rng(1)
    A = linop.Convolution(rng.standard_normal((3, 3, 2, 4)), (8, 7, 2), stride=2, padding="same")
    X = rng.standard_normal((A.shape[1], 5))
    Y = rng.standard_normal((A.shape[0], 5))
    np.testing.assert_allclose(A.matmat(X), np.stack([A.matvec(c) for c in X.T], axis=1))
    np.testing.assert_allclose(A.rmatmat(Y), np.stack([A.rmatvec(c) for c in Y.T], axis=1))
    np.testing.assert_allclose(A @ X, A.to_dense() @ X, atol=1e-12)
    np.testing.assert_allclose(A.H @ Y, A.to_dense().T @ Y, atol=1e-12)


def test_apply_accepts_leading_batch_axes():
    rng = np.random.default_rng(2)
    A = linop.Convolution(rng.standard_normal((3, 3)), (6, 6), padding=1)
    x = rng.standard_normal((2, 3, 6, 6))
    y = A.apply(x)
    assert y.shape == (2, 3, 6, 6)
    np.testing.assert_allclose(y[1, 2], A.apply(x[1, 2]))
    np.testing.assert_allclose(A.apply_adjoint(y)[0, 1], A.H.apply(y[0, 1]))


def test_lsqr_recovers_the_image():
    A, x_true, b = _deblur_problem()
    x = spla.lsqr(A, b, atol=1e-12, btol=1e-12, iter_lim=2000)[0]
    assert np.linalg.norm(A.matvec(x) - b) < 1e-6 * np.linalg.norm(b)


def test_lsmr_with_damping_matches_normal_equations():
    A, _, b = _deblur_problem(1)
    damp = 0.1
    x = spla.lsmr(A, b, damp=damp, atol=1e-12, btol=1e-12, maxiter=2000)[0]
    dense = A.to_dense()
    expected = np.linalg.solve(dense.T @ dense + damp**2 * np.eye(dense.shape[1]), dense.T @ b)
    np.testing.assert_allclose(x, expected, atol=1e-6)


def test_cg_on_normal_operator():
    A, _, b = _deblur_problem(2)
    N = A.H @ A + 0.01 * linop.Identity(A.input_shape)
    rhs = A.rmatvec(b)
    x, info = spla.cg(N, rhs, rtol=1e-10, maxiter=2000)
    assert info == 0
    np.testing.assert_allclose(N.matvec(x), rhs, atol=1e-7)


def test_gmres_on_square_convolution():
    rng = np.random.default_rng(3)
    kernel = np.array([0.1, 1.0, 0.2])
    A = linop.Convolution(kernel, 50, padding="same", boundary="wrap")
    b = rng.standard_normal(50)
    x, info = spla.gmres(A, b, rtol=1e-10, maxiter=500)
    assert info == 0
    np.testing.assert_allclose(A.matvec(x), b, atol=1e-7)


def test_svds_and_eigsh_give_the_operator_norm():
    rng = np.random.default_rng(4)
    A = linop.Convolution(rng.standard_normal((3, 3, 2, 3)), (10, 9, 2), stride=2, padding=1)
    expected = np.linalg.norm(A.to_dense(), 2)
    s = spla.svds(A, k=1, return_singular_vectors=False, random_state=0)
    np.testing.assert_allclose(s.max(), expected, rtol=1e-8)
    w = spla.eigsh(A.H @ A, k=1, which="LM", return_eigenvectors=False)
    np.testing.assert_allclose(np.sqrt(w.max()), expected, rtol=1e-8)


def test_aslinearoperator_and_scipy_products_still_work():
    A = linop.Convolution([1.0, 2.0, 3.0], 6)
    M = spla.aslinearoperator(np.eye(4))
    P = M @ A  # a plain scipy product: not shaped, but correct
    np.testing.assert_allclose(P.matvec(np.ones(6)), A.matvec(np.ones(6)))
