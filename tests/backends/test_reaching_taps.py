"""Huge dilations and paddings: only the taps that reach the input are computed, in bounded memory
(linop.backends.reaching_taps); tests/geometry/test_parameter_checks.py rejects sizes no array can hold."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import linop
from linop.backends import reaching_taps as reach
from linop.backends.padding import pad_array
from linop.testing.strategies import conv_configs

HUGE = [10**7, 10**17, 10**30]
MODES = ["constant", "wrap", "edge", "reflect", "symmetric"]


def fold(i: int, n: int, mode: str) -> int | None:
    """The input sample padded position ``i`` copies, in Python ints (None: a zero)."""
    if 0 <= i < n:
        return i
    if mode == "constant":
        return None
    if mode == "wrap":
        return i % n
    if mode == "edge":
        return min(max(i, 0), n - 1)
    if mode == "reflect":
        period = max(2 * (n - 1), 1)
        r = i % period
        return min(r, period - r)
    r = i % (2 * n)  # symmetric
    return min(r, 2 * n - 1 - r)


def reference_matrix(kernel, n: int, stride: int, dilation: int, pad: tuple[int, int], mode: str) -> np.ndarray:
    """The 1-D operator's matrix from the defining sum, ``y[j] = sum_t k[t] x~[s j + d t - p_lo]``, in Python ints."""
    k = len(kernel)
    m = (n + pad[0] + pad[1] - (dilation * (k - 1) + 1)) // stride + 1
    M = np.zeros((m, n))
    for j in range(m):
        for t in range(k):
            i = fold(stride * j + dilation * t - pad[0], n, mode)
            if i is not None:
                M[j, i] += kernel[t]
    return M


def peak_bytes(run) -> int:
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("dilation", HUGE)
@pytest.mark.parametrize("mode", MODES)
def test_same_padding_with_a_huge_dilation_on_eight_samples(dilation, mode):
    kernel = np.array([1.0, 2.0, 3.0])
    x = np.arange(1.0, 9.0)
    if mode in ("reflect", "symmetric"):  # these modes mirror at most once: a named error, no allocation
        with pytest.raises(ValueError, match=f"boundary='{mode}'.*padding"):
            linop.Convolution(kernel, 8, dilation=dilation, padding="same", boundary=mode)
        return
    A = linop.Convolution(kernel, 8, dilation=dilation, padding="same", boundary=mode)
    M = reference_matrix(kernel, 8, 1, dilation, A.padding[0], mode)
    assert A.backend == "reach" and A.output_shape == (8,)
    assert peak_bytes(lambda: (A.apply(x), A.apply_adjoint(x))) < 200_000
    np.testing.assert_allclose(A.apply(x), M @ x, rtol=1e-13, atol=1e-12)
    np.testing.assert_allclose(A.apply_adjoint(x), M.T @ x, rtol=1e-13, atol=1e-12)
    np.testing.assert_allclose(A.to_sparse().toarray(), M)


@pytest.mark.parametrize("dilation", HUGE)
@pytest.mark.parametrize("mode", ["constant", "wrap", "edge"])
def test_a_kernel_operator_with_a_huge_dilation(dilation, mode):
    image = np.arange(1.0, 9.0)
    K = linop.KernelConvolution(image, 3, dilation=dilation, padding="same", boundary=mode)
    w, y = np.array([1.0, -2.0, 0.5]), np.linspace(-1, 1, 8)
    pad = K.padding[0]
    X = np.stack([reference_matrix(np.eye(3)[t], 8, 1, dilation, pad, mode) @ image for t in range(3)], axis=1)
    assert peak_bytes(lambda: (K.apply(w), K.apply_adjoint(y))) < 200_000
    np.testing.assert_allclose(K.apply(w), X @ w, rtol=1e-13, atol=1e-12)
    np.testing.assert_allclose(K.apply_adjoint(y), X.T @ y, rtol=1e-13, atol=1e-12)


