"""What a Krylov solver returns: the solution and how it got there."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["SolveResult"]


@dataclass
class SolveResult:
    """The outcome of :func:`~linop.solvers.lsqr`, :func:`~linop.solvers.cgls` or :func:`~linop.solvers.cg`.

    Parameters
    ----------
    x : array
        The last iterate, in the namespace (and, for Dask, persisted on the workers) of the
        right-hand side.
    iterations : int
        Iterations run.
    converged : bool
        Whether a tolerance test stopped the solver (``False``: the iteration limit did).
    reason : str
        Why it stopped, in words.
    residual_norm : float
        The solver's measure of the residual at the end (see each solver).
    history : list of float
        That measure after every iteration (the first entry is the starting value).

    Examples
    --------
    >>> from linop.solvers import lsqr
    >>> A = linop.Convolution([1.0, 0.5], 8)
    >>> result = lsqr(A, np.ones(7), atol=1e-12, btol=1e-12)
    >>> result.converged, result.iterations <= 8
    (True, True)
    >>> float(np.abs(A.apply(result.x) - 1).max()) < 1e-10
    True
    """

    x: Any
    iterations: int
    converged: bool
    reason: str
    residual_norm: float
    history: list[float] = field(default_factory=list)

    def __repr__(self) -> str:
        return (
            f"SolveResult(iterations={self.iterations}, converged={self.converged}, "
            f"residual_norm={self.residual_norm:.3e}, reason={self.reason!r})"
        )
