"""linop operators on Dask arrays: lazy results equal to the in-memory ones, and an adjoint linop.verify accepts.

Random convolutions (every boundary mode, stride, dilation, padding form, channels,
groups, dtype) meet random chunkings (uneven, chunks smaller than the kernel's reach);
the blocked operator is wrapped as a LinearOperator whose products build and compute the
Dask graph (DaskBackedOperator) and verified with the same checks as any operator.
Everything here runs on the synchronous scheduler; tests/dask/test_cluster.py runs a cluster.
"""

from __future__ import annotations

import subprocess
import sys

import dask
import dask.array as da
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import linop
from linop.dask import DaskBackedOperator, DaskKernelConvolution
from linop.testing.strategies import conv_configs
from tests.support.dask_strategies import chunkings

FAST = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(autouse=True)
def synchronous_scheduler():
    with dask.config.set(scheduler="sync"):
        yield


def rounding(dtype) -> float:
    return 2e-4 if np.dtype(dtype) in (np.float32, np.complex64) else 1e-10


def random_array(rng, shape, dtype):
    a = rng.standard_normal(shape)
    if np.issubdtype(dtype, np.complexfloating):
        a = a + 1j * rng.standard_normal(shape)
    return a.astype(dtype)


def assert_close(got, expected, dtype):
    scale = max(1.0, float(np.abs(expected).max(initial=0)))
    assert got.shape == expected.shape and got.dtype == expected.dtype
    np.testing.assert_allclose(got, expected, rtol=0, atol=rounding(dtype) * scale)


#: 1-D and 2-D for the verification (its explicit matrices grow fast), up to 3-D for the comparisons.
SMALL_CONVOLUTIONS = conv_configs(ndims=(1, 2), max_size=8, max_channels=4, dtypes=("float64", "complex128", "float32"))
CONVOLUTIONS = conv_configs(ndims=(1, 2, 3), max_size=8, max_channels=4, dtypes=("float64", "complex128", "float32"))
THOROUGH = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(SMALL_CONVOLUTIONS, st.data())
def test_verify_passes_on_blocked_convolutions_for_random_chunkings(config, data):
    A = config.build()
    chunks = data.draw(chunkings(A.input_shape))
    report = linop.verify(
        DaskBackedOperator(A, chunks, batch_chunks=data.draw(st.integers(1, 40))),
        checks=("shapes", "linearity", "adjoint", "matrix"),
        seed=0,
    )
    assert report.passed, report.failure_message()


@THOROUGH
@given(CONVOLUTIONS, st.data())
def test_blocked_convolution_equals_in_memory_forward_and_adjoint(config, data):
    A = config.build()
    rng = np.random.default_rng(0)
    x = random_array(rng, (2,) + A.input_shape, A.dtype)
    y = random_array(rng, (2,) + A.output_shape, A.dtype)
    x_chunks = (1,) + data.draw(chunkings(A.input_shape))
    y_chunks = (2,) + data.draw(chunkings(A.output_shape))
    assert_close(A.apply(da.from_array(x, chunks=x_chunks)).compute(), A.apply(x), A.dtype)
    assert_close(A.H.apply(da.from_array(y, chunks=y_chunks)).compute(), A.H.apply(y), A.dtype)


def test_stride_one_same_convolution_keeps_the_chunks_of_its_input():
    A = linop.Convolution(np.ones((5, 5)), (40, 30), padding="same", boundary="reflect")
    x = da.zeros((40, 30), chunks=((7, 13, 20), (4, 26)))
    assert A.apply(x).chunks == x.chunks
    assert A.H.apply(A.apply(x)).chunks == x.chunks


@FAST
@given(st.data())
def test_pad_is_verified_and_matches_in_memory(data):
    shape = (data.draw(st.integers(2, 8)), data.draw(st.integers(2, 8)))
    mode = data.draw(st.sampled_from(["constant", "wrap", "reflect", "symmetric", "edge"]))
    limit = {"reflect": min(shape) - 1, "symmetric": min(shape)}.get(mode, 5)
    widths = [(data.draw(st.integers(0, limit)), data.draw(st.integers(0, limit))) for _ in shape]
    P = linop.Pad(shape, widths, mode)
    chunks = data.draw(chunkings(shape))
    assert linop.verify(DaskBackedOperator(P, chunks), checks=("adjoint", "matrix"), seed=0).passed
    x = np.random.default_rng(1).standard_normal(shape)
    assert_close(P.apply(da.from_array(x, chunks=chunks)).compute(), P.apply(x), P.dtype)


