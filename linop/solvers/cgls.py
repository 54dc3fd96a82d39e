"""CGLS: conjugate gradients on the damped normal equations, without forming ``A^H A``.

Minimises ``||A x - b||^2 + damp^2 ||x||^2``, i.e. solves

.. math::

    (A^H A + \\mathrm{damp}^2 I)\\, x = A^H b

with one product by ``A`` and one by ``A^H`` per iteration, keeping the residual
``r = b - A x`` and the normal residual ``s = A^H r - damp^2 x``. In exact arithmetic its
iterates are LSQR's (:func:`~linop.solvers.lsqr`); it is simpler and slightly cheaper.
"""

from __future__ import annotations

from .checks import check_nonnegative, check_tolerance, iteration_limit
from .progress import iteration_progress
from .result import SolveResult
from .vectors import apply_adjoint, apply_forward, as_operator, norm, prepare, settle

__all__ = ["cgls"]


def cgls(
    A,
    b,
    *,
    damp: float = 0.0,
    rtol: float = 1e-6,
    iter_lim: int | None = None,
    maxiter: int | None = None,
    x0=None,
    callback=None,
    progress: bool | None = None,
) -> SolveResult:
    """Solve ``min ||A x - b||^2 + damp^2 ||x||^2`` by CGLS.

    Parameters
    ----------
    A : operator
        A linop :class:`~linop.ShapedOperator`, any object with ``matvec`` / ``rmatvec``,
        or a matrix scipy's ``aslinearoperator`` takes.
    b : array
        Right-hand side (NumPy, Dask, ... : the solver's array library): of ``A``'s output
        shape, or flat, ``(M,)`` or ``(M, 1)``.
    damp : real, default 0
        Tikhonov damping.
    rtol : real, default 1e-6
        Stop when the normal residual ``||A^H (b - A x) - damp^2 x||`` falls below
        ``rtol`` times its starting value.
    iter_lim, maxiter : int, optional
        Iteration limit (default ``2 * min(M, N)``), under scipy's ``lsqr`` name or its
        ``cg`` one; give one of them.
    x0 : array, optional
        Starting point (default zero): of ``A``'s input shape, ``(N,)`` or ``(N, 1)``.
    callback : callable, optional
        ``callback(x)`` after every iteration (laid out as the returned ``x``).
    progress : bool, optional
        Progress bar; default only when interactive.

    Returns
    -------
    SolveResult
        ``residual_norm`` is the normal residual ``||A^H r - damp^2 x||``. ``x`` has
        ``A``'s input shape when ``b`` has its output shape, and is ``(N,)`` or ``(N, 1)``
        when ``b`` is flat; its dtype is the result type of ``A`` and ``b``, floating
        (float64 for integers).

    Raises
    ------
    TypeError
        A keyword of the wrong type (a bool or a non-number; numbers of any kind, such as
        ``np.int64`` or ``np.float32``, are taken), both ``iter_lim`` and ``maxiter``, or
        an ``A`` that is no operator.
    ValueError
        Negative or non-finite ``damp``, ``rtol`` outside ``[0, 1)``, an iteration limit
        below 1, or ``b`` / ``x0`` of another shape.

    Examples
    --------
    >>> import numpy as np, linop
    >>> from linop.solvers import cgls
    >>> A = linop.Convolution([0.2, 0.6, 0.2], input_shape=(32,), padding="same", boundary="reflect")
    >>> x_true = np.cos(np.linspace(0, 3, 32))
    >>> result = cgls(A, A.apply(x_true), rtol=1e-12, iter_lim=200)
    >>> bool(np.abs(result.x - x_true).max() < 1e-2)
    True
    """
    damp, rtol = check_nonnegative(damp, "damp"), check_tolerance(rtol, "rtol")
    iter_lim = iteration_limit(maxiter, iter_lim)
    A = as_operator(A, "A")
    problem = prepare(A, b, x0)
    xp, b, x0 = problem.xp, problem.b, problem.x0
    limit = iter_lim if iter_lim is not None else 2 * min(A.shape)
    dampsq = damp * damp
    if x0 is None:
        r = b
        s = settle(apply_adjoint(A, r))
        x = settle(xp.zeros_like(s))
    else:
        x = settle(x0)
        r = settle(b - apply_forward(A, x))
        s = settle(apply_adjoint(A, r) - dampsq * x)
    p = s
    gamma = norm(xp, s) ** 2
    start = gamma**0.5
    history = [start]
    if start == 0:
        return SolveResult(problem.result(x), 0, True, "A^H b = 0: x = x0 is the solution", 0.0, history)
    itn, converged = 0, False
    reason = "the iteration limit was reached"
    with iteration_progress("CGLS", limit, progress) as bar:
        while itn < limit:
            q = settle(apply_forward(A, p))
            delta = norm(xp, q) ** 2 + dampsq * norm(xp, p) ** 2
            if delta == 0:  # ||A p||^2 + damp^2 ||p||^2 = 0: p = A^H r is 0 up to rounding
                reason = "breakdown: the search direction p has ||A p||^2 + damp^2 ||p||^2 = 0"
                break
            itn += 1
            alpha = gamma / delta
            x = settle(x + alpha * p)
            r = settle(r - alpha * q)
            s = settle(apply_adjoint(A, r) - dampsq * x)
            gamma_new = norm(xp, s) ** 2
            history.append(gamma_new**0.5)
            bar.update(itn, history[-1])
            if callback is not None:
                callback(problem.result(x))
            if history[-1] <= rtol * start:
                converged = True
                reason = "the normal residual fell below rtol times its start"
                break
            p = settle(s + (gamma_new / gamma) * p)
            gamma = gamma_new
    return SolveResult(problem.result(x), itn, converged, reason, history[-1], history)
