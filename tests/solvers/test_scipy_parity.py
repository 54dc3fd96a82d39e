"""linop's solvers against scipy's on the edge cases and on random small problems.

Edge cases (zero b, zero b with a start, a start that already solves, a zero operator),
the layouts of b and x (shaped or flat), the dtypes of x, scipy's keyword names and every
kind of number scipy takes. The property tests draw small operators of every rank
(NumPy matrices, scipy LinearOperators, linop ShapedOperators with 1-D or 2-D shapes),
right-hand sides and starts of every kind, keyword spellings and scalar kinds, and
compare with scipy.sparse.linalg.lsqr / cg, and CGLS with the dense damped least-squares
solution.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse.linalg as spl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import linop
from linop.solvers import cg, cgls, lsqr

PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class Dense(linop.ShapedOperator):
    """A matrix as a shaped operator: ``x`` of ``input_shape`` (C order) to ``y`` of ``output_shape``."""

    def __init__(self, matrix, input_shape, output_shape):
        self.matrix = np.asarray(matrix)
        super().__init__(input_shape, output_shape, self.matrix.dtype)

    def _forward(self, x):
        return (x.reshape(len(x), -1) @ self.matrix.T).reshape((len(x),) + self.output_shape)

    def _backward(self, y):
        return (y.reshape(len(y), -1) @ self.matrix.conj()).reshape((len(y),) + self.input_shape)


def blur():
    """(4, 3) -> (4, 2): the flat layouts are (12,) for x and (8,) for b."""
    return linop.Convolution(np.ones((2, 2)) / 4, (4, 3), padding=((0, 1), (0, 0)))


SOLVE = {
    "lsqr": lambda A, b, **kw: lsqr(A, b, **kw),
    "cgls": lambda A, b, **kw: cgls(A, b, **kw),
    "cg": lambda A, b, **kw: cg(A.H @ A, A.H.apply(b), **kw),  # the normal equations
}


# -- edge cases against scipy --------------------------------------------------------------


def test_lsqr_with_zero_b_and_a_start_solves_the_problem_for_x_minus_x0():
    A = blur()
    D, x0 = A.to_dense(), np.linspace(1, 2, 12).reshape(4, 3)
    result = lsqr(A, np.zeros(A.output_shape), x0=x0)
    # scipy divides by ||b|| = 0 and stops after one iteration at a point that solves nothing
    delta, istop, itn = spl.lsqr(D, -D @ x0.ravel())[:3]
    assert result.converged and result.iterations == itn
    np.testing.assert_allclose(result.x.ravel(), x0.ravel() + delta, atol=1e-12)
    np.testing.assert_allclose(D @ result.x.ravel(), 0, atol=1e-6)


def test_lsqr_with_zero_b_returns_zero_at_once_as_scipy():
    A = blur()
    result = lsqr(A, np.zeros(A.output_shape))
    x, istop, itn = spl.lsqr(A.to_dense(), np.zeros(A.shape[0]))[:3]
    assert (result.iterations, result.converged) == (itn, True) and istop == 0
    np.testing.assert_array_equal(result.x.ravel(), x)


@pytest.mark.parametrize("solver", ["lsqr", "cgls"])
def test_a_start_that_already_solves_is_returned_at_once_as_a_copy(solver):
    A = blur()
    x0 = np.arange(12.0).reshape(4, 3) - 5  # exact in binary: A x0 is the same on every path
    keep = x0.copy()
    result = SOLVE[solver](A, A.apply(x0), x0=x0)
    assert result.iterations == 0 and result.converged
    np.testing.assert_array_equal(result.x, x0)
    assert result.x is not x0 and not np.shares_memory(result.x, x0)
    np.testing.assert_array_equal(x0, keep)
    ref = spl.lsqr(A.to_dense(), A.apply(x0).ravel(), x0=x0.ravel())
    assert ref[2] == 0


def test_lsqr_on_a_zero_operator_returns_the_start_as_scipy():
    D = np.zeros((3, 2))
    for x0 in (None, np.ones(2)):
        result = lsqr(D, np.ones(3), x0=x0)
        x, istop, itn, r1norm = spl.lsqr(D, np.ones(3), x0=x0)[:4]
        assert (result.iterations, result.converged) == (itn, True)
        np.testing.assert_array_equal(result.x, x)
        assert result.residual_norm == pytest.approx(r1norm)


@pytest.mark.parametrize("x0", [None, np.ones(3)], ids=["no start", "a start"])
def test_cg_with_zero_b_returns_zero_at_once_as_scipy(x0):
    M = np.diag([1.0, 2.0, 3.0])
    result = cg(M, np.zeros(3), x0=x0)
    x, info = spl.cg(M, np.zeros(3), x0=x0)
    assert info == 0 and result.converged and result.iterations == 0
    np.testing.assert_array_equal(result.x, x)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # scipy divides 0 by 0
def test_cg_on_a_zero_operator_stops_with_a_breakdown_instead_of_nan():
    result = cg(np.zeros((3, 3)), np.ones(3), maxiter=5)
    assert np.isnan(spl.cg(np.zeros((3, 3)), np.ones(3), maxiter=5)[0]).all()  # scipy's answer
    assert not result.converged and "breakdown" in result.reason and "not positive definite" in result.reason
    np.testing.assert_array_equal(result.x, 0)


def test_cg_stops_on_an_indefinite_operator_naming_why():
    result = cg(np.diag([1.0, -1.0]), np.array([0.0, 1.0]))
    assert not result.converged and "not positive definite" in result.reason
    assert np.isfinite(result.x).all()


# -- layouts -------------------------------------------------------------------------------


@pytest.mark.parametrize("solver", ["lsqr", "cgls", "cg"])
@pytest.mark.parametrize("flat", [(12,), (12, 1)], ids=["(N,)", "(N, 1)"])
def test_a_flat_b_gives_a_flat_x_of_the_same_layout(solver, flat):
    A = blur()
    rng = np.random.default_rng(0)
    M, x_true = A.H @ A, rng.random(A.input_shape)
    if solver == "cg":
        shaped = cg(M, M.apply(x_true), rtol=1e-12)
        flat_result = cg(M, M.apply(x_true).reshape(flat), rtol=1e-12)
    else:
        run = lsqr if solver == "lsqr" else cgls
        shaped = run(A, A.apply(x_true), iter_lim=50)
        flat_result = run(A, A.apply(x_true).reshape(-1, *flat[1:]), iter_lim=50)
    assert shaped.x.shape == A.input_shape
    assert flat_result.x.shape == flat
    np.testing.assert_allclose(flat_result.x.reshape(A.input_shape), shaped.x, atol=1e-12)


def test_the_callback_sees_the_iterate_in_the_returned_layout():
    A = blur()
    shapes = []
    lsqr(A, np.ones(A.shape[0]), iter_lim=3, callback=lambda x: shapes.append(x.shape))
    assert shapes == [(12,)] * len(shapes) and shapes


@pytest.mark.parametrize("solver", ["lsqr", "cgls"])
def test_a_b_of_another_shape_is_refused_naming_b(solver):
    run = lsqr if solver == "lsqr" else cgls
    with pytest.raises(ValueError, match=r"^b must have shape \(8,\), \(8, 1\) or \(4, 2\); got \(3, 4\)$"):
        run(blur(), np.ones((3, 4)))
    with pytest.raises(ValueError, match=r"^x0 must have shape \(12,\), \(12, 1\) or \(4, 3\); got \(2, 6\)$"):
        run(blur(), np.ones((4, 2)), x0=np.ones((2, 6)))


def test_cg_refuses_an_operator_that_changes_the_shape():
    with pytest.raises(ValueError, match=r"^M must map arrays to arrays of the same shape"):
        cg(np.ones((3, 2)), np.ones(3))


# -- dtypes --------------------------------------------------------------------------------


@pytest.mark.parametrize("solver", ["lsqr", "cgls", "cg"])
@pytest.mark.parametrize("values", ["zero", "nonzero"])
def test_an_integer_b_gives_a_float64_x(solver, values):
    D = np.array([[2, 1], [1, 3]])
    b = np.zeros(2, dtype=np.int64) if values == "zero" else np.array([1, 2])
    result = {"lsqr": lsqr, "cgls": cgls, "cg": cg}[solver](D, b)
    assert result.x.dtype == np.float64


@pytest.mark.parametrize("solver", ["lsqr", "cgls", "cg"])
def test_x_has_the_result_type_of_the_operator_and_b(solver):
    run = {"lsqr": lsqr, "cgls": cgls, "cg": cg}[solver]
    D = np.array([[2.0, 1.0], [1.0, 3.0]])
    assert run(D.astype(np.float32), np.ones(2, np.float32)).x.dtype == np.float32
    assert run(D.astype(np.float32), np.ones(2)).x.dtype == np.float64
    assert run(D, np.ones(2, np.complex64)).x.dtype == np.complex128


# -- keywords and numbers ------------------------------------------------------------------


@pytest.mark.parametrize("solver", ["lsqr", "cgls", "cg"])
def test_maxiter_and_iter_lim_are_the_same_limit(solver):
    A = blur()
    b = np.random.default_rng(1).random(A.output_shape)
    run = SOLVE[solver]
    quiet = {"atol": 0, "btol": 0, "conlim": 0} if solver == "lsqr" else {"rtol": 0}
    assert run(A, b, maxiter=3, **quiet).iterations == run(A, b, iter_lim=3, **quiet).iterations == 3
    with pytest.raises(TypeError, match=r"^give maxiter or iter_lim, not both"):
        run(A, b, maxiter=3, iter_lim=3)


NUMBERS = [np.int64(7), np.int32(7), 7]
REALS = [np.float32(0.125), np.float64(0.125), 0.125, np.int64(0), 0]


@pytest.mark.parametrize("limit", NUMBERS, ids=lambda v: type(v).__name__)
@pytest.mark.parametrize("real", REALS, ids=lambda v: f"{type(v).__name__}({v})")
def test_numbers_of_any_kind_are_taken_as_scipy_takes_them(limit, real):
    A = blur()
    b = np.random.default_rng(2).random(A.output_shape)
    ours = lsqr(A, b, iter_lim=limit, damp=real, atol=real, btol=real)
    x, istop, itn = spl.lsqr(A.to_dense(), b.ravel(), iter_lim=limit, damp=real, atol=real, btol=real)[:3]
    assert ours.iterations == itn
    np.testing.assert_allclose(ours.x.ravel(), x, rtol=1e-8, atol=1e-10)
    assert cgls(A, b, iter_lim=limit, damp=real, rtol=real).iterations <= int(limit)
    M = A.H @ A
    ours = cg(M, M.apply(np.ones(A.input_shape)), maxiter=limit, shift=real, atol=real, rtol=real)
    assert ours.iterations <= int(limit)


BAD = [
    (lambda A, b: lsqr(A, b, iter_lim=True), TypeError, r"^iter_lim must be a positive int or None; got bool True$"),
    (lambda A, b: cg(A.H @ A, A.H.apply(b), maxiter=np.True_), TypeError, r"^maxiter must be a positive int or None"),
    (lambda A, b: cgls(A, b, maxiter=2.0), TypeError, r"^maxiter must be a positive int or None; got float 2.0$"),
    (lambda A, b: lsqr(A, b, maxiter=0), ValueError, r"^maxiter must be a positive int or None; got 0$"),
    (lambda A, b: lsqr(A, b, damp=True), TypeError, r"^damp must be a finite number >= 0; got bool True$"),
    (lambda A, b: lsqr(A, b, damp=np.float32("inf")), ValueError, r"^damp must be a finite number >= 0; got"),
    (lambda A, b: cgls(A, b, damp=float("nan")), ValueError, r"^damp must be a finite number >= 0; got nan$"),
    (lambda A, b: lsqr(A, b, atol=np.float64("nan")), ValueError, r"^atol must be a number in \[0, 1\); got"),
    (lambda A, b: lsqr(A, b, btol="0.1"), TypeError, r"^btol must be a number in \[0, 1\); got str '0.1'$"),
    (lambda A, b: lsqr(A, b, conlim=float("nan")), ValueError, r"^conlim must be a number >= 0"),
    (lambda A, b: lsqr(A, b, conlim=False), TypeError, r"^conlim must be a number >= 0"),
    (lambda A, b: cg(A.H @ A, A.H.apply(b), rtol=float("inf")), ValueError, r"^rtol must be a finite number >= 0"),
    (lambda A, b: cg(A.H @ A, A.H.apply(b), atol=-1), ValueError, r"^atol must be a finite number >= 0; got -1$"),
    (lambda A, b: cg(A.H @ A, A.H.apply(b), shift=np.bool_(True)), TypeError, r"^shift must be a finite number"),
    (lambda A, b: lsqr("A", b), TypeError, r"^A must be a linear operator"),
]


@pytest.mark.parametrize("call, error, message", BAD, ids=[m for _, _, m in BAD])
def test_bools_non_numbers_and_non_finite_values_are_refused_naming_the_keyword(call, error, message):
    A = blur()
    with pytest.raises(error, match=message):
        call(A, np.ones(A.output_shape))


def test_conlim_inf_means_no_limit_as_zero_does():
    A, b = blur(), np.random.default_rng(3).random((4, 2))
    assert lsqr(A, b, conlim=np.inf).iterations == lsqr(A, b, conlim=0).iterations


@pytest.mark.parametrize("solver", ["lsqr", "cgls", "cg"])
def test_the_callers_arrays_are_not_modified(solver):
    A = blur()
    rng = np.random.default_rng(4)
    b, x0 = rng.random(A.output_shape), rng.random(A.input_shape)
    if solver == "cg":
        b = (A.H @ A).apply(rng.random(A.input_shape))
    kept = b.copy(), x0.copy()
    result = cg(A.H @ A, b, x0=x0, maxiter=4) if solver == "cg" else SOLVE[solver](A, b, x0=x0, maxiter=4)
    np.testing.assert_array_equal(b, kept[0])
    np.testing.assert_array_equal(x0, kept[1])
    assert not np.shares_memory(result.x, x0)


# -- random problems against scipy -----------------------------------------------------------


def factorisations(n: int) -> list[tuple[int, ...]]:
    return [(n,)] + [(a, n // a) for a in range(2, n) if n % a == 0]


@st.composite
def operators(draw, square: bool = False):
    """A random m x n matrix of random rank (singular values in [0.5, 3]), its dense form and
    how the solver gets it (an ndarray, a scipy LinearOperator, a linop ShapedOperator)."""
    m = draw(st.integers(1, 6))
    n = m if square else draw(st.integers(1, 6))
    rank = draw(st.integers(0, min(m, n)))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    complex_ = draw(st.booleans())

    def orthonormal(k):
        a = rng.standard_normal((k, k)) + (1j * rng.standard_normal((k, k)) if complex_ else 0)
        return np.linalg.qr(a)[0]

    sigma = rng.uniform(0.5, 3.0, rank)
    D = (orthonormal(m)[:, :rank] * sigma) @ orthonormal(n)[:, :rank].conj().T
    kind = draw(st.sampled_from(["ndarray", "scipy", "shaped"]))
    if kind == "ndarray":
        A = D
    elif kind == "scipy":
        A = spl.aslinearoperator(D)
    else:
        in_shape = draw(st.sampled_from(factorisations(n)))
        out_shape = in_shape if square else draw(st.sampled_from(factorisations(m)))
        A = Dense(D, in_shape, out_shape)
    return A, D, rank


def layout(A, v, draw, which):
    """``v`` (flat) in a layout the solver accepts: the operator's shape, (k,) or (k, 1)."""
    shape = getattr(A, which, None)
    options = ["flat", "column"] + (["shaped"] if shape is not None else [])
    choice = draw(st.sampled_from(options))
    return v if choice == "flat" else v.reshape(-1, 1) if choice == "column" else v.reshape(shape)