@FAST
@given(st.data())
def test_subsample_is_verified_and_matches_in_memory(data):
    shape = (data.draw(st.integers(1, 12)), data.draw(st.integers(1, 12)))
    stride = tuple(data.draw(st.integers(1, 4)) for _ in shape)
    offset = tuple(data.draw(st.integers(0, n - 1)) for n in shape)
    S = linop.Subsample(shape, stride, offset)
    chunks = data.draw(chunkings(shape))
    assert linop.verify(DaskBackedOperator(S, chunks), checks=("adjoint", "matrix"), seed=0).passed
    y = np.random.default_rng(1).standard_normal(S.output_shape)
    y_chunks = data.draw(chunkings(S.output_shape))
    assert_close(S.H.apply(da.from_array(y, chunks=y_chunks)).compute(), S.H.apply(y), S.dtype)


@FAST
@given(conv_configs(ndims=(1, 2), max_size=10, max_channels=3, dtypes=("float64", "complex128")), st.data())
def test_kernel_convolution_adjoint_is_a_reduction_over_the_chunks(config, data):
    A = config.build()
    K = linop.KernelConvolution(
        np.random.default_rng(2).standard_normal(A.input_shape).astype(A.dtype), A.kernel.shape, **config.keywords
    )
    y_chunks = data.draw(chunkings(K.output_shape))
    assert linop.verify(DaskBackedOperator(K, -1, y_chunks), checks=("adjoint", "matrix"), seed=0).passed
    y = random_array(np.random.default_rng(3), (3,) + K.output_shape, K.dtype)
    assert_close(K.H.apply(da.from_array(y, chunks=(1,) + y_chunks)).compute(), K.H.apply(y), K.dtype)


def test_compositions_sums_and_scalings_run_blocked():
    rng = np.random.default_rng(4)
    C = linop.Convolution(rng.standard_normal((3, 3)), (20, 18), stride=2, padding="same", boundary="symmetric")
    T = linop.ConvTranspose(rng.standard_normal((3, 3)), (20, 18), stride=2, padding="same", boundary="wrap")
    crop = linop.Subsample((22, 20), 1, (2, 2)) @ linop.Pad((20, 18), ((2, 0), (1, 1)), "reflect")
    B = 2.0 * (C.H @ C) - 0.5j * linop.Identity((20, 18)) + T @ C + C.T @ linop.Subsample((20, 18), 2) @ crop
    chunks = ((3, 9, 8), (5, 13))
    assert linop.verify(DaskBackedOperator(B, chunks), checks=("adjoint", "linearity"), seed=0).passed
    x = rng.standard_normal((20, 18))
    assert_close(B.apply(da.from_array(x, chunks=chunks)).compute(), B.apply(x), B.dtype)


class Cumsum(linop.ShapedOperator):
    """An operator without a blocked rule (a user's own): runs on whole arrays per batch chunk."""

    def __init__(self, n):
        super().__init__((n,), (n,), np.float64)

    def _forward(self, x):
        return np.cumsum(x, axis=-1)

    def _backward(self, y):
        return np.cumsum(y[..., ::-1], axis=-1)[..., ::-1]


def test_an_operator_without_a_blocked_rule_runs_on_one_chunk_per_batch_chunk():
    op = Cumsum(10)
    x = np.random.default_rng(5).standard_normal((4, 10))
    got = op.apply(da.from_array(x, chunks=(2, 3)))
    assert got.chunks == ((2, 2), (10,))
    assert_close(got.compute(), op.apply(x), op.dtype)
    assert linop.verify(DaskBackedOperator(op, 3), checks=("adjoint",), seed=0).passed


def test_matvec_and_rmatvec_take_flat_dask_vectors():
    A = linop.Convolution(np.ones((3, 3)), (12, 8), stride=2, padding=1)
    v = np.arange(96.0)
    got = A.matvec(da.from_array(v, chunks=20))
    assert isinstance(got, da.Array) and got.shape == (A.shape[0],)
    assert_close(got.compute(), A.matvec(v), A.dtype)
    w = np.arange(float(A.shape[0]))[:, None]
    assert_close(A.rmatvec(da.from_array(w, chunks=7)).compute(), A.rmatvec(w), A.dtype)


