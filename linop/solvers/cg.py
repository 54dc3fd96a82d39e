"""Conjugate gradients for a Hermitian positive (semi-)definite operator plus a shift.

Solves

.. math::

    (M + \\mathrm{shift}\\, I)\\, x = b

e.g. the Tikhonov-regularised normal equations with ``M = A^H A`` (``A.H @ A``),
``b = A^H y`` and ``shift = lambda``. The recurrences and the stopping test are those of
:func:`scipy.sparse.linalg.cg` (no preconditioner), so on NumPy the iterates agree with
scipy's to rounding; the arithmetic is array-API, so the same call runs on Dask arrays.
"""

from __future__ import annotations

from .checks import check_nonnegative, iteration_limit
from .progress import iteration_progress
from .result import SolveResult
from .vectors import apply_forward, as_operator, inner, norm, prepare, settle

__all__ = ["cg"]


def cg(
    M,
    b,
    *,
    shift: float = 0.0,
    rtol: float = 1e-5,
    atol: float = 0.0,
    maxiter: int | None = None,
    iter_lim: int | None = None,
    x0=None,
    callback=None,
    progress: bool | None = None,
) -> SolveResult:
    """Solve ``(M + shift I) x = b`` by conjugate gradients.

    Parameters
    ----------
    M : operator
        Hermitian positive semi-definite (with ``shift > 0``) or definite, mapping arrays
        to arrays of the same shape: a linop :class:`~linop.ShapedOperator` such as
        ``A.H @ A``, anything with ``matvec`` and ``rmatvec``, or a matrix scipy's
        ``aslinearoperator`` takes.
    b : array
        Right-hand side (NumPy, Dask, ...): of ``M``'s shape, or flat, ``(N,)`` or ``(N, 1)``.
    shift : real, default 0
        ``lambda >= 0`` added to the diagonal (Tikhonov regularisation).
    rtol, atol : real
        Stop when ``||b - (M + shift I) x|| <= max(atol, rtol ||b||)`` (scipy's test).
    maxiter, iter_lim : int, optional
        Iteration limit (default ``10 N``, as scipy), under scipy's ``cg`` name or its
        ``lsqr`` one; give one of them.
    x0 : array, optional
        Starting point (default zero): of ``M``'s shape, ``(N,)`` or ``(N, 1)``.
    callback : callable, optional
        ``callback(x)`` after every iteration (laid out as the returned ``x``).
    progress : bool, optional
        Progress bar; default only when interactive.

    Returns
    -------
    SolveResult
        ``residual_norm`` is ``||b - (M + shift I) x||`` (the recursively updated residual).
        ``x`` has ``M``'s shape when ``b`` has it, and is ``(N,)`` or ``(N, 1)`` when ``b``
        is flat; its dtype is the result type of ``M`` and ``b``, floating (float64 for
        integers). ``b = 0`` gives ``x = 0`` at once, as scipy. A search direction ``p``
        with ``p^H (M + shift I) p <= 0`` (``M + shift I`` is not positive definite, e.g.
        ``M = 0``) stops the solver, not converged, with the last iterate, where scipy
        goes on with NaN.

    Raises
    ------
    TypeError
        A keyword of the wrong type (a bool or a non-number; numbers of any kind, such as
        ``np.int64`` or ``np.float32``, are taken), both ``maxiter`` and ``iter_lim``, or
        an ``M`` that is no operator.
    ValueError
        A negative or non-finite ``shift``, ``rtol`` or ``atol``, an iteration limit below
        1, an ``M`` that changes the shape of arrays, or ``b`` / ``x0`` of another shape.

    Examples
    --------
    >>> import numpy as np, linop
    >>> from linop.solvers import cg
    >>> A = linop.Convolution([0.2, 0.6, 0.2], input_shape=(32,), padding="same", boundary="reflect")
    >>> y = A.apply(np.linspace(0, 1, 32))
    >>> result = cg(A.H @ A, A.H.apply(y), shift=1e-4, rtol=1e-10)
    >>> result.converged
    True
    """
    shift = check_nonnegative(shift, "shift")
    rtol, atol = check_nonnegative(rtol, "rtol"), check_nonnegative(atol, "atol")
    maxiter = iteration_limit(maxiter, iter_lim)
    M = as_operator(M, "M")
    problem = prepare(M, b, x0, square=True)
    xp, b, x0 = problem.xp, problem.b, problem.x0
    limit = maxiter if maxiter is not None else 10 * M.shape[1]

    def shifted(v):
        mv = apply_forward(M, v)
        return mv + shift * v if shift else mv

    bnorm = norm(xp, b)
    if bnorm == 0:  # as scipy: x = 0 solves it (the least-norm solution when M is singular)
        return SolveResult(problem.result(xp.zeros_like(b)), 0, True, "b = 0: x = 0 is the solution", 0.0, [0.0])
    tolerance = max(atol, rtol * bnorm)
    if x0 is None:
        x, r = settle(xp.zeros_like(b)), b
    else:
        x = settle(x0)
        r = settle(b - shifted(x))
    residual = norm(xp, r)
    history = [residual]
    itn, converged, p, rho_prev = 0, residual <= tolerance, None, None
    reason = "the iteration limit was reached"
    with iteration_progress("CG", limit, progress) as bar:
        while not converged and itn < limit:
            rho = inner(xp, r, r)
            p = r if p is None or rho_prev is None else settle(r + (rho / rho_prev) * p)  # None together
            q = settle(shifted(p))
            curvature = inner(xp, p, q)
            if not (curvature.real if isinstance(curvature, complex) else curvature) > 0:
                reason = (
                    f"breakdown: p^H (M + shift I) p = {curvature:.3g} along a search direction; "
                    "M + shift I is not positive definite"
                )
                break
            alpha = rho / curvature
            x = settle(x + alpha * p)
            r = settle(r - alpha * q)
            rho_prev = rho
            itn += 1
            residual = norm(xp, r)
            history.append(residual)
            bar.update(itn, residual)
            if callback is not None:
                callback(problem.result(x))
            converged = residual <= tolerance
    if converged:
        reason = "the residual fell below max(atol, rtol ||b||)"
    return SolveResult(problem.result(x), itn, converged, reason, residual, history)
