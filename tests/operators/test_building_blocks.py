"""Pad, Subsample, Identity, and the algebra of shaped operators."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import linop

MODES = ["constant", "wrap", "reflect", "symmetric", "edge"]


@settings(max_examples=60, deadline=None)
@given(
    shape=st.lists(st.integers(2, 6), min_size=1, max_size=3),
    mode=st.sampled_from(MODES),
    data=st.data(),
)
def test_pad_matches_numpy_pad_and_adjoint_is_transpose(shape, mode, data):
    limit = {"reflect": min(shape) - 1, "symmetric": min(shape)}.get(mode, 7)
    pads = [(data.draw(st.integers(0, limit)), data.draw(st.integers(0, limit))) for _ in shape]
    x = np.random.default_rng(0).standard_normal(shape)
    P = linop.Pad(shape, pads, mode)
    np.testing.assert_array_equal(P.apply(x), np.pad(x, pads, mode=mode))
    np.testing.assert_allclose(P.H.to_dense(), P.to_dense().T)
    np.testing.assert_allclose(P.to_sparse().toarray(), P.to_dense())


def test_pad_accepts_torch_mode_names():
    x = np.arange(5.0)
    np.testing.assert_array_equal(linop.Pad(5, 2, "circular").apply(x), np.pad(x, 2, mode="wrap"))
    np.testing.assert_array_equal(linop.Pad(5, 2, "replicate").apply(x), np.pad(x, 2, mode="edge"))
    np.testing.assert_array_equal(linop.Pad(5, 2, "zeros").apply(x), np.pad(x, 2))


def test_pad_adjoint_folds_padded_values_back():
    P = linop.Pad(4, [(2, 1)], "reflect")  # x2 x1 | x0 x1 x2 x3 | x2
    np.testing.assert_array_equal(P.apply_adjoint(np.ones(7)), [1, 2, 3, 1])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(input_shape=4, pad_width=[(4, 0)], boundary="reflect"), "at most 3"),
        (dict(input_shape=4, pad_width=[(0, 5)], boundary="symmetric"), "at most 4"),
        (dict(input_shape=4, pad_width=1, boundary="mirror"), "boundary must be one of"),
        (dict(input_shape=(4, 4), pad_width=[1, 2, 3], boundary="constant"), "one entry per spatial axis"),
        (dict(input_shape=4, pad_width=-1, boundary="constant"), ">= 0"),
    ],
)
def test_pad_rejects_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        linop.Pad(**kwargs)


def test_subsample_and_zero_insertion():
    S = linop.Subsample((7,), 2, offset=1)
    x = np.arange(7.0)
    np.testing.assert_array_equal(S.apply(x), [1, 3, 5])
    np.testing.assert_array_equal(S.apply_adjoint([1.0, 2, 3]), [0, 1, 0, 2, 0, 3, 0])
    np.testing.assert_array_equal(S.H.to_dense(), S.to_dense().T)


def test_subsample_rejects_bad_offset_and_stride():
    with pytest.raises(ValueError, match="offset"):
        linop.Subsample(4, 2, offset=4)
    with pytest.raises(ValueError, match="stride"):
        linop.Subsample(4, 0)


def test_identity_is_its_own_adjoint():
    identity = linop.Identity((3, 2))
    x = np.random.default_rng(1).standard_normal((3, 2))
    np.testing.assert_array_equal(identity.apply(x), x)
    assert identity.H is identity
    np.testing.assert_array_equal(identity.to_dense(), np.eye(6))


@settings(max_examples=60, deadline=None)
@given(
    n=st.lists(st.integers(3, 9), min_size=1, max_size=2),
    data=st.data(),
)
def test_strided_padded_convolution_is_subsample_conv_pad(n, data):
    """Convolution(k, n, stride=s, padding=p, boundary=b) == Subsample @ Convolution(k, n+p) @ Pad(p, b)."""
    d = len(n)
    k = [data.draw(st.integers(1, 3)) for _ in range(d)]
    s = [data.draw(st.integers(1, 3)) for _ in range(d)]
    mode = data.draw(st.sampled_from(MODES))
    limit = {"reflect": min(n) - 1, "symmetric": min(n)}.get(mode, 3)
    pads = [(data.draw(st.integers(0, min(2, limit))), data.draw(st.integers(0, min(2, limit)))) for _ in range(d)]
    channels = data.draw(st.booleans())
    rng = np.random.default_rng(data.draw(st.integers(0, 1000)))
    if channels:
        kernel = rng.standard_normal(tuple(k) + (2, 3))
        ishape, extra = tuple(n) + (2,), [(0, 0)]
    else:
        kernel = rng.standard_normal(k)
        ishape, extra = tuple(n), []
    A = linop.Convolution(kernel, ishape, stride=s, padding=pads, boundary=mode)
    P = linop.Pad(ishape, pads + extra, mode)
    C = linop.Convolution(kernel, P.output_shape)
    S = linop.Subsample(C.output_shape, s + ([1] if channels else []))
    B = S @ C @ P
    assert isinstance(B, linop.ShapedOperator)
    assert B.input_shape == A.input_shape and B.output_shape == A.output_shape
    np.testing.assert_allclose(B.to_dense(), A.to_dense(), atol=1e-12)
    np.testing.assert_allclose(B.H.to_dense(), A.H.to_dense(), atol=1e-12)


def test_composition_checks_that_shapes_meet():
    A = linop.Convolution(np.ones(3), 7)
    with pytest.raises(ValueError, match=r"takes shape \(7,\) but the right one returns \(5,\)"):
        A @ A


def test_sum_and_scalar_multiple_stay_shaped():
    rng = np.random.default_rng(3)
    A = linop.Convolution(rng.standard_normal((3, 3)), (6, 5))
    B = linop.Convolution(rng.standard_normal((3, 3)), (6, 5), flip=True)
    x = rng.standard_normal((6, 5))
    for op, expected in [
        (A + B, A.apply(x) + B.apply(x)),
        (A - B, A.apply(x) - B.apply(x)),
        (2.5 * A, 2.5 * A.apply(x)),
        (-A, -A.apply(x)),
    ]:
        assert isinstance(op, linop.ShapedOperator) and op.output_shape == (4, 3)
        np.testing.assert_allclose(op.apply(x), expected)
        np.testing.assert_allclose(op.H.to_dense(), op.to_dense().T, atol=1e-12)
    with pytest.raises(ValueError, match="shapes differ"):
        A + linop.Identity((6, 5))


def test_complex_scalar_multiple_conjugates_in_adjoint():
    A = linop.Convolution(np.array([1.0, 2.0]), 4)
    B = (1 + 2j) * A
    assert B.dtype == np.complex128
    np.testing.assert_allclose(B.H.to_dense(), B.to_dense().conj().T)
    np.testing.assert_allclose(B.T.to_dense(), B.to_dense().T)


def test_float32_operator_algebra_stays_float32():
    A = linop.Convolution(np.ones((3,), np.float32), 8)
    assert (2 * A).dtype == np.float32
    assert (-A).dtype == np.float32
    assert (A.H @ A).dtype == np.float32
    assert A.apply(np.ones(8, np.float32)).dtype == np.float32


def test_adjoint_of_composition_reverses_order():
    rng = np.random.default_rng(5)
    A = linop.Convolution(rng.standard_normal(3), 9, stride=2)
    B = linop.Pad(7, 1, "reflect")
    C = A @ B
    assert C.H.input_shape == A.output_shape and C.H.output_shape == B.input_shape
    np.testing.assert_allclose(C.H.to_dense(), C.to_dense().T, atol=1e-12)
    np.testing.assert_allclose(C.to_sparse().toarray(), C.to_dense(), atol=1e-12)