def test_matrix_products_with_dask_operands_stay_lazy():
    A = linop.Convolution(np.ones(3), (10,), padding="same", boundary="wrap")
    X = np.arange(30.0).reshape(10, 3)
    for got, expected in [
        (A @ da.from_array(X, chunks=4), A @ X),
        (A.dot(da.from_array(X[:, 0], chunks=4)), A @ X[:, 0]),
        (A * da.from_array(X[:, :1], chunks=4), A * X[:, :1]),
    ]:
        assert isinstance(got, da.Array)
        assert_close(got.compute(), expected, A.dtype)


def test_nothing_is_computed_until_compute():
    calls = []

    def source(block):
        calls.append(1)
        return block

    A = linop.Convolution(np.ones((3, 3)), (16, 16), padding="same", boundary="wrap")
    x = da.ones((16, 16), chunks=4).map_blocks(source, meta=np.empty((0, 0)))
    y = A.H.apply(A.apply(x) * 2)
    assert isinstance(y, da.Array) and calls == []
    y.compute()
    assert calls


def test_a_wrong_shape_raises_before_any_compute():
    A = linop.Convolution(np.ones((3, 3)), (16, 16))
    with pytest.raises(ValueError, match=r"x must have shape \(\.\.\., 16, 16\).*got \(16, 15\)"):
        A.apply(da.zeros((16, 15), chunks=4))
    with pytest.raises(ValueError, match=r"y must have shape \(\.\.\., 14, 14\)"):
        A.apply_adjoint(da.zeros((16, 16), chunks=4))


def test_a_non_numeric_dtype_raises_before_any_compute():
    A = linop.Convolution(np.ones(3), (8,))
    with pytest.raises(TypeError, match="x must be a numeric array; got dtype <U1"):
        A.apply(da.from_array(np.array(list("abcdefgh")), chunks=4))


def test_unknown_chunk_sizes_raise_naming_the_fix():
    A = linop.Convolution(np.ones(3), (8,))
    x = da.arange(16.0, chunks=4)
    x = x[x > 7]  # unknown chunk sizes
    with pytest.raises(ValueError, match=r"unknown chunk sizes.*compute_chunk_sizes"):
        A.apply(x)


def test_empty_chunks_are_merged_away():
    A = linop.Convolution(np.array([1.0, -1.0]), (9,), boundary="edge", padding=1)
    x = da.from_array(np.arange(3.0, 12.0), chunks=((3, 0, 6),))  # as slicing can leave them
    assert_close(A.apply(x).compute(), A.apply(np.arange(3.0, 12.0)), A.dtype)


def test_the_result_dtype_is_the_in_memory_one():
    for kernel_dtype, x in [
        (np.float32, np.arange(8)),
        (np.float32, np.ones(8, np.float32)),
        (np.float64, np.ones(8, bool)),
    ]:
        A = linop.Convolution(np.ones(3, dtype=kernel_dtype), (8,))
        y = A.apply(da.from_array(x, chunks=3))
        assert y.dtype == A.apply(x).dtype == y.compute().dtype


def test_importing_linop_does_not_import_dask():
    code = "import sys, linop; sys.exit(any(m.split('.')[0] in ('dask', 'distributed', 'zarr') for m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], cwd=".").returncode == 0


@FAST
@given(conv_configs(ndims=(1, 2), max_size=10, max_channels=3, dtypes=("float64", "complex128")), st.data())
def test_a_dask_image_gives_the_kernel_operator_of_the_in_memory_image(config, data):
    A = config.build()
    image = random_array(np.random.default_rng(6), A.input_shape, A.dtype)
    chunks = data.draw(chunkings(A.input_shape))
    K = DaskKernelConvolution(da.from_array(image, chunks=chunks), A.kernel.shape, **config.keywords)
    reference = linop.KernelConvolution(image, A.kernel.shape, **config.keywords)
    assert linop.verify(K, checks=("adjoint", "matrix"), seed=0).passed
    w = random_array(np.random.default_rng(7), (2,) + K.input_shape, K.dtype)
    y = K.apply(da.from_array(w, chunks=1))
    assert isinstance(y, da.Array)
    assert_close(y.compute(), reference.apply(w), K.dtype)
    assert_close(K.H.apply(y).compute(), reference.H.apply(reference.apply(w)), K.dtype)


def test_a_dask_kernel_operator_needs_a_dask_image():
    with pytest.raises(TypeError, match="image must be a dask.array.Array; got ndarray"):
        DaskKernelConvolution(np.ones((5, 5)), (3, 3))
