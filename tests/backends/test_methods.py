"""The numeric backends: every method against the brute-force sum and against each other.

Forward, adjoint and kernel adjoint, for random configurations of every option
(1-3 spatial axes, channels, groups, stride, dilation, padding, every boundary mode,
flip, float32/float64/complex); chunking and blocking give the same numbers; the scratch
memory stays under the workspace limit; the cost model picks FFT for a large PSF.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import tracemalloc
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import linop
from linop import backends
from linop.backends import blas, cache, compiled, direct, fft, gemm, parallel, plan_convolution, workspace
from linop.backends.padding import fold_array, pad_array
from linop.geometry import AxisGeometry, ConvGeometry
from linop.immutable import immutable, is_immutable
from linop.testing.strategies import conv_configs as valid_conv_configs
from tests.support.brute_force import brute_force_conv

METHODS = ("gemm", "fft", "direct")
BACKENDS = {"gemm": gemm, "fft": fft, "direct": direct}
BOUNDARIES = ("constant", "wrap", "reflect", "symmetric", "edge")


def _random(rng, shape, dtype):
    a = rng.standard_normal(shape)
    if np.issubdtype(dtype, np.complexfloating):
        a = a + 1j * rng.standard_normal(shape)
    return a.astype(dtype)


def _tol(dtype):
    return 1e-4 if np.dtype(dtype) in (np.float32, np.complex64) else 1e-10


def _close(actual, desired, dtype, scale=1.0):
    tol = _tol(dtype) * max(1.0, scale)
    np.testing.assert_allclose(actual, desired, rtol=tol, atol=tol)


def _forcing_ordering(A, ordering):
    """``A`` with its gemm plan's window ordering forced to ``ordering`` (a test of every ordering)."""
    if A.plan.method == "gemm":
        kernel = "row" if ordering in ("full", "implicit") else ordering
        A._plan = dataclasses.replace(A.plan, orderings=(ordering, ordering, kernel))
    return A


def _vdot(a, b):
    return np.vdot(np.asarray(a).ravel(), np.asarray(b).ravel())


@st.composite
def conv_configs(draw):
    """A valid random convolution (``linop.testing.strategies.conv_configs``, every keyword):
    ``(kernel shape, input shape, keywords, dtype, batch, seed)``; the method is the test's."""
    config = draw(valid_conv_configs(max_size=10, max_channels=6, methods=("auto",)))
    keywords = {k: v for k, v in config.keywords.items() if k != "method"}
    batch = draw(st.integers(1, 3))
    return config.kernel_shape, config.input_shape, keywords, config.dtype, batch, draw(st.integers(0, 2**31 - 1))


def _brute_force_batch(x, kernel, keywords):
    return np.stack([brute_force_conv(xb, kernel, **keywords) for xb in x])


# -- every method against the brute-force sum ----------------------------------------------
@settings(max_examples=60, deadline=None)
@given(conv_configs())
def test_every_method_forward_matches_brute_force(cfg):
    kshape, ishape, keywords, dtype, batch, seed = cfg
    rng = np.random.default_rng(seed)
    kernel = _random(rng, kshape, dtype)
    x = _random(rng, (batch,) + ishape, dtype)
    expected = _brute_force_batch(x, kernel, keywords)
    for method in METHODS:
        A = linop.Convolution(kernel, ishape, method=method, **keywords)
        got = A.apply(x)
        assert got.dtype == dtype, method
        _close(got, expected, dtype, np.abs(expected).max(initial=1))


