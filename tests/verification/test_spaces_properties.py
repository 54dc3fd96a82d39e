"""Properties of verification in weighted and real spaces, over random weights, Gram matrices and real/complex
combinations: every correct operator passes, every planted wrong entry fails with that entry named.

The operators are explicit matrices whose adjoints ``W_dom^{-1} B^H W_ran`` are computed by a
dense solve (:mod:`tests.support.space_operators`), independently of linop.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import linop
from tests.support.space_operators import SpaceCase, random_matrix, random_space

KINDS = ("euclidean", "scalar", "array", "gram")


@st.composite
def space_cases(draw) -> SpaceCase:
    """A random matrix (1 to 6 rows and columns), dtype, spaces (every kind of weighting, real or complex)."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    M, N = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    dtype = np.dtype(draw(st.sampled_from(["float32", "float64", "complex64", "complex128"])))
    complex_ = dtype.kind == "c"
    real_domain = complex_ and draw(st.booleans())
    real_range = complex_ and draw(st.booleans())
    domain = random_space(rng, N, draw(st.sampled_from(KINDS)), real_domain, complex_)
    range_ = random_space(rng, M, draw(st.sampled_from(KINDS)), real_range, complex_)
    return SpaceCase(random_matrix(rng, (M, N), complex_), domain, range_, dtype)


@settings(max_examples=60, deadline=None)
@given(space_cases(), st.integers(0, 2**16))
def test_correct_operators_pass_every_check_in_their_spaces(case, seed):
    report = linop.verify(case.operator(), domain=case.domain, range=case.range, seed=seed)
    assert report.passed, report


@settings(max_examples=60, deadline=None)
@given(space_cases(), st.data())
def test_a_wrong_entry_of_the_adjoint_fails_the_matrix_check_at_that_entry(case, data):
    M, N = case.matrix.shape
    i, j = data.draw(st.integers(0, M - 1)), data.draw(st.integers(0, N - 1))
    # between two real spaces only the real part of an entry acts on real vectors
    complex_entries = case.dtype.kind == "c" and not (case.domain.real and case.range.real)
    phase = data.draw(st.sampled_from([1.0, -1.0, 1j, -1j])) if complex_entries else 1.0
    # a wrong entry of W_dom A* of a tenth of the largest entry of W_ran A (never rounding noise)
    W_ran_A = case.weighting(case.range, M) @ case.matrix
    delta = 0.1 * float(np.abs(W_ran_A).max()) * phase
    report = linop.verify(
        case.operator(planted=(j, i, delta)), domain=case.domain, range=case.range, checks="matrix", seed=0
    )
    details = report["matrix"].details
    assert not report.passed
    assert (details["row"], details["column"]) == (i, j), report["matrix"].message
