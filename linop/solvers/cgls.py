"""CGLS: conjugate gradients on the damped normal equations, without forming ``A^H A``.

Minimises ``||A x - b||^2 + damp^2 ||x||^2``, i.e. solves

.. math::

    (A^H A + \\mathrm{damp}^2 I)\\, x = A^H b

with one product by ``A`` and one by ``A^H`` per iteration, keeping the residual
``r = b - A x`` and the normal residual ``s = A^H r - damp^2 x``. In exact arithmetic its
iterates are LSQR's (:func:`~linop.solvers.lsqr`); it is simpler and slightly cheaper.
"""

from __future__ import annotations

from .arrays import apply_adjoint, apply_forward, namespace, norm, settle
from .checks import check_iteration_limit, check_nonnegative, check_tolerance
from .progress import iteration_progress
from .result import SolveResult

__all__ = ["cgls"]


def cgls(A, b, *, damp: float = 0.0, rtol: float = 1e-6, iter_lim: int | None = None, x0=None,
         callback=None, progress: bool | None = None) -> SolveResult:
    """Solve ``min ||A x - b||^2 + damp^2 ||x||^2`` by CGLS.

    Parameters
    ----------
    A : operator
        A linop :class:`~linop.ShapedOperator` or any object with ``matvec`` / ``rmatvec``.
    b : array
        Right-hand side (NumPy, Dask, ... : the solver's array library).
    damp : float, default 0
        Tikhonov damping.
    rtol : float, default 1e-6
        Stop when the normal residual ``||A^H (b - A x) - damp^2 x||`` falls below
        ``rtol`` times its starting value.
    iter_lim : int, optional
        Iteration limit (default ``2 * min(M, N)``).
    x0 : array, optional
        Starting point (default zero).
    callback : callable, optional
        ``callback(x)`` after every iteration.
    progress : bool, optional
        Progress bar; default only when interactive.

    Returns
    -------
    SolveResult
        ``residual_norm`` is the normal residual ``||A^H r - damp^2 x||``.

    Raises
    ------
    ValueError
        Negative ``damp``, ``rtol`` outside ``[0, 1)``, non-positive ``iter_lim``.

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
    check_iteration_limit(iter_lim, "iter_lim")
    xp = namespace(b)
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
    start = gamma ** 0.5
    history = [start]
    if start == 0:
        return SolveResult(x, 0, True, "A^H b = 0: x = x0 is the solution", 0.0, history)
    itn, converged = 0, False
    with iteration_progress("CGLS", limit, progress) as bar:
        while itn < limit:
            itn += 1
            q = settle(apply_forward(A, p))
            delta = norm(xp, q) ** 2 + dampsq * norm(xp, p) ** 2
            alpha = gamma / delta
            x = settle(x + alpha * p)
            r = settle(r - alpha * q)
            s = settle(apply_adjoint(A, r) - dampsq * x)
            gamma_new = norm(xp, s) ** 2
            history.append(gamma_new ** 0.5)
            bar.update(itn, history[-1])
            if callback is not None:
                callback(x)
            if history[-1] <= rtol * start:
                converged = True
                break
            p = settle(s + (gamma_new / gamma) * p)
            gamma = gamma_new
    reason = "the normal residual fell below rtol times its start" if converged else "the iteration limit was reached"
    return SolveResult(x, itn, converged, reason, history[-1], history)
