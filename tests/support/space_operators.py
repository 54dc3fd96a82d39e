"""Operators with known adjoints in weighted and real spaces, built from explicit matrices.

For a complex matrix ``B`` (``M x N``) and weightings ``W_dom``, ``W_ran`` (diagonal
weights or Hermitian positive-definite Gram matrices), the adjoint of ``x -> B x`` is

    A* y = W_dom^{-1} B^H W_ran y,

computed here by a dense solve, independently of linop. A real domain takes real
vectors; a real range keeps the real part of ``B x``:

* real domain: ``Re<B x, y>_W = <x, Re(W_dom^{-1} B^H W_ran y)>`` for real ``x``;
* real range: ``<Re(B x), y>_W = Re<x, W_dom^{-1} B^H W_ran y>_W`` for real ``y``.

A *planted* error changes one entry ``(j, i)`` of the product ``W_dom A*`` (so exactly
one entry of ``W_dom A* - (W_ran A)^H`` is wrong, and the checks can name it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse.linalg import LinearOperator

from linop.verification import Space


@dataclass
class SpaceCase:
    """A matrix, two spaces, and the operator's adjoint in them (possibly with a planted error)."""

    matrix: np.ndarray  # B, complex or real, float64
    domain: Space
    range: Space
    dtype: np.dtype  # the operator's dtype

    def weighting(self, space: Space, n: int) -> np.ndarray:
        """The dense ``W`` of a space of ``n`` entries."""
        if space.gram is not None:
            return np.asarray(space.gram, dtype=np.result_type(space.gram.dtype, np.float64))
        if space.weights is None:
            return np.eye(n)
        return np.diag(np.broadcast_to(np.asarray(space.weights, dtype=np.float64), (n,)).copy())

    def adjoint_matrix(self) -> np.ndarray:
        """``W_dom^{-1} B^H W_ran``, in float64/complex128."""
        M, N = self.matrix.shape
        return np.linalg.solve(self.weighting(self.domain, N), self.matrix.conj().T @ self.weighting(self.range, M))

    def operator(self, planted: tuple[int, int, complex] | None = None) -> LinearOperator:
        """The operator of ``dtype``: forward ``B x`` (its real part into a real range), adjoint ``A*`` (real part
        into a real domain); ``planted = (j, i, delta)`` adds ``delta`` to entry ``(j, i)`` of ``W_dom A*``."""
        M, N = self.matrix.shape
        adjoint = self.adjoint_matrix()
        if planted is not None:
            j, i, delta = planted
            E = np.zeros((N, M), dtype=complex)
            E[j, i] = delta
            adjoint = adjoint + np.linalg.solve(self.weighting(self.domain, N), E)
        dt = np.dtype(self.dtype)
        forward = self.matrix.astype(dt) if dt.kind == "c" else self.matrix.real.astype(dt)
        backward = adjoint.astype(dt) if dt.kind == "c" else adjoint.real.astype(dt)
        real_range, real_domain = self.range.real, self.domain.real

        def matvec(x):
            out = forward @ np.asarray(x)
            return out.real if real_range else out

        def rmatvec(y):
            out = backward @ np.asarray(y)
            return out.real if real_domain else out

        return LinearOperator((M, N), matvec=matvec, rmatvec=rmatvec, dtype=dt)


def random_matrix(rng: np.random.Generator, shape: tuple[int, int], complex_: bool) -> np.ndarray:
    B = rng.standard_normal(shape)
    return B + 1j * rng.standard_normal(shape) if complex_ else B


def random_space(rng: np.random.Generator, n: int, kind: str, real: bool, complex_operator: bool) -> Space:
    """A space of ``n`` entries: ``"euclidean"``, ``"scalar"`` or ``"array"`` weights (log-uniform in
    [1e-2, 1e2]), or a ``"gram"`` matrix (Hermitian for complex vectors, real for real ones)."""
    if kind == "euclidean":
        return Space(real=real)
    if kind == "scalar":
        return Space(weights=float(10 ** rng.uniform(-2, 2)), real=real)
    if kind == "array":
        return Space(weights=10 ** rng.uniform(-2, 2, size=n), real=real)
    C = random_matrix(rng, (n, n), complex_operator and not real)
    gram = C @ C.conj().T / n + 0.5 * np.eye(n)
    return Space(gram=gram * float(10 ** rng.uniform(-1, 1)), real=real)