@settings(max_examples=60, deadline=None)
@given(conv_configs())
def test_every_method_adjoint_is_the_adjoint_of_the_brute_force_sum(cfg):
    """<A x, y> == <x, A^H y> with A x from the brute-force sum, and all methods agree on A^H y."""
    kshape, ishape, keywords, dtype, batch, seed = cfg
    rng = np.random.default_rng(seed)
    kernel = _random(rng, kshape, dtype)
    x = _random(rng, ishape, dtype)
    Ax = brute_force_conv(x, kernel, **keywords)
    y = _random(rng, (batch,) + Ax.shape, dtype)
    adjoints = {}
    for method in METHODS:
        A = linop.Convolution(kernel, ishape, method=method, **keywords)
        AHy = A.apply_adjoint(y)
        assert AHy.shape == (batch,) + ishape and AHy.dtype == dtype
        scale = np.abs(Ax).max(initial=1) * np.abs(y).max() * Ax.size
        np.testing.assert_allclose(_vdot(AHy[0], x), _vdot(y[0], Ax), rtol=_tol(dtype) * 10, atol=_tol(dtype) * scale)
        adjoints[method] = AHy
    for method in METHODS[1:]:
        _close(adjoints[method], adjoints["gemm"], dtype, np.abs(adjoints["gemm"]).max(initial=1))


@settings(max_examples=40, deadline=None)
@given(conv_configs())
def test_every_method_kernel_operator_and_its_adjoint(cfg):
    """KernelConvolution: forward is the brute-force sum with the kernel as the variable;
    its adjoint (the kernel gradient) satisfies the dot identity and agrees across methods."""
    kshape, ishape, keywords, dtype, batch, seed = cfg
    rng = np.random.default_rng(seed)
    x = _random(rng, ishape, dtype)
    kernels = _random(rng, (batch,) + kshape, dtype)
    expected = np.stack([brute_force_conv(x, kb, **keywords) for kb in kernels])
    y = _random(rng, expected.shape, dtype)
    gradients = {}
    for method in METHODS:
        K = linop.KernelConvolution(x, kshape, method=method, **keywords)
        got = K.apply(kernels)
        _close(got, expected, dtype, np.abs(expected).max(initial=1))
        gradients[method] = K.apply_adjoint(y)
        scale = np.abs(expected).max(initial=1) * np.abs(y).max() * expected.size
        np.testing.assert_allclose(
            _vdot(gradients[method], kernels), _vdot(y, expected), rtol=_tol(dtype) * 10, atol=_tol(dtype) * scale
        )
    for method in METHODS[1:]:
        _close(gradients[method], gradients["gemm"], dtype, np.abs(gradients["gemm"]).max(initial=1))


# -- the GEMM window orderings and the BLAS path ---------------------------------------------
def _core_problem(cfg):
    kshape, ishape, keywords, dtype, batch, seed = cfg
    A = linop.Convolution(np.zeros(kshape), ishape, **keywords)
    geom = A.geometry.unpadded()
    rng = np.random.default_rng(seed)
    xp = _random(rng, (batch,) + geom.padded_size + (geom.in_channels,), dtype)
    w = _random(rng, geom.kernel_size + (geom.in_per_group, geom.out_channels), dtype)
    y = _random(rng, (batch,) + geom.output_size + (geom.out_channels,), dtype)
    return geom, xp, w, y, dtype


def _all_three(module, geom, xp, w, y, **keywords):
    if module is gemm:
        keywords.setdefault("ordering", plan_convolution(geom, np.result_type(xp, w), "gemm").orderings[0])
    return (
        module.correlate(xp, w, geom, **keywords),
        module.correlate_adjoint(y, w, geom, **keywords),
        module.correlate_kernel_adjoint(xp, y, geom, **keywords),
    )


@settings(max_examples=40, deadline=None)
@given(conv_configs())
def test_gemm_window_orderings_agree_with_direct(cfg):
    geom, xp, w, y, dtype = _core_problem(cfg)
    reference = _all_three(direct, geom, xp, w, y)
    for ordering in gemm.ORDERINGS:
        for got, want in zip(_all_three(gemm, geom, xp, w, y, ordering=ordering), reference):
            _close(got, want, dtype, np.abs(want).max(initial=1))


@settings(max_examples=25, deadline=None)
@given(conv_configs())
def test_numpy_fallback_of_blas_gives_the_same_result(cfg):
    geom, xp, w, y, dtype = _core_problem(cfg)
    for ordering in gemm.ORDERINGS:
        with_blas = _all_three(gemm, geom, xp, w, y, ordering=ordering)
        blas.use_blas = False
        try:
            without = _all_three(gemm, geom, xp, w, y, ordering=ordering)
        finally:
            blas.use_blas = True
        for a, b in zip(with_blas, without):
            _close(a, b, dtype, np.abs(b).max(initial=1))