def number(draw, value, integral=False):
    """``value`` as one of the kinds of number scipy takes."""
    kinds = [int, np.int64, np.int32] if integral else [float, np.float64, np.float32]
    return draw(st.sampled_from(kinds))(value)


def limit_keyword(draw, value):
    return {draw(st.sampled_from(["maxiter", "iter_lim"])): number(draw, value, integral=True)}


@PROPERTY
@given(operators(), st.data())
def test_lsqr_agrees_with_scipy_on_random_problems(problem, data):
    A, D, rank = problem
    draw = data.draw
    m, n = D.shape
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    b_kind = draw(st.sampled_from(["zero", "random", "in range", "integer"]))
    x_true = rng.standard_normal(n)
    b = {
        "zero": np.zeros(m),
        "random": rng.standard_normal(m),
        "in range": D @ x_true,
        "integer": rng.integers(-3, 4, m),
    }[b_kind]
    x0_kind = draw(st.sampled_from(["none", "zero", "random"] + (["exact"] if b_kind == "in range" else [])))
    x0 = {"none": None, "zero": np.zeros(n), "random": rng.standard_normal(n), "exact": x_true}[x0_kind]
    damp = draw(st.sampled_from([0.0, 0.1, 1.0]))
    keywords = dict(
        damp=number(draw, damp), atol=number(draw, 1e-8), btol=number(draw, 1e-8), **limit_keyword(draw, 4 * n + 4)
    )
    ours = lsqr(
        A, layout(A, b, draw, "output_shape"), x0=None if x0 is None else layout(A, x0, draw, "input_shape"), **keywords
    )
    scipy_keywords = dict(damp=keywords["damp"], atol=keywords["atol"], btol=keywords["btol"], iter_lim=4 * n + 4)
    if not b.any() and x0 is not None and x0.any():  # scipy divides by ||b|| = 0: its problem for x - x0 instead
        delta, istop, itn = spl.lsqr(D, -D @ x0, **scipy_keywords)[:3]
        reference = x0 + delta
    else:
        reference, istop, itn = spl.lsqr(D, b, x0=x0, **scipy_keywords)[:3]
    assert ours.x.dtype == np.result_type(D.dtype, b.dtype, np.float64)
    assert ours.converged == (istop != 7)
    assert abs(ours.iterations - itn) <= 1  # the same recurrences; rounding may move a stopping test by one
    scale = 1 + np.abs(reference).max()
    np.testing.assert_allclose(ours.x.ravel(), reference, rtol=0, atol=1e-5 * scale)


