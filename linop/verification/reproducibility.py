"""Telling a systematic discrepancy from rounding noise: re-evaluation with slightly perturbed inputs.

The tolerance model (:mod:`linop.verification.tolerance`) bounds rounding errors by the
size of the quantities a check *sees*. An operator whose entries are sums that cancel
(six boundary taps folded onto one pixel and adding up to 0.1% of their magnitudes)
computes them with rounding errors relative to the *terms* of those sums, which no
black-box check can see: a correct operator can then exceed the tolerance.

Such an excess is noise, and noise changes when the inputs change in their low bits; a
wrong adjoint, a bias or a non-linearity does not. So a check that measures a
discrepancy ``d`` above its tolerance re-evaluates it ``REROLLS`` times with every input
entry multiplied by ``1 + delta``, ``|delta| <= sqrt(eps)`` random (``2^-26`` in float64,
``2^-12`` in float32): enough to re-randomise every rounding, too little to move a
genuine discrepancy by more than a relative ``sqrt(eps)``. The check reports a failure
only when the discrepancy is *reproducible*:

.. math::

    \\|d - d_r\\| \\le \\tfrac14 \\|d\\| \\quad \\text{for every re-evaluation } d_r.

Independent Gaussian noise passes this test with probability below ``1e-3`` (three
re-evaluations), on top of having exceeded the tolerance; a discrepancy twenty times the
noise passes it with probability 0.998, and the defects this suite exists to find are
many orders of magnitude above the noise. Operators that pass pay nothing: this only runs
after a comparison has exceeded its tolerance.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["REROLLS", "SYSTEMATIC_FRACTION", "is_reproducible", "perturb"]

#: Re-evaluations of a discrepancy above tolerance.
REROLLS = 3
#: A discrepancy is reproducible when each re-evaluation is within this fraction of it.
SYSTEMATIC_FRACTION = 0.25


def perturb(v: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A copy of ``v`` with every entry multiplied by ``1 + delta``, ``delta`` uniform in ``[-sqrt(eps), sqrt(eps)]``.

    ``eps`` is the machine epsilon of ``v``'s precision (float64 for integer arrays);
    zeros stay zero (sparse probes keep their support); the dtype is kept.
    """
    v = np.asarray(v)
    real = np.finfo(v.dtype).dtype if np.issubdtype(v.dtype, np.inexact) else np.dtype(np.float64)
    bound = float(np.sqrt(np.finfo(real).eps))
    factor = 1.0 + rng.uniform(-bound, bound, size=v.shape)
    return (v * factor).astype(v.dtype)


def _size(a: object) -> float:
    return float(np.linalg.norm(np.atleast_1d(np.asarray(a, dtype=np.complex128)).ravel()))


def is_reproducible(d: object, rerolled: Sequence[object]) -> bool:
    """Whether a discrepancy survives re-evaluation: ``||d - d_r|| <= ||d|| / 4`` for every ``d_r``.

    ``d`` and each ``d_r`` are scalars or arrays of the same shape. With no re-evaluation
    at hand the discrepancy counts as reproducible.
    """
    size = _size(d)
    for dr in rerolled:
        diff = np.asarray(d, dtype=np.complex128) - np.asarray(dr, dtype=np.complex128)
        if not _size(diff) <= SYSTEMATIC_FRACTION * size:
            return False
    return True