def test_gemm_rejects_an_unknown_window_ordering():
    geom = ConvGeometry.build((5, 5), (2, 2), in_channels=1, out_channels=1).unpadded()
    with pytest.raises(ValueError, match="ordering must be one of 'tap', 'row', 'full'"):
        gemm.correlate(np.ones((1, 5, 5, 1)), np.ones((2, 2, 1, 1)), geom, ordering="im2col")


@st.composite
def strided_products(draw):
    dtype = draw(st.sampled_from([np.float32, np.float64, np.complex64, np.complex128]))
    m, k, n = (draw(st.integers(1, 6)) for _ in range(3))
    seed = draw(st.integers(0, 2**31 - 1))
    layouts = [draw(st.sampled_from(["c", "f", "rows", "cols", "transposed"])) for _ in range(3)]
    return dtype, (m, k, n), layouts, draw(st.booleans()), seed


def _view(rng, shape, dtype, layout):
    r, c = shape
    base = _random(rng, (3 * r + 3, 3 * c + 3), dtype)
    if layout == "c":
        return np.ascontiguousarray(base[:r, :c])
    if layout == "f":
        return np.asfortranarray(base[:r, :c])
    if layout == "rows":
        return base[1 : 1 + 2 * r : 2, 2 : 2 + c]
    if layout == "cols":
        return np.asfortranarray(base)[1 : 1 + r, 2 : 2 + 2 * c : 2]
    return _random(rng, (3 * c + 3, 3 * r + 3), dtype)[:c, :r].T


@settings(max_examples=200, deadline=None)
@given(strided_products())
def test_blas_gemm_on_strided_views_matches_numpy(case):
    dtype, (m, k, n), layouts, accumulate, seed = case
    rng = np.random.default_rng(seed)
    a = _view(rng, (m, k), dtype, layouts[0])
    b = _view(rng, (k, n), dtype, layouts[1])
    c = _view(rng, (m, n), dtype, layouts[2])
    expected = a @ b + (c if accumulate else 0)
    a_before, b_before = a.copy(), b.copy()
    blas.gemm(a, b, c, accumulate=accumulate)
    _close(c, expected, dtype, np.abs(expected).max(initial=1))
    np.testing.assert_array_equal(a, a_before)
    np.testing.assert_array_equal(b, b_before)


def test_blas_gemm_rejects_shapes_that_do_not_chain():
    with pytest.raises(ValueError, match="gemm needs shapes"):
        blas.gemm(np.ones((2, 3)), np.ones((2, 3)), np.ones((2, 3)), accumulate=False)


def test_blas_is_reached_for_every_floating_dtype():
    for dtype in (np.float32, np.float64, np.complex64, np.complex128):
        assert blas.blas_available(dtype)


# -- chunking, blocking and the workspace limit --------------------------------------------------
CHUNK_CASES = [
    # (kernel shape, input shape, keywords)
    ((3, 3, 4, 6), (20, 17, 4), dict(stride=1, padding="same")),
    ((3, 2, 2, 6), (19, 16, 6), dict(stride=(2, 3), dilation=(1, 2), groups=3, padding=1, boundary="reflect")),
    ((5,), (200,), dict(stride=2, boundary="wrap", padding="same")),
    ((2, 3, 2, 3, 4), (6, 7, 8, 3), dict(stride=(1, 2, 1), padding="full")),
]


def _apply_all(A, x, y):
    return A.apply(x), A.apply_adjoint(y)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("case", range(len(CHUNK_CASES)))
