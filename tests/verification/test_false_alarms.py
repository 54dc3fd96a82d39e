"""Zero false alarms: thousands of random correct operators pass every check that applies.

Budget: 1500 random convolutions (every keyword, four dtypes) with the checks that run on
every operator, plus a few hundred transposed convolutions, kernel operators, building
blocks, compositions and scipy-wrapped operators with all checks; about 15 s on two cores.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.sparse.linalg import LinearOperator, aslinearoperator

import linop
from linop.testing import strategies

FAST_CHECKS = ("shapes", "linearity", "adjoint", "matrix", "probes")
SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _assert_passes(op, seed, checks="all"):
    report = linop.verify(op, checks=checks, seed=seed)
    assert report.passed, str(report)


@settings(max_examples=1500, **SETTINGS)
@given(strategies.conv_configs(), st.integers(0, 2**32 - 1))
def test_random_convolutions_pass(config, seed):
    _assert_passes(config.build(), seed, FAST_CHECKS)


@settings(max_examples=150, **SETTINGS)
@given(strategies.conv_configs(max_size=5), st.integers(0, 2**32 - 1))
def test_random_transposed_convolutions_pass_every_check(config, seed):
    A = config.build()
    _assert_passes(linop.ConvTranspose(config.kernel, config.input_shape, **config.keywords), seed)
    _assert_passes(A.T, seed, FAST_CHECKS)


@settings(max_examples=150, **SETTINGS)
@given(strategies.conv_configs(max_size=5), st.integers(0, 2**32 - 1))
def test_random_kernel_convolutions_pass(config, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(config.input_shape)
    if np.issubdtype(config.dtype, np.complexfloating):
        x = x + 1j * rng.standard_normal(config.input_shape)
    K = linop.KernelConvolution(x.astype(config.dtype), config.kernel_shape, **config.keywords)
    _assert_passes(K, seed, FAST_CHECKS)


@st.composite
def compositions(draw):
    """Compositions, sums, scalings and normal operators of random convolutions."""
    first = draw(strategies.conv_configs(max_size=6, dtypes=("float64", "complex128")))
    A = first.build()
    kind = draw(st.sampled_from(["normal", "chain", "sum", "scaled", "subsample"]))
    if kind == "normal":
        return A.H @ A
    if kind == "chain":
        spatial = A.output_shape if len(first.kernel_shape) == len(A.output_shape) else A.output_shape[:-1]
        k = np.random.default_rng(draw(st.integers(0, 99))).standard_normal((2,) * len(spatial))
        if len(first.kernel_shape) != len(A.output_shape):
            k = k[..., None, None] * np.ones((1, A.output_shape[-1], 2))
        return linop.Convolution(k, A.output_shape, padding="same", boundary="wrap") @ A
    if kind == "sum":
        other = linop.Convolution(np.flip(first.kernel).copy(), first.input_shape, **first.keywords)
        return A + other
    if kind == "scaled":
        return (0.5 - 2j) * A
    return linop.Subsample(A.output_shape, 2, 1 if min(A.output_shape) > 1 else 0, dtype=A.dtype) @ A


@settings(max_examples=100, **SETTINGS)
@given(compositions(), st.integers(0, 2**32 - 1))
def test_compositions_sums_and_scalings_pass(op, seed):
    _assert_passes(op, seed, FAST_CHECKS)


@st.composite
def building_blocks(draw):
    ndim = draw(st.integers(1, 3))
    shape = tuple(draw(st.integers(1, 6)) for _ in range(ndim))
    kind = draw(st.sampled_from(["pad", "subsample", "identity"]))
    dtype = draw(st.sampled_from(strategies.DTYPES))
    if kind == "pad":
        mode = draw(st.sampled_from(strategies.BOUNDARIES))
        limit = {"reflect": min(shape) - 1, "symmetric": min(shape)}.get(linop.geometry.canonical_boundary(mode), 3)
        widths = [(draw(st.integers(0, min(limit, 3))), draw(st.integers(0, min(limit, 3)))) for _ in shape]
        return linop.Pad(shape, widths, mode, dtype=dtype)
    if kind == "subsample":
        stride = [draw(st.integers(1, 3)) for _ in shape]
        offset = [draw(st.integers(0, n - 1)) for n in shape]
        return linop.Subsample(shape, stride, offset, dtype=dtype)
    return linop.Identity(shape, dtype=dtype)


@settings(max_examples=100, **SETTINGS)
@given(building_blocks(), st.integers(0, 2**32 - 1))
def test_building_blocks_pass_every_check(op, seed):
    _assert_passes(op, seed)


@settings(max_examples=100, **SETTINGS)
@given(strategies.conv_configs(max_size=6), st.integers(0, 2**32 - 1))
def test_scipy_wrappers_of_correct_operators_pass(config, seed):
    A = config.build()
    dense = aslinearoperator(A.to_dense())
    plain = LinearOperator(A.shape, matvec=A.matvec, rmatvec=A.rmatvec, dtype=A.dtype)
    product = aslinearoperator(A.to_sparse()).H @ plain
    for op in (dense, plain, product):
        _assert_passes(op, seed)


def _circular_fft_operator(kernel: np.ndarray) -> LinearOperator:
    """Circular convolution by FFT, a user's operator with rounding unlike linop's."""
    spectrum = np.fft.fft(kernel)
    complex_kernel = np.iscomplexobj(kernel)

    def forward(x):
        y = np.fft.ifft(spectrum * np.fft.fft(np.ravel(x)))
        return y if complex_kernel else y.real

    def backward(y):
        x = np.fft.ifft(spectrum.conj() * np.fft.fft(np.ravel(y)))
        return x if complex_kernel else x.real

    return LinearOperator((len(kernel), len(kernel)), matvec=forward, rmatvec=backward, dtype=kernel.dtype)


@settings(max_examples=60, **SETTINGS)
@given(st.integers(1, 3000), st.booleans(), st.integers(0, 2**32 - 1))
def test_fft_based_user_operators_pass(n, complex_kernel, seed):
    rng = np.random.default_rng(seed)
    kernel = rng.standard_normal(n) + (1j * rng.standard_normal(n) if complex_kernel else 0)
    _assert_passes(_circular_fft_operator(kernel), seed, ("linearity", "adjoint", "probes", "purity"))
