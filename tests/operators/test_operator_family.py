"""ConvTranspose and KernelConvolution against brute force; dtype rules; purity; bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings

import linop
from tests.operators.test_convolution import _random, _tol, configs
from tests.support.brute_force import brute_force_conv


@settings(max_examples=80, deadline=None)
@given(configs())
def test_conv_transpose_is_adjoint_of_convolution(cfg):
    kshape, ishape, kw, dtype, seed = cfg
    rng = np.random.default_rng(seed)
    kernel = _random(rng, kshape, dtype)
    A = linop.Convolution(kernel, ishape, **kw)
    T = linop.ConvTranspose(kernel, ishape, **kw)
    assert T.input_shape == A.output_shape and T.output_shape == ishape
    y = _random(rng, A.output_shape, dtype)
    np.testing.assert_allclose(T.apply(y), A.H.apply(y), rtol=_tol(dtype), atol=_tol(dtype))
    assert T.H.output_shape == A.output_shape
    x = _random(rng, ishape, dtype)
    np.testing.assert_allclose(T.H.apply(x), A.apply(x), rtol=_tol(dtype), atol=_tol(dtype))


@settings(max_examples=80, deadline=None)
@given(configs())
def test_kernel_convolution_matches_brute_force_and_its_adjoint(cfg):
    kshape, ishape, kw, dtype, seed = cfg
    rng = np.random.default_rng(seed)
    x = _random(rng, ishape, dtype)
    K = linop.KernelConvolution(x, kshape, **kw)
    kernels = _random(rng, (2,) + kshape, dtype)
    got = K.apply(kernels)  # a batch of two kernels
    for b in range(2):
        np.testing.assert_allclose(
            got[b], brute_force_conv(x, kernels[b], **kw), rtol=_tol(dtype), atol=10 * _tol(dtype)
        )
    dense = K.to_dense()
    np.testing.assert_allclose(K.H.to_dense(), dense.conj().T, rtol=_tol(dtype), atol=_tol(dtype))


def test_kernel_adjoint_is_the_kernel_gradient():
    """d<A_k x, g>/dk = K_x^H g (real case), checked by central differences."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((9, 8, 2))
    k = rng.standard_normal((3, 3, 2, 3))
    g = rng.standard_normal((5, 4, 3))
    kw = dict(stride=2, padding="same", boundary="symmetric")
    K = linop.KernelConvolution(x, k.shape, **kw)
    grad = K.apply_adjoint(g)
    h = 1e-6
    for idx in [(0, 0, 0, 0), (2, 1, 1, 2), (1, 2, 0, 1)]:
        e = np.zeros_like(k)
        e[idx] = h
        fd = (
            np.vdot(linop.Convolution(k + e, x.shape, **kw).apply(x), g)
            - np.vdot(linop.Convolution(k - e, x.shape, **kw).apply(x), g)
        ) / (2 * h)
        assert abs(fd - grad[idx]) < 1e-6


@pytest.mark.parametrize(
    "kernel_dtype, expected",
    [
        (np.float32, np.float32),
        (np.float64, np.float64),
        (np.complex64, np.complex64),
        (np.complex128, np.complex128),
        (np.int64, np.float64),
        (np.int32, np.float64),
    ],
)
def test_operator_dtype_follows_kernel(kernel_dtype, expected):
    A = linop.Convolution(np.ones(3, dtype=kernel_dtype), 5)
    assert A.dtype == expected
    assert A.H.dtype == expected
    assert A.apply(np.ones(5, dtype=expected)).dtype == expected


def test_complex_adjoint_conjugates_and_transpose_does_not():
    k = np.array([1 + 2j, 3 - 1j, 0.5j])
    A = linop.Convolution(k, 6, padding="same", boundary="wrap")
    M = A.to_dense()
    np.testing.assert_allclose(A.H.to_dense(), M.conj().T)
    np.testing.assert_allclose(A.T.to_dense(), M.T)
    assert A.T.T is A


def test_flip_reverses_the_kernel():
    x = np.arange(6.0)
    np.testing.assert_allclose(
        linop.Convolution([1.0, 2.0, 3.0], 6, flip=True).apply(x), np.convolve(x, [1.0, 2.0, 3.0], "valid")
    )


def test_operators_do_not_modify_their_inputs():
    rng = np.random.default_rng(0)
    kernel = rng.standard_normal((3, 3, 2, 2))
    kernel_copy = kernel.copy()
    A = linop.Convolution(kernel, (6, 6, 2), padding="same", boundary="reflect")
    kernel[0, 0, 0, 0] = 100.0  # the operator keeps its own copy
    x = rng.standard_normal((6, 6, 2))
    x_copy = x.copy()
    A.apply(x)
    A.H.apply(A.apply(x))
    A.matvec(x.ravel())
    np.testing.assert_array_equal(x, x_copy)
    np.testing.assert_allclose(A.kernel, kernel_copy)
    assert not A.kernel.flags.writeable
    K = linop.KernelConvolution(x, (3, 3, 2, 2))
    K.apply(kernel_copy)
    np.testing.assert_array_equal(x, x_copy)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(stride=0), ValueError, "stride must be >= 1"),
        (dict(dilation=0), ValueError, "dilation must be >= 1"),
        (dict(stride=(1, 2, 3)), ValueError, "stride must be an int or a sequence of 2 ints"),
        (dict(padding="half"), ValueError, "padding must be 'valid', 'same', 'full'"),
        (dict(padding=-1), ValueError, "padding must be >= 0"),
        (dict(boundary="mirror"), ValueError, "boundary must be one of"),
        (dict(boundary="reflect", padding=8), ValueError, "allows a pad of at most 7"),
        (dict(groups=3), ValueError, "needs channels"),
        (dict(flip="yes"), TypeError, "flip must be True or False"),
        (dict(method="magic"), ValueError, "method must be one of"),
    ],
)
def test_bad_keywords_raise_clear_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        linop.Convolution(np.ones((3, 3)), (8, 8), **kwargs)


@pytest.mark.parametrize(
    "kernel, shape, kwargs, match",
    [
        (np.ones((3, 3)), (8,), {}, "does not fit input_shape"),
        (np.ones((3, 3, 2, 4)), (8, 8, 3), {}, "channel mismatch"),
        (np.ones((3, 3, 2, 4)), (8, 8, 4), dict(groups=3), "channel mismatch"),
        (np.ones((3, 3, 1, 3)), (8, 8, 2), dict(groups=2), "groups must divide both channel counts"),
        (np.ones(9), (5,), {}, "output size on axis 0 would be -3"),
        (np.array([1.0, np.nan]), (5,), {}, "must be finite"),
        (np.array([1.0, np.inf]), (5,), {}, "must be finite"),
        (np.array(["a", "b"]), (5,), {}, "must be a numeric array"),
        (np.ones(3), (0,), {}, "positive ints"),
    ],
)
def test_bad_kernels_and_shapes_raise_clear_errors(kernel, shape, kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        linop.Convolution(kernel, shape, **kwargs)


def test_wrong_vector_shapes_raise_clear_errors():
    A = linop.Convolution(np.ones((3, 3)), (8, 8))
    with pytest.raises(ValueError, match=r"x must have shape \(\.\.\., 8, 8\)"):
        A.apply(np.ones((8, 7)))
    with pytest.raises(ValueError, match=r"y must have shape \(\.\.\., 6, 6\)"):
        A.apply_adjoint(np.ones(36))
    with pytest.raises(ValueError, match="dimension mismatch"):
        A.matvec(np.ones(63))