def test_chunking_over_batch_and_rows_gives_the_same_result(method, case):
    kshape, ishape, keywords = CHUNK_CASES[case]
    rng = np.random.default_rng(case)
    A = linop.Convolution(rng.standard_normal(kshape), ishape, method=method, **keywords)
    x = rng.standard_normal((5,) + ishape)
    y = rng.standard_normal((5,) + A.output_shape)
    K = linop.KernelConvolution(x[0], kshape, method=method, **keywords)
    kernels = rng.standard_normal((2,) + kshape)
    ky = rng.standard_normal((2,) + K.output_shape)
    whole = _apply_all(A, x, y) + _apply_all(K, kernels, ky)
    for limit in (4096, 1):  # a few samples per chunk, then single rows of one sample
        with backends.workspace_limit(limit):
            chunked = _apply_all(A, x, y) + _apply_all(K, kernels, ky)
        for a, b in zip(chunked, whole):
            np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-11)


@settings(max_examples=30, deadline=None)
@given(conv_configs(), st.integers(2, 4))
def test_running_on_several_threads_gives_the_same_result(cfg, threads):
    """Ranges of rows on worker threads (the adjoint in two waves) equal the serial result."""
    geom, xp, w, y, dtype = _core_problem(cfg)
    saved = parallel.THREADS, parallel.MIN_PARALLEL_WORK
    try:
        parallel.THREADS, parallel.MIN_PARALLEL_WORK = 1, 0
        serial = {m: _all_three(module, geom, xp, w, y) for m, module in BACKENDS.items()}
        parallel.THREADS = threads
        for m, module in BACKENDS.items():
            for got, want in zip(_all_three(module, geom, xp, w, y), serial[m]):
                _close(got, want, dtype, np.abs(want).max(initial=1))
    finally:
        parallel.THREADS, parallel.MIN_PARALLEL_WORK = saved


def _child_applies(op, x, queue):
    queue.put(op.apply(x))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_runs_the_parallel_path(monkeypatch):
    """The worker pool is rebuilt in a child process made by fork (the parent's threads are gone)."""
    monkeypatch.setattr(parallel, "MIN_PARALLEL_WORK", 0)
    rng = np.random.default_rng(8)
    A = linop.Convolution(rng.standard_normal((3, 3, 4, 4)), (24, 24, 4), padding=1, method="gemm")
    x = rng.standard_normal((3, 24, 24, 4))
    expected = A.apply(x)  # starts the pool in the parent
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_child_applies, args=(A, x, queue))
    child.start()
    got = queue.get(timeout=60)
    child.join(60)
    assert child.exitcode == 0
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_concurrent_calls_from_user_threads_agree(monkeypatch):
    monkeypatch.setattr(parallel, "MIN_PARALLEL_WORK", 0)
    rng = np.random.default_rng(9)
    ops = [
        linop.Convolution(rng.standard_normal((5, 5, 3, 4)), (40, 36, 3), padding="same", method=m, boundary="wrap")
        for m in METHODS
    ]
    x = rng.standard_normal((2, 40, 36, 3))
    expected = [op.apply(x) for op in ops]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda i: (i % 3, ops[i % 3].apply(x)), range(12)))
    for i, got in results:
        np.testing.assert_allclose(got, expected[i], rtol=1e-12, atol=1e-12)


def test_parallel_ranges_cover_everything_once():
    assert parallel.ranges(10, 3) == [(0, 3), (3, 6), (6, 10)]
    assert parallel.ranges(2, 5) == [(0, 1), (1, 2)]
    order = []
    results = parallel.alternating([lambda i=i: order.append(i) or i * i for i in range(5)])
    assert results == [0, 1, 4, 9, 16]
    assert sorted(order[:3]) == [0, 2, 4] and sorted(order[3:]) == [1, 3]


