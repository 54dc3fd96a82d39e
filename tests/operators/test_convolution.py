"""The Convolution operator against its definition, the brute-force sum, and its adjoint."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import linop
from linop.testing.strategies import conv_configs
from tests.support.brute_force import brute_force_conv

LECTURE_MATRIX = np.array(
    [
        [0.5, 1, 0.5, 0, 0, 0, 0],
        [0, 0, 0.5, 1, 0.5, 0, 0],
        [0, 0, 0, 0, 0.5, 1, 0.5],
    ]
)


def test_lecture_example_forward():
    A = linop.Convolution([0.5, 1, 0.5], input_shape=(7,), stride=2)
    np.testing.assert_allclose(A.apply(np.array([1, 0, -2, 3, 1, 2, -1.0])), [-0.5, 2.5, 2])
    np.testing.assert_allclose(A @ np.array([1, 0, -2, 3, 1, 2, -1.0]), [-0.5, 2.5, 2])


def test_lecture_example_matrix_and_adjoint_shape():
    A = linop.Convolution([0.5, 1, 0.5], input_shape=(7,), stride=2)
    np.testing.assert_array_equal(A.to_dense(), LECTURE_MATRIX)
    np.testing.assert_array_equal(A.to_sparse().toarray(), LECTURE_MATRIX)
    assert A.H.shape == (7, 3)
    assert A.H.input_shape == (3,) and A.H.output_shape == (7,)
    np.testing.assert_allclose(A.H.apply([1.0, 2.0, 3.0]), LECTURE_MATRIX.T @ [1, 2, 3])


def _random(rng, shape, dtype):
    a = rng.standard_normal(shape)
    if np.issubdtype(dtype, np.complexfloating):
        a = a + 1j * rng.standard_normal(shape)
    return a.astype(dtype)


@st.composite
def configs(draw):
    """Random valid configurations of every keyword (``linop.testing.strategies.conv_configs``,
    small enough for the brute-force loops), as ``(kernel shape, input shape, keywords, dtype, seed)``."""
    config = draw(conv_configs(max_size=6, max_channels=3))
    return config.kernel_shape, config.input_shape, config.keywords, config.dtype, draw(st.integers(0, 2**31 - 1))


def _tol(dtype):
    return 2e-4 if np.dtype(dtype) in (np.float32, np.complex64) else 1e-10


@settings(max_examples=150, deadline=None)
@given(configs())
def test_matches_brute_force_sum(cfg):
    kshape, ishape, kw, dtype, seed = cfg
    rng = np.random.default_rng(seed)
    kernel = _random(rng, kshape, dtype)
    x = _random(rng, ishape, dtype)
    A = linop.Convolution(kernel, ishape, **kw)
    assert A.dtype == np.dtype(dtype)
    expected = brute_force_conv(x, kernel, **kw)
    got = A.apply(x)
    assert got.shape == A.output_shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=_tol(dtype), atol=_tol(dtype) * 10)


@settings(max_examples=150, deadline=None)
@given(configs())
def test_adjoint_is_conjugate_transpose_of_matrix(cfg):
    kshape, ishape, kw, dtype, seed = cfg
    rng = np.random.default_rng(seed)
    A = linop.Convolution(_random(rng, kshape, dtype), ishape, **kw)
    dense = A.to_dense()
    np.testing.assert_allclose(A.H.to_dense(), dense.conj().T, rtol=_tol(dtype), atol=_tol(dtype))
    np.testing.assert_allclose(A.T.to_dense(), dense.T, rtol=_tol(dtype), atol=_tol(dtype))
    np.testing.assert_allclose(A.to_sparse().toarray(), dense, rtol=_tol(dtype), atol=_tol(dtype))
    assert A.H.H is A
    assert A.H.input_shape == A.output_shape and A.H.output_shape == A.input_shape
