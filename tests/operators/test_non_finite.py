"""NaN and inf come out where the defining sum puts them, for every method, the adjoint and the kernel operator.

The reference is the brute-force sum over every (output, tap) pair the definition
connects: a NaN (or an inf meeting a zero, or infs of both signs) makes exactly the
outputs it reaches non-finite. Real results must match its NaN, +inf and -inf masks;
complex results its non-finite mask (complex products mix infs and NaNs by formula).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import linop
from linop.testing.strategies import conv_configs
from tests.support.brute_force import brute_force_conv
from tests.support.brute_force_adjoint import brute_force_adjoint, brute_force_kernel_adjoint
from tests.support.non_finite import SMALL, SPECIALS, assert_same_non_finite_pattern, with_specials

METHODS = ["gemm", "fft", "direct", "auto"]


def every_method(config) -> list[linop.Convolution]:
    """``config``'s convolution built with each of :data:`METHODS`."""
    return [linop.Convolution(config.kernel, config.input_shape, **{**config.keywords, "method": m}) for m in METHODS]


@settings(max_examples=40, deadline=None)
@given(config=conv_configs(**SMALL), seed=st.integers(0, 2**16), special=SPECIALS)
def test_forward_non_finite_pattern_matches_the_defining_sum_for_every_method(config, seed, special):
    x = with_specials(config.input_shape, config.dtype, seed, special)
    with np.errstate(all="ignore"):
        expected = brute_force_conv(x, config.kernel, **config.keywords)
        for A in every_method(config):
            assert_same_non_finite_pattern(A.apply(x), expected)


@settings(max_examples=40, deadline=None)
@given(config=conv_configs(**SMALL), seed=st.integers(0, 2**16), special=SPECIALS)
def test_adjoint_non_finite_pattern_matches_the_defining_sum_for_every_method(config, seed, special):
    y = with_specials(config.build().output_shape, config.dtype, seed, special)
    with np.errstate(all="ignore"):
        expected = brute_force_adjoint(y, config.kernel, config.input_shape, **config.keywords)
        for A in every_method(config):
            assert_same_non_finite_pattern(A.apply_adjoint(y), expected)


@settings(max_examples=30, deadline=None)
@given(config=conv_configs(**SMALL), seed=st.integers(0, 2**16), special=SPECIALS)
def test_kernel_operator_non_finite_pattern_matches_the_defining_sums_for_every_method(config, seed, special):
    image = np.random.default_rng(seed).standard_normal(config.input_shape).astype(config.dtype)
    w = with_specials(config.kernel_shape, config.dtype, seed + 1, special, count=1)
    with np.errstate(all="ignore"):
        forward = brute_force_conv(image, w, **config.keywords)
        y = with_specials(forward.shape, config.dtype, seed + 2, special)
        adjoint = brute_force_kernel_adjoint(image, y, config.kernel_shape, **config.keywords)
        for method in METHODS:
            K = linop.KernelConvolution(image, config.kernel_shape, **{**config.keywords, "method": method})
            assert_same_non_finite_pattern(K.apply(w), forward)
            assert_same_non_finite_pattern(K.apply_adjoint(y), adjoint)


@pytest.mark.parametrize("method", METHODS)
def test_an_inf_meeting_a_zero_tap_is_nan_for_every_method(method):
    A = linop.Convolution([1.0, 0.0, 1.0], 8, method=method)
    x = np.zeros(8)
    x[3] = np.inf
    with np.errstate(all="ignore"):
        y = A.apply(x)
    np.testing.assert_array_equal(np.isposinf(y), [False, True, False, True, False, False])
    np.testing.assert_array_equal(np.isnan(y), [False, False, True, False, False, False])


@settings(max_examples=10, deadline=None)
@given(config=conv_configs(**SMALL), seed=st.integers(0, 2**16))
def test_the_brute_force_adjoint_is_the_adjoint_on_finite_data(config, seed):
    A = config.build()
    y = np.random.default_rng(seed).standard_normal(A.output_shape).astype(config.dtype)
    tol = 1e-4 if A.dtype in (np.float32, np.complex64) else 1e-10
    np.testing.assert_allclose(
        brute_force_adjoint(y, config.kernel, config.input_shape, **config.keywords),
        A.apply_adjoint(y),
        rtol=tol,
        atol=tol,
    )