@pytest.mark.parametrize(
    "n, k, stride",
    [((11,), (3,), (2,)), ((7, 6), (3, 2), (2, 1)), ((5, 4, 6), (2, 3, 2), (1, 2, 3))],
)
def test_gemm_gathers_each_output_from_its_wide_line_once_and_spreading_is_the_adjoint(n, k, stride):
    """Outputs ``(b, u, j)`` sit at wide row ``W flat_U(b, u) + j``; gathering in pieces of
    lines copies each exactly once, and spreading is the adjoint of gathering."""
    geom = ConvGeometry.build(n, k, stride=stride, in_channels=2, out_channels=3).unpadded()
    batch = 2
    grid = gemm.wide_grid(geom, batch)
    rng = np.random.default_rng(0)
    wide = rng.standard_normal((grid.total_rows, 3))
    out = np.full((batch,) + geom.output_size + (3,), np.nan)
    lines = grid.total_rows // grid.width
    for lo, hi in parallel.ranges(lines, 3):
        gemm._gather_lines(wide, out, geom, grid, lo, hi)
    grid_shape = (batch,) + grid.lead_lengths + (grid.width, 3)
    index = (slice(None),) + tuple(slice(0, m) for m in geom.output_size)
    np.testing.assert_array_equal(out, wide.reshape(grid_shape)[index])
    y = rng.standard_normal(out.shape)
    spread = np.full_like(wide, np.nan)
    for lo, hi in parallel.ranges(lines, 2):
        gemm._spread_lines(y, spread, geom, grid, lo, hi)
    np.testing.assert_allclose(np.vdot(out, y), np.vdot(wide, spread), rtol=1e-12)


def test_row_chunks_cover_the_output_exactly_once():
    geom = ConvGeometry.build((23, 9), (4, 3), stride=(3, 1), dilation=(2, 1), in_channels=2, out_channels=2).unpadded()
    pieces = workspace.chunks(geom, 2, lambda g, b: b * g.axes[0].padded_size, limit=12)
    rows = [0] * geom.axes[0].output_size
    for piece in pieces:
        assert piece.geometry.axes[0].output_size == piece.out_rows.stop - piece.out_rows.start
        assert piece.in_rows.stop - piece.in_rows.start == piece.geometry.axes[0].padded_size
        if piece.batch.start == 0:
            for j in range(piece.out_rows.start, piece.out_rows.stop):
                rows[j] += 1
    assert rows == [1] * geom.axes[0].output_size
    assert {p.batch.start for p in pieces} == {0, 1}


@pytest.mark.parametrize("method", METHODS)
def test_small_cache_blocks_give_the_same_result(method, monkeypatch):
    rng = np.random.default_rng(7)
    kshape, ishape, keywords = CHUNK_CASES[1]
    A = linop.Convolution(rng.standard_normal(kshape), ishape, method=method, **keywords)
    x = rng.standard_normal((3,) + ishape)
    y = rng.standard_normal((3,) + A.output_shape)
    expected = _apply_all(A, x, y)
    monkeypatch.setattr(gemm, "WINDOW_BLOCK_BYTES", 64)
    monkeypatch.setattr(gemm, "TAP_BLOCK_BYTES", 64)
    monkeypatch.setattr(direct, "BLOCK_BYTES", 64)
    for ordering in gemm.ORDERINGS:
        _forcing_ordering(A, ordering)
        for a, b in zip(_apply_all(A, x, y), expected):
            np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-11)


@pytest.mark.parametrize("method", METHODS)
def test_scratch_memory_stays_under_the_workspace_limit(method, monkeypatch):
    """Peak allocation (tracemalloc) is the arrays a call cannot avoid plus at most the limit
    (gemm: its NumPy orderings; the compiled kernel has its own test)."""
    monkeypatch.setattr(compiled, "ENABLED", False)
    rng = np.random.default_rng(3)
    A = linop.Convolution(
        rng.standard_normal((5, 5, 3, 8)).astype(np.float32),
        (128, 120, 3),
        padding="same",
        boundary="reflect",
        method=method,
    )
    x = rng.standard_normal((6,) + A.input_shape).astype(np.float32)
    y = rng.standard_normal((6,) + A.output_shape).astype(np.float32)
    A.apply(x[:1]), A.apply_adjoint(y[:1])  # the cached kernel spectrum is not scratch
    # the input, its padded copy (forward) or padded result (adjoint), and the output
    unavoidable = x.nbytes + y.nbytes + x.nbytes * (132 * 124) / (128 * 120)
    limit = 2 * 2**20
    unlimited = []
    for cap in (None, limit):
        with backends.workspace_limit(cap):
            for run in (lambda: A.apply(x), lambda: A.apply_adjoint(y)):
                tracemalloc.start()
                run()
                peak = tracemalloc.get_traced_memory()[1]
                tracemalloc.stop()
                if cap is None:
                    unlimited.append(peak)
                else:
                    assert peak <= unavoidable + limit + 2**19, (method, peak / 2**20)
    if method != "direct":  # direct's scratch is one cache block whatever the limit
        assert max(unlimited) > unavoidable + limit, "the case must need chunking to test the limit"


