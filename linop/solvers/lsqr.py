"""LSQR: damped least squares by Golub-Kahan bidiagonalisation (Paige and Saunders, 1982).

Minimises

.. math::

    \\|A x - b\\|_2^2 + \\mathrm{damp}^2\\, \\|x - x_0\\|_2^2

(Tikhonov damping). Mathematically equivalent to CG on the normal equations
``(A^H A + damp^2 I) x = A^H b`` but numerically more reliable. Its iterates are those of
:func:`scipy.sparse.linalg.lsqr` (same recurrences, same stopping tests), computed with
array-API operations on the right-hand side's arrays, so the same call runs on NumPy or,
with the vectors persisted on the workers, on Dask.
"""

from __future__ import annotations

import math

from .checks import check_condition_limit, check_nonnegative, check_tolerance, iteration_limit
from .progress import iteration_progress
from .result import SolveResult
from .vectors import apply_adjoint, apply_forward, as_operator, norm, prepare, settle

__all__ = ["lsqr"]

_EPS = 2.220446049250313e-16

_REASONS = {
    0: "b = 0 (or A^H b = 0): x = x0 is the solution",
    1: "A x = b to within atol and btol",
    2: "a least-squares solution to within atol",
    3: "the condition estimate exceeded conlim",
    4: "A x = b to machine precision",
    5: "a least-squares solution to machine precision",
    6: "the condition estimate is too large for machine precision",
    7: "the iteration limit was reached",
}


def _rotation(a: float, b: float) -> tuple[float, float, float]:
    """The plane rotation ``(c, s, r)`` with ``c a + s b = r`` and ``-s a + c b = 0``, ``c^2 + s^2 = 1``.

    Computed without overflow from the ratio of the smaller to the larger of ``|a|``,
    ``|b|``; ``c`` takes the sign of ``a`` (or ``s`` that of ``b``), the convention of
    Paige and Saunders' LSQR and MINRES (so the iterates agree with theirs).
    """
    if b == 0:
        return (math.copysign(1.0, a) if a != 0 else 1.0), 0.0, abs(a)
    if a == 0:
        return 0.0, math.copysign(1.0, b), abs(b)
    if abs(b) > abs(a):
        t = a / b
        s = math.copysign(1.0, b) / math.sqrt(1 + t * t)
        return s * t, s, b / s
    t = b / a
    c = math.copysign(1.0, a) / math.sqrt(1 + t * t)
    return c, c * t, a / c


