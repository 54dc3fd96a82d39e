"""The purity check names the fault it found: NaN or inf for finite input is not called nondeterminism."""

from __future__ import annotations

import numpy as np
from scipy.sparse.linalg import LinearOperator

import linop


def test_purity_says_nan_not_nondeterministic():
    op = LinearOperator((4, 4), matvec=lambda x: np.full(4, np.nan), rmatvec=lambda y: np.full(4, np.nan), dtype=float)
    message = linop.verify(op, checks=["purity"]).checks[0].message
    assert "returned NaN or inf for finite input" in message and "not deterministic" not in message


def test_purity_still_catches_a_nondeterministic_operator():
    rng = np.random.default_rng(0)
    op = LinearOperator((4, 4), matvec=lambda x: x + rng.standard_normal(4), rmatvec=lambda y: y, dtype=float)
    assert "not deterministic" in linop.verify(op, checks=["purity"]).checks[0].message