def test_scratch_is_reused_per_name_and_thread():
    workspace.release_scratch()
    a = workspace.scratch("t", (100, 3), np.float32)
    b = workspace.scratch("t", (10, 2), np.complex128)
    assert np.shares_memory(a, b) and b.flags.aligned and b.shape == (10, 2)
    assert not np.shares_memory(a, workspace.scratch("u", (100, 3), np.float32))
    with ThreadPoolExecutor(1) as pool:
        other = pool.submit(workspace.scratch, "t", (100, 3), np.float32).result()
    assert not np.shares_memory(a, other)
    workspace.release_scratch()
    assert not np.shares_memory(a, workspace.scratch("t", (100, 3), np.float32))


def test_scratch_larger_than_the_workspace_limit_is_not_kept():
    workspace.release_scratch()
    with backends.workspace_limit(1024):
        a = workspace.scratch("big", (1024,), np.float32)
        assert not np.shares_memory(a, workspace.scratch("big", (1024,), np.float32))


@pytest.mark.parametrize("ordering", gemm.ORDERINGS)
def test_results_of_earlier_calls_survive_the_reuse_of_scratch(ordering):
    rng = np.random.default_rng(11)
    A = _forcing_ordering(
        linop.Convolution(rng.standard_normal((3, 3, 4, 6)), (9, 8, 4), padding="same", method="gemm"), ordering
    )
    x1, x2 = rng.standard_normal((2, 2) + A.input_shape)
    y1, y2 = rng.standard_normal((2, 2) + A.output_shape)
    first = _apply_all(A, x1, y1)
    kept = [a.copy() for a in first]
    _apply_all(A, x2, y2)
    for a, b in zip(first, kept):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(_apply_all(A, x1, y1), kept):
        np.testing.assert_array_equal(a, b)


def test_workspace_limit_is_settable_and_restored():
    before = backends.get_workspace_limit()
    assert before == backends.DEFAULT_WORKSPACE_BYTES == 256 * 2**20
    with backends.workspace_limit(10**6) as current:
        assert current == backends.get_workspace_limit() == 10**6
    assert backends.get_workspace_limit() == before
    previous = backends.set_workspace_limit(12345)
    try:
        assert previous == before and backends.get_workspace_limit() == 12345
    finally:
        backends.set_workspace_limit(None)
    assert backends.get_workspace_limit() == backends.DEFAULT_WORKSPACE_BYTES


@pytest.mark.parametrize(
    "bad, error", [(0, ValueError), (-5, ValueError), (1.5, TypeError), ("1GB", TypeError), (True, TypeError)]
)
def test_workspace_limit_rejects_non_positive_or_non_integers(bad, error):
    with pytest.raises(error, match="workspace limit"):
        backends.set_workspace_limit(bad)
    assert backends.get_workspace_limit() == backends.DEFAULT_WORKSPACE_BYTES