@PROPERTY
@given(operators(square=True), st.data())
def test_cg_agrees_with_scipy_on_random_problems(problem, data):
    A, D, rank = problem
    draw = data.draw
    n = D.shape[0]
    shift = draw(st.sampled_from([0.0, 0.5]) if rank == n else st.just(0.5))
    gram = D.conj().T @ D
    M = spl.aslinearoperator(gram) if not isinstance(A, Dense) else Dense(gram, A.input_shape, A.input_shape)
    if isinstance(A, np.ndarray):
        M = gram
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    b = draw(st.sampled_from([np.zeros(n), rng.standard_normal(n), rng.integers(-3, 4, n)]))
    x0 = draw(st.sampled_from([None, np.zeros(n), rng.standard_normal(n)]))
    rtol = number(draw, 1e-10)
    ours = cg(
        M,
        layout(M, b, draw, "output_shape"),
        shift=number(draw, shift),
        rtol=rtol,
        atol=number(draw, 0.0),
        x0=None if x0 is None else layout(M, x0, draw, "input_shape"),
        **limit_keyword(draw, 20 * n),
    )
    shifted = spl.LinearOperator((n, n), matvec=lambda v: gram @ v + shift * v, dtype=np.result_type(gram, b, float))
    reference, info = spl.cg(shifted, b.astype(shifted.dtype), x0=x0, rtol=float(rtol), maxiter=20 * n)
    assert ours.x.dtype == np.result_type(gram.dtype, b.dtype, np.float64)
    assert ours.converged and info == 0
    np.testing.assert_allclose(ours.x.ravel(), reference, rtol=0, atol=1e-6 * (1 + np.abs(reference).max()))


@PROPERTY
@given(operators(), st.data())
def test_cgls_agrees_with_the_damped_least_squares_solution(problem, data):
    A, D, rank = problem
    draw = data.draw
    m, n = D.shape
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    b = draw(st.sampled_from([np.zeros(m), rng.standard_normal(m), rng.integers(-3, 4, m)]))
    damp = draw(st.sampled_from([0.0, 0.3]))
    x0 = None if damp == 0 and rank < n else draw(st.sampled_from([None, np.zeros(n), rng.standard_normal(n)]))
    ours = cgls(
        A,
        layout(A, b, draw, "output_shape"),
        damp=number(draw, damp),
        rtol=number(draw, 1e-12),
        x0=None if x0 is None else layout(A, x0, draw, "input_shape"),
        **limit_keyword(draw, 10 * n + 10),
    )
    stacked = np.vstack([D, damp * np.eye(n)])
    exact = np.linalg.lstsq(stacked, np.concatenate([b, np.zeros(n)]), rcond=None)[0]  # least norm when singular
    assert ours.converged
    np.testing.assert_allclose(ours.x.ravel(), exact, rtol=0, atol=1e-7 * (1 + np.abs(exact).max()))
