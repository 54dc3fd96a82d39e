"""NaN and inf in the backends: every GEMM ordering and the compiled kernel give the defining sum's
pattern, the FFT confines a NaN to the outputs it reaches, and finiteness is detected in one pass."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import linop
from linop.backends import fft, gemm
from linop.backends.padding import pad_array
from linop.testing.strategies import conv_configs
from tests.support.brute_force import brute_force_conv
from tests.support.non_finite import SMALL, SPECIALS, assert_same_non_finite_pattern, with_specials


@settings(max_examples=20, deadline=None)
@given(
    config=conv_configs(**SMALL, channels=True, boundaries=("constant",)),
    ordering=st.sampled_from(gemm.ORDERINGS),
    seed=st.integers(0, 2**16),
    special=SPECIALS,
)
def test_every_gemm_ordering_and_the_compiled_kernel_give_the_same_pattern(config, ordering, seed, special):
    A = config.build()
    g = A.geometry
    x = with_specials((1,) + config.input_shape, config.dtype, seed, special)
    xp = pad_array(x, g.padding, g.boundary)
    with np.errstate(all="ignore"):
        y = gemm.correlate(xp, A._weights, A.geometry.unpadded(), ordering=ordering)[0]
        assert_same_non_finite_pattern(y, brute_force_conv(x[0], config.kernel, **config.keywords))


def test_one_nan_spoils_only_the_outputs_it_reaches_with_fft():
    A = linop.Convolution(np.ones(3), 16, method="fft")
    x = np.ones(16)
    x[5] = np.nan
    np.testing.assert_array_equal(np.flatnonzero(np.isnan(A.apply(x))), [3, 4, 5])
    np.testing.assert_array_equal(
        np.flatnonzero(np.isnan(A.H.apply(np.where(np.arange(14) == 5, np.nan, 1.0)))), [5, 6, 7]
    )


def test_finite_detection_is_one_cheap_pass():
    assert fft.all_finite(np.ones(4), np.zeros((2, 2)))
    assert not fft.all_finite(np.array([1.0, np.nan]))
    assert not fft.all_finite(np.array([np.inf, -np.inf]))
    assert fft.all_finite(np.zeros(0))