# -- dtypes, inputs left alone ----------------------------------------------------------------------
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("dtype", [np.float32, np.complex64])
def test_single_precision_operators_compute_in_single_precision(method, dtype):
    rng = np.random.default_rng(1)
    A = linop.Convolution(_random(rng, (3, 3, 2, 3), dtype), (9, 8, 2), stride=2, method=method)
    x = _random(rng, A.input_shape, dtype)
    assert A.apply(x).dtype == dtype
    assert A.H.apply(_random(rng, A.output_shape, dtype)).dtype == dtype
    K = linop.KernelConvolution(x, (3, 3, 2, 3), method=method)
    assert K.H.apply(_random(rng, K.output_shape, dtype)).dtype == dtype


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("boundary", BOUNDARIES)
def test_inputs_are_never_modified(method, boundary):
    rng = np.random.default_rng(2)
    A = linop.Convolution(rng.standard_normal((3, 2, 2)), (7, 6, 2), padding="same", boundary=boundary, method=method)
    x = rng.standard_normal(A.input_shape)
    y = rng.standard_normal(A.output_shape)
    x0, y0 = x.copy(), y.copy()
    A.apply(x), A.H.apply(y), A.T.apply(y)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(y, y0)


# -- the choice of method -------------------------------------------------------------------------
def test_large_psf_on_a_large_image_chooses_fft_automatically():
    A = linop.Convolution(np.ones((31, 31), np.float32), (1024, 1024))
    assert A.backend == "fft" and A.H.backend == "fft"


def test_multichannel_layer_chooses_gemm_automatically():
    A = linop.Convolution(np.ones((3, 3, 32, 64), np.float32), (64, 64, 32), padding="same")
    assert A.backend == "gemm"
    assert linop.Convolution(np.ones((3, 3, 32, 64)), (64, 64, 32), stride=2, padding=1).backend == "gemm"


def test_tiny_kernel_on_a_long_signal_chooses_a_copy_free_method_automatically():
    A = linop.Convolution(np.ones(3, np.float32), (10**6,), stride=2)
    if compiled.available(np.float32):
        assert A.backend == "gemm" and A.plan.orderings[0] == "implicit"
    else:
        assert A.backend == "direct"


def test_explicit_method_overrides_the_cost_model():
    for method in METHODS:
        A = linop.Convolution(np.ones((31, 31)), (64, 64), method=method)
        assert A.method == method and A.backend == method


def test_method_costs_are_positive_for_every_method():
    geom = ConvGeometry.build((40, 30), (5, 3), stride=2, in_channels=4, out_channels=6, groups=2).unpadded()
    costs = backends.method_costs(geom, np.float32)
    assert set(costs) == set(METHODS) and all(v > 0 for v in costs.values())
    assert backends.cheapest_method(geom, np.float32) == min(costs, key=costs.get)


@pytest.mark.parametrize("bad", ["taps", "FFT", None, 3])
def test_unknown_method_is_rejected_with_the_allowed_names(bad):
    with pytest.raises(ValueError, match="method must be one of 'auto', 'gemm', 'fft', 'direct'"):
        linop.Convolution(np.ones(3), (8,), method=bad)


# -- the kernel-spectrum cache ---------------------------------------------------------------------
def test_immutable_means_read_only_all_the_way_down_to_immutable_bytes():
    a = np.arange(6.0)
    assert not is_immutable(a)
    view = a[::2]
    view.setflags(write=False)
    assert not is_immutable(view)  # its base can still change
    b = a.copy()
    b.setflags(write=False)
    assert not is_immutable(b)  # setflags(write=True) would make it writeable again
    c = immutable(a)
    assert is_immutable(c) and is_immutable(c[1:])
    assert is_immutable(np.frombuffer(b"\x00" * 16))
    assert not is_immutable(np.frombuffer(bytearray(16)))


def test_transforms_of_immutable_arrays_are_computed_once():
    calls = []
    frozen_array = immutable(np.ones(4))
    for _ in range(3):
        cache.cached(frozen_array, "test", lambda: calls.append(1) or np.zeros(2))
    assert len(calls) == 1
    writeable = np.ones(4)
    for _ in range(3):
        cache.cached(writeable, "test", lambda: calls.append(1) or np.zeros(2))
    assert len(calls) == 4


def test_cache_entries_die_with_their_array():
    cache.clear()
    a = immutable(np.ones(4))
    cache.cached(a, "test", lambda: np.zeros(1000))
    assert cache.nbytes() == 8000
    del a
    assert cache.nbytes() == 0


