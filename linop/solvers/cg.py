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

from .arrays import apply_forward, inner, namespace, norm, settle
from .checks import check_iteration_limit, check_nonnegative
from .progress import iteration_progress
from .result import SolveResult

__all__ = ["cg"]


def cg(M, b, *, shift: float = 0.0, rtol: float = 1e-5, atol: float = 0.0, maxiter: int | None = None,
       x0=None, callback=None, progress: bool | None = None) -> SolveResult:
    """Solve ``(M + shift I) x = b`` by conjugate gradients.

    Parameters
    ----------
    M : operator
        Hermitian positive semi-definite (with ``shift > 0``) or definite: a linop
        :class:`~linop.ShapedOperator` such as ``A.H @ A``, or anything with ``matvec``.
    b : array
        Right-hand side (NumPy, Dask, ...).
    shift : float, default 0
        ``lambda >= 0`` added to the diagonal (Tikhonov regularisation).
    rtol, atol : float
        Stop when ``||b - (M + shift I) x|| <= max(atol, rtol ||b||)`` (scipy's test).
    maxiter : int, optional
        Iteration limit (default ``10 N``, as scipy).
    x0 : array, optional
        Starting point (default zero).
    callback : callable, optional
        ``callback(x)`` after every iteration.
    progress : bool, optional
        Progress bar; default only when interactive.

    Returns
    -------
    SolveResult
        ``residual_norm`` is ``||b - (M + shift I) x||`` (the recursively updated residual).

    Raises
    ------
    ValueError
        A negative or non-finite ``shift``, negative tolerances, non-positive ``maxiter``.

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
    check_iteration_limit(maxiter, "maxiter")
    xp = namespace(b)
    limit = maxiter if maxiter is not None else 10 * M.shape[1]

    def shifted(v):
        mv = apply_forward(M, v)
        return mv + shift * v if shift else mv

    tolerance = max(atol, rtol * norm(xp, b))
    if x0 is None:
        x, r = settle(xp.zeros_like(b)), b
    else:
        x = settle(x0)
        r = settle(b - shifted(x))
    residual = norm(xp, r)
    history = [residual]
    itn, converged, p, rho_prev = 0, residual <= tolerance, None, None
    with iteration_progress("CG", limit, progress) as bar:
        while not converged and itn < limit:
            rho = inner(xp, r, r)
            p = r if p is None else settle(r + (rho / rho_prev) * p)
            q = settle(shifted(p))
            alpha = rho / inner(xp, p, q)
            x = settle(x + alpha * p)
            r = settle(r - alpha * q)
            rho_prev = rho
            itn += 1
            residual = norm(xp, r)
            history.append(residual)
            bar.update(itn, residual)
            if callback is not None:
                callback(x)
            converged = residual <= tolerance
    reason = "the residual fell below max(atol, rtol ||b||)" if converged else "the iteration limit was reached"
    return SolveResult(x, itn, converged, reason, residual, history)