def lsqr(
    A,
    b,
    *,
    damp: float = 0.0,
    atol: float = 1e-6,
    btol: float = 1e-6,
    conlim: float = 1e8,
    iter_lim: int | None = None,
    maxiter: int | None = None,
    x0=None,
    callback=None,
    progress: bool | None = None,
) -> SolveResult:
    """Solve ``min ||A x - b||^2 + damp^2 ||x - x0||^2`` by LSQR.

    Parameters
    ----------
    A : operator
        A linop :class:`~linop.ShapedOperator` (applied with ``apply`` / ``apply_adjoint``
        to arrays of its shapes, NumPy or Dask), any object with ``matvec`` and
        ``rmatvec`` (flat vectors), or a matrix scipy's ``aslinearoperator`` takes.
    b : array
        Right-hand side: of ``A``'s output shape, or flat, ``(M,)`` or ``(M, 1)``. Its
        array library is the solver's: NumPy arrays give NumPy iterates, Dask arrays
        Dask ones.
    damp : real, default 0
        Tikhonov damping (``lambda = damp^2`` in ``A^H A + lambda I``).
    atol, btol : real, default 1e-6
        Stop when ``||r|| <= btol ||b|| + atol ||A|| ||x||`` (a consistent system) or
        ``||A^H r|| <= atol ||A|| ||r||`` (least squares), with the norms estimated by
        the recurrences (no extra products). When ``b = 0`` and ``x0`` is given, ``||b||``
        is replaced by ``||b - A x0||`` (the right-hand side of the problem for
        ``x - x0``), where scipy divides by zero.
    conlim : real, default 1e8
        Stop when the estimated condition number of ``[A; damp I]`` exceeds it (0 or
        inf: never).
    iter_lim, maxiter : int, optional
        Iteration limit (default ``2 * min(M, N)``, as scipy), under scipy's ``lsqr`` name
        or its ``cg`` / ``lsmr`` one; give one of them.
    x0 : array, optional
        Starting point (default zero): of ``A``'s input shape, ``(N,)`` or ``(N, 1)``.
    callback : callable, optional
        ``callback(x)`` after every iteration with the current iterate (laid out as the
        returned ``x``).
    progress : bool, optional
        Show a progress bar (iterations, residual); default: only when interactive.

    Returns
    -------
    SolveResult
        ``x``, ``iterations``, ``converged``, ``reason`` and ``residual_norm``, the
        estimate of ``sqrt(||b - A x||^2 + damp^2 ||x - x0||^2)`` (scipy's ``r2norm``).
        ``x`` has ``A``'s input shape when ``b`` has its output shape, and is ``(N,)``
        or ``(N, 1)`` when ``b`` is flat; its dtype is the result type of ``A`` and
        ``b``, floating (float64 for integers).

    Raises
    ------
    TypeError
        A keyword of the wrong type (a bool or a non-number; numbers of any kind, such as
        ``np.int64`` or ``np.float32``, are taken), both ``iter_lim`` and ``maxiter``, or
        an ``A`` that is no operator.
    ValueError
        A negative or non-finite ``damp``, tolerances outside ``[0, 1)``, a negative
        ``conlim``, an iteration limit below 1, or ``b`` / ``x0`` of another shape.

    Examples
    --------
    >>> import numpy as np, linop
    >>> from linop.solvers import lsqr
    >>> A = linop.Convolution([0.2, 0.6, 0.2], input_shape=(32,), padding="same", boundary="reflect")
    >>> x_true = np.sin(np.linspace(0, 3, 32))
    >>> result = lsqr(A, A.apply(x_true), damp=1e-3, atol=1e-10, btol=1e-10, iter_lim=200)
    >>> bool(np.abs(result.x - x_true).max() < 1e-2)
    True
    """
    damp = check_nonnegative(damp, "damp")
    atol, btol = check_tolerance(atol, "atol"), check_tolerance(btol, "btol")
    conlim = check_condition_limit(conlim)
    iter_lim = iteration_limit(maxiter, iter_lim)
    A = as_operator(A, "A")
    problem = prepare(A, b, x0)
    xp, b, x0 = problem.xp, problem.b, problem.x0
    rows, cols = A.shape
    limit = iter_lim if iter_lim is not None else 2 * min(rows, cols)
    ctol = 1 / conlim if conlim > 0 else 0.0
    dampsq = damp * damp

    bnorm = norm(xp, b)
    if x0 is None:
        u, beta = b, bnorm
    else:
        u = settle(b - apply_forward(A, x0))
        beta = norm(xp, u)
    if beta == 0:  # b = A x0 exactly
        x = x0 if x0 is not None else xp.zeros_like(apply_adjoint(A, b))
        return SolveResult(problem.result(x), 0, True, _REASONS[0], 0.0, [0.0])
    # The tests are relative to ||b||; for b = 0 (and x0 != 0, else beta = 0) to that of
    # the problem for x - x0, ||b - A x0||: scipy divides by ||b|| = 0 there.
    scale = bnorm if bnorm > 0 else beta
    u = settle(u / beta)
    v = apply_adjoint(A, u)
    alpha = norm(xp, v)
    x = settle(x0 if x0 is not None else xp.zeros_like(v))
    rnorm = beta
    history = [rnorm]
    if alpha == 0:  # A^H (b - A x0) = 0: x0 is a least-squares solution
        return SolveResult(problem.result(x), 0, True, _REASONS[0], rnorm, history)
    v = settle(v / alpha)
    w = v
    rhobar, phibar = alpha, beta

    anorm = acond = ddnorm = res2 = xnorm = xxnorm = z = 0.0
    cs2, sn2 = -1.0, 0.0
    istop, itn = 0, 0
    with iteration_progress("LSQR", limit, progress) as bar:
        while itn < limit:
            itn += 1
            # bidiagonalisation: beta u = A v - alpha u, alpha v = A^H u - beta v
            u = settle(apply_forward(A, v) - alpha * u)
            beta = norm(xp, u)
            if beta > 0:
                u = settle(u / beta)
                anorm = math.sqrt(anorm * anorm + alpha * alpha + beta * beta + dampsq)
                v = settle(apply_adjoint(A, u) - beta * v)
                alpha = norm(xp, v)
                if alpha > 0:
                    v = settle(v / alpha)
            # a rotation eliminates the damping from the bidiagonal matrix
            if damp > 0:
                rhobar1 = math.sqrt(rhobar * rhobar + dampsq)
                cs1, sn1 = rhobar / rhobar1, damp / rhobar1
                psi, phibar = sn1 * phibar, cs1 * phibar
            else:
                rhobar1, psi = rhobar, 0.0
            # a rotation eliminates the subdiagonal beta
            cs, sn, rho = _rotation(rhobar1, beta)
            theta, rhobar = sn * alpha, -cs * alpha
            phi, phibar = cs * phibar, sn * phibar
            tau = sn * phi
            ddnorm += (norm(xp, w) / rho) ** 2
            x = settle(x + (phi / rho) * w)
            w = settle(v + (-theta / rho) * w)
            # a rotation on the right estimates ||x||
            delta, gambar = sn2 * rho, -cs2 * rho
            rhs = phi - delta * z
            xnorm = math.sqrt(xxnorm + (rhs / gambar) ** 2)
            gamma = math.sqrt(gambar * gambar + theta * theta)
            cs2, sn2 = gambar / gamma, theta / gamma
            z = rhs / gamma
            xxnorm += z * z
            # the stopping tests
            acond = anorm * math.sqrt(ddnorm)
            res2 += psi * psi
            rnorm = math.sqrt(phibar * phibar + res2)
            arnorm = alpha * abs(tau)
            history.append(rnorm)
            bar.update(itn, rnorm)
            if callback is not None:
                callback(problem.result(x))
            test1 = rnorm / scale
            test2 = arnorm / (anorm * rnorm + _EPS)
            test3 = 1 / (acond + _EPS)
            t1 = test1 / (1 + anorm * xnorm / scale)
            rtol = btol + atol * anorm * xnorm / scale
            if itn >= limit:
                istop = 7
            if 1 + test3 <= 1:
                istop = 6
            if 1 + test2 <= 1:
                istop = 5
            if 1 + t1 <= 1:
                istop = 4
            if test3 <= ctol:
                istop = 3
            if test2 <= atol:
                istop = 2
            if test1 <= rtol:
                istop = 1
            if istop:
                break
    return SolveResult(problem.result(x), itn, istop != 7, _REASONS[istop], rnorm, history)