def test_fft_operator_caches_its_kernel_spectrum():
    cache.clear()
    A = linop.Convolution(np.random.default_rng(0).standard_normal((9, 9)), (40, 40), method="fft")
    A.apply(np.ones((40, 40)))
    held = cache.nbytes()
    assert held > 0
    A.apply(np.ones((40, 40)))
    assert cache.nbytes() == held


def test_kernel_operator_transforms_its_fixed_image_once(monkeypatch):
    rng = np.random.default_rng(4)
    K = linop.KernelConvolution(rng.standard_normal((48, 40)), (9, 9), method="fft")
    transforms = []
    real_transform = fft._forward_transform
    monkeypatch.setattr(
        fft, "_forward_transform", lambda a, *args: transforms.append(a.shape) or real_transform(a, *args)
    )
    kernels = rng.standard_normal((3, 9, 9))
    first = K.apply(kernels)
    image_transforms = transforms.count((1, 48, 40, 1))
    np.testing.assert_allclose(K.apply(kernels), first)
    K.apply_adjoint(first)
    assert image_transforms == 1 and transforms.count((1, 48, 40, 1)) == 1


# -- padding and folding, and the geometry the backends use --------------------------------------
@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.integers(1, 5), min_size=1, max_size=3),
    st.sampled_from(BOUNDARIES),
    st.data(),
)
def test_pad_array_matches_numpy_pad_and_fold_array_is_its_adjoint(shape, mode, data):
    pads = []
    for n in shape:
        limit = {"reflect": n - 1, "symmetric": n}.get(mode, 7)
        pads.append((data.draw(st.integers(0, limit)), data.draw(st.integers(0, limit))))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**31 - 1)))
    x = rng.standard_normal((2,) + tuple(shape) + (3,))
    padded = pad_array(x, pads, mode)
    np.testing.assert_array_equal(padded, np.pad(x, [(0, 0)] + pads + [(0, 0)], mode=mode))
    z = rng.standard_normal(padded.shape)
    z0 = z.copy()
    folded = fold_array(z, pads, mode)
    np.testing.assert_array_equal(z, z0)
    # rounding of an inner product is relative to |padded| |z|, not to its (possibly cancelled) value
    scale = np.linalg.norm(padded) * np.linalg.norm(z)
    np.testing.assert_allclose(_vdot(padded, z), _vdot(x, folded), rtol=1e-12, atol=1e-13 * scale)


def test_polyphase_tap_splits_the_input_index():
    ax = AxisGeometry(n=17, k=4, stride=3, dilation=2)
    for t in range(ax.k):
        phase, offset = ax.polyphase_tap(t)
        assert 0 <= phase < ax.stride
        for j in range(ax.output_size):
            assert ax.padded_index(j, t) == ax.stride * (j + offset) + phase
            assert j + offset < ax.phase_length


def test_input_span_is_what_the_outputs_read():
    ax = AxisGeometry(n=20, k=3, stride=2, dilation=3)
    start, stop = ax.input_span(2, 5)
    read = {int(ax.padded_index(j, t)) for j in range(2, 5) for t in range(ax.k)}
    assert start == min(read) and stop == max(read) + 1


def test_fft_length_never_wraps_a_valid_output():
    geom = ConvGeometry.build((37, 50), (6, 7), stride=(2, 3), dilation=(3, 1)).unpadded()
    for a, L in zip(geom.axes, fft.fft_shape(geom)):
        assert a.padded_size <= L
        assert a.stride * (a.output_size - 1) + a.extent <= L


def test_release_scratch_frees_the_buffers_of_every_thread():
    import threading

    from linop.backends import workspace

    kept = {}

    def worker():
        workspace.scratch("probe", (1000,), np.float64)
        kept["arena"] = workspace._arena.buffers

    t = threading.Thread(target=worker)
    t.start()
    t.join()
    workspace.scratch("probe", (1000,), np.float64)
    assert "probe" in kept["arena"] and "probe" in workspace._arena.buffers
    workspace.release_scratch()
    assert not kept["arena"] and not workspace._arena.buffers