def test_a_nan_kernel_tap_meeting_only_padding_still_gives_nan():
    """The defining sum has 0 * NaN = NaN where a tap meets zero padding."""
    K = linop.KernelConvolution(np.arange(1.0, 9.0), 3, dilation=10**30, padding="same")
    assert np.isnan(K.apply(np.array([np.nan, 1.0, 1.0]))).all()
    w = K.apply_adjoint(np.where(np.arange(8) == 2, np.inf, 1.0))
    assert np.isnan(w[0]) and np.isnan(w[2]) and np.isposinf(w[1])


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 8),
    k=st.integers(1, 3),
    mode=st.sampled_from(["constant", "wrap", "edge"]),
    dilation=st.sampled_from([1, 3, 10**7, 10**17, 10**30]),
    pad=st.tuples(st.sampled_from([0, 2, 10**6, 10**18, 10**31]), st.sampled_from([0, 1, 10**9, 10**31])),
    outputs=st.integers(1, 12),
    seed=st.integers(0, 2**16),
)
def test_huge_dilations_paddings_and_strides_match_the_defining_sum(n, k, mode, dilation, pad, outputs, seed):
    span = n + pad[0] + pad[1] - (dilation * (k - 1) + 1)
    if span < 0:
        return
    stride = max(1, span // outputs)  # a stride that keeps the output small
    kernel = np.random.default_rng(seed).standard_normal(k)
    A = linop.Convolution(kernel, n, stride=stride, dilation=dilation, padding=[pad], boundary=mode)
    M = reference_matrix(kernel, n, stride, dilation, pad, mode)
    x = np.random.default_rng(seed + 1).standard_normal(n)
    y = np.random.default_rng(seed + 2).standard_normal(M.shape[0])
    np.testing.assert_allclose(A.apply(x), M @ x, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(A.apply_adjoint(y), M.T @ y, rtol=1e-12, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(config=conv_configs(max_size=6, max_channels=4, ndims=(1, 2, 3)), seed=st.integers(0, 2**16))
def test_the_reach_backend_agrees_with_the_padded_backends(config, seed):
    """On ordinary geometries, where both can run: forward, adjoint and kernel adjoint."""
    A = config.build()
    g = A.geometry
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2,) + g.input_size + (g.in_channels,)).astype(config.dtype)
    y = rng.standard_normal((2,) + g.output_size + (g.out_channels,)).astype(config.dtype)
    tol = 1e-4 if np.finfo(A.dtype).bits <= 32 else 1e-10
    expected = A.apply(x if g.channels else x[..., 0])
    np.testing.assert_allclose(reach.correlate(x, A._weights, g).reshape(expected.shape), expected, rtol=tol, atol=tol)
    expected = A.apply_adjoint(y if g.channels else y[..., 0])
    got = reach.correlate_adjoint(y, A._weights_conj, g)
    np.testing.assert_allclose(got.reshape(expected.shape), expected, rtol=tol, atol=tol)
    xp = pad_array(x, g.padding, g.boundary)
    expected = linop.backends.direct.correlate_kernel_adjoint(xp, y, g.unpadded())
    np.testing.assert_allclose(reach.correlate_kernel_adjoint(x, y, g), expected, rtol=tol, atol=tol)


def test_a_two_dimensional_layer_with_a_huge_dilation_on_one_axis():
    kernel = np.random.default_rng(0).standard_normal((3, 3, 2, 4))
    A = linop.Convolution(kernel, (6, 5, 2), dilation=(10**17, 1), padding="same", boundary="wrap")
    x = np.random.default_rng(1).standard_normal((6, 5, 2))
    assert A.backend == "reach" and A.output_shape == (6, 5, 4)
    # wrap: dilation 10**17 = 4 (mod 6) and pad 10**17 = 4 (mod 6); the same map on a small grid
    small = linop.Convolution(
        kernel, (6, 5, 2), dilation=(4, 1), padding=((4, 4), (1, 1)), boundary="wrap", method="direct"
    )
    assert small.backend == "direct"
    np.testing.assert_allclose(A.apply(x), small.apply(x), rtol=1e-12)
    y = np.random.default_rng(2).standard_normal(A.output_shape)
    np.testing.assert_allclose(A.apply_adjoint(y), small.apply_adjoint(y), rtol=1e-12)
