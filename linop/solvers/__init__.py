"""Krylov solvers for inverse problems, written once against the array API.

* :func:`lsqr`: damped least squares ``min ||A x - b||^2 + damp^2 ||x - x0||^2`` (Paige-Saunders);
* :func:`cgls`: the same problem by conjugate gradients on the normal equations;
* :func:`cg`: ``(M + shift I) x = b`` for a Hermitian positive (semi-)definite ``M``, e.g. ``A.H @ A``.

The vectors are arrays of any array-API library (:mod:`array_api_compat`): NumPy, or Dask
(then every vector is persisted on the workers each iteration and only scalars reach the
caller). On NumPy, :func:`lsqr` and :func:`cg` reproduce the iterates of scipy's ``lsqr``
and ``cg``, take their keywords (``damp``, ``atol``, ``btol``, ``rtol``, ``conlim``,
``x0``, and the iteration limit as ``iter_lim`` or ``maxiter``) and any kind of number
for them (``np.int64``, ``np.float32``...). ``b`` may have the operator's output shape
(then ``x`` has its input shape) or be flat (then so is ``x``); ``x`` is floating
(float64 for integer input). Each returns a :class:`SolveResult`; a progress bar
(iterations, residual) shows when the session is interactive.
"""

from .cg import cg
from .cgls import cgls
from .lsqr import lsqr
from .result import SolveResult

__all__ = ["SolveResult", "cg", "cgls", "lsqr"]
