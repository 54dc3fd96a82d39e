"""Array-API Krylov solvers: on NumPy their iterates are scipy's, on Dask their solution is NumPy's."""

from __future__ import annotations

import subprocess
import sys

import dask
import dask.array as da
import numpy as np
import pytest
import scipy.sparse.linalg as spl

import linop
from linop.solvers import cg, cgls, lsqr

#: Krylov iterations amplify rounding differences (a different summation order in an
#: inner product) geometrically; the first iterations agree to a few ulps, later ones
#: drift apart by more, and converged solutions agree to the solver tolerance.
EARLY = 12


def blur(shape=(14, 12), boundary="reflect"):
    kernel = np.outer([1.0, 3.0, 1.0], [1.0, 2.0, 1.0]) / 20
    return linop.Convolution(kernel, shape, padding="same", boundary=boundary)


def problem(seed=0):
    rng = np.random.default_rng(seed)
    A = blur()
    x = rng.random(A.input_shape)
    b = A.apply(x) + 0.01 * rng.standard_normal(A.output_shape)
    return A, b


def iterates(solve, *args, **kwargs):
    seen = []
    solve(*args, callback=lambda x: seen.append(np.array(x, copy=True).reshape(-1)), **kwargs)
    return seen


@pytest.mark.parametrize("damp", [0.0, 0.2])
def test_lsqr_iterates_match_scipy(damp):
    A, b = problem()
    ours = iterates(lsqr, A, b, damp=damp, atol=0, btol=0, conlim=0, iter_lim=EARLY, progress=False)
    theirs = [spl.lsqr(A, b.ravel(), damp=damp, atol=0, btol=0, conlim=0, iter_lim=k)[0] for k in range(1, EARLY + 1)]
    for k, (x, ref) in enumerate(zip(ours, theirs)):
        np.testing.assert_allclose(x, ref, rtol=1e-11, atol=1e-12 * np.abs(ref).max(), err_msg=f"iterate {k + 1}")


def test_lsqr_stops_where_scipy_stops():
    A, b = problem(1)
    result = lsqr(A, b, damp=0.1, progress=False)
    x, istop, itn, r1norm, r2norm = spl.lsqr(A, b.ravel(), damp=0.1)[:5]
    assert result.iterations == itn and result.converged
    assert result.residual_norm == pytest.approx(r2norm, rel=1e-8)
    np.testing.assert_allclose(result.x.ravel(), x, rtol=1e-7, atol=1e-7)


def test_lsqr_from_a_starting_point_matches_scipy():
    A, b = problem(2)
    x0 = np.full(A.input_shape, 0.5)
    ours = iterates(lsqr, A, b, x0=x0, atol=0, btol=0, conlim=0, iter_lim=5, progress=False)[-1]
    ref = spl.lsqr(A, b.ravel(), x0=x0.ravel(), atol=0, btol=0, conlim=0, iter_lim=5)[0]
    np.testing.assert_allclose(ours, ref, rtol=1e-11)


@pytest.mark.parametrize("shift", [0.0, 0.05])
def test_cg_iterates_match_scipy_on_the_normal_equations(shift):
    A, b = problem(3)
    M, rhs = A.H @ A, A.H.apply(b)
    ours = iterates(cg, M, rhs, shift=shift, maxiter=EARLY, rtol=0, progress=False)
    shifted = spl.LinearOperator(M.shape, matvec=lambda v: M.matvec(v) + shift * v, dtype=float)
    theirs = iterates(spl.cg, shifted, rhs.ravel(), maxiter=EARLY, rtol=0)
    assert len(ours) == len(theirs) == EARLY
    for k, (x, ref) in enumerate(zip(ours, theirs)):
        np.testing.assert_allclose(x, ref, rtol=1e-10, atol=1e-11 * np.abs(ref).max(), err_msg=f"iterate {k + 1}")


