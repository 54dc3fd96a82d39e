"""NaN and inf in test data: arrays with planted special values, and the comparison of non-finite patterns.

Shared by the tests of the operators and of the backends: a result must be non-finite exactly
where the defining sum is (real results: the NaN, +inf and -inf masks; complex results: the
non-finite mask, as complex products mix infs and NaNs by formula).
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

#: Configurations small enough for the brute-force sums, in single, double and complex precision.
SMALL = dict(max_size=6, max_channels=3, ndims=(1, 2), dtypes=("float64", "float32", "complex128"))
SPECIALS = st.sampled_from([np.nan, np.inf, -np.inf])


def masks(a: np.ndarray) -> tuple[np.ndarray, ...]:
    """Where ``a`` is NaN, +inf and -inf (real); where it is not finite (complex)."""
    if np.iscomplexobj(a):
        return (~np.isfinite(a),)
    return np.isnan(a), np.isposinf(a), np.isneginf(a)


def assert_same_non_finite_pattern(actual: np.ndarray, expected: np.ndarray) -> None:
    """``actual`` is non-finite exactly where ``expected`` is, with the same kind of non-finite value."""
    for got, want in zip(masks(actual), masks(expected)):
        np.testing.assert_array_equal(got, want)


def with_specials(shape, dtype, seed: int, special: float, count: int = 2) -> np.ndarray:
    """A random array with ``special`` (NaN, inf or -inf) at up to ``count`` random positions."""
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape).astype(dtype)
    a.reshape(-1)[rng.integers(0, a.size, size=count)] = special
    return a