def test_cg_converges_where_scipy_does():
    A, b = problem(4)
    M, rhs = A.H @ A, A.H.apply(b)
    result = cg(M, rhs, shift=0.01, rtol=1e-8, progress=False)
    shifted = spl.LinearOperator(M.shape, matvec=lambda v: M.matvec(v) + 0.01 * v, dtype=float)
    ref, info = spl.cg(shifted, rhs.ravel(), rtol=1e-8)
    assert result.converged and info == 0
    np.testing.assert_allclose(result.x.ravel(), ref, rtol=1e-6, atol=1e-8)


def test_cgls_iterates_are_lsqr_iterates():
    A, b = problem(5)
    ours = iterates(cgls, A, b, damp=0.2, rtol=0, iter_lim=8, progress=False)
    ref = iterates(lsqr, A, b, damp=0.2, atol=0, btol=0, conlim=0, iter_lim=8, progress=False)
    for x, r in zip(ours, ref):
        np.testing.assert_allclose(x, r, rtol=1e-9, atol=1e-10)


def test_cgls_solves_the_damped_least_squares_problem():
    A, b = problem(6)
    result = cgls(A, b, damp=0.3, rtol=1e-12, iter_lim=500, progress=False)
    dense = A.to_dense()
    exact = np.linalg.solve(dense.T @ dense + 0.09 * np.eye(dense.shape[1]), dense.T @ b.ravel())
    assert result.converged
    np.testing.assert_allclose(result.x.ravel(), exact, rtol=1e-8, atol=1e-9)


@pytest.mark.parametrize("solver", ["lsqr", "cgls", "cg"])
def test_solvers_on_dask_arrays_reproduce_the_numpy_solution(solver):
    A, b = problem(7)
    b_dask = da.from_array(b, chunks=(5, 4))
    with dask.config.set(scheduler="sync"):

        def run(rhs):
            if solver == "cg":
                return cg(A.H @ A, A.H.apply(rhs), shift=0.01, maxiter=15, progress=False)
            if solver == "cgls":
                return cgls(A, rhs, damp=0.1, iter_lim=15, progress=False)
            return lsqr(A, rhs, damp=0.1, iter_lim=15, progress=False)

        on_numpy, on_dask = run(b), run(b_dask)
        assert isinstance(on_dask.x, da.Array) and on_dask.iterations == on_numpy.iterations
        np.testing.assert_allclose(on_dask.x.compute(), on_numpy.x, rtol=1e-10, atol=1e-12)


def test_a_progress_bar_shows_iterations_and_residual_when_asked(capsys):
    A, b = problem(8)
    lsqr(A, b, iter_lim=3, atol=0, btol=0, conlim=0, progress=True)
    err = capsys.readouterr().err
    assert "LSQR" in err and "3/3" in err and "residual" in err


def test_no_progress_bar_when_not_interactive(capsys):
    A, b = problem(8)
    cg(A.H @ A, A.H.apply(b), maxiter=3)
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda A, b: lsqr(A, b, damp=-1.0), "damp must be a finite number >= 0; got -1.0"),
        (lambda A, b: cgls(A, b, rtol=1.5), r"rtol must be a number in \[0, 1\); got 1.5"),
        (lambda A, b: lsqr(A, b, atol=2.0), r"atol must be a number in \[0, 1\); got 2.0"),
        (lambda A, b: cgls(A, b, iter_lim=0), "iter_lim must be a positive int or None; got 0"),
        (lambda A, b: cg(A.H @ A, A.H.apply(b), shift=float("nan")), "shift must be a finite number >= 0; got nan"),
    ],
)
def test_bad_parameters_raise_naming_them(call, message):
    A, b = problem()
    with pytest.raises(ValueError, match=message):
        call(A, b)


def test_a_zero_right_hand_side_returns_zero_at_once():
    A, _ = problem()
    result = lsqr(A, np.zeros(A.output_shape))
    assert result.iterations == 0 and result.converged and not result.x.any()


def test_the_solvers_do_not_import_dask():
    code = "import sys, linop.solvers; sys.exit('dask' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=".").returncode == 0
