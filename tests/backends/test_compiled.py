"""The compiled implicit-GEMM kernels (``linop.backends.compiled``, the gemm ordering
``"implicit"``): every instruction set against the defining sum, the adjoint identity,
threads, views, chunks and memory."""

from __future__ import annotations

import os
import shutil
import sysconfig
import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import linop
from linop import backends
from linop.backends import compiled, direct, gemm, parallel, plan_convolution, workspace
from linop.geometry import ConvGeometry


def _c_compiler() -> str | None:
    """The C compiler setuptools would use, if one is on this machine."""
    compiler = (os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc").split()[0]
    return shutil.which(compiler)


def test_the_extension_is_built_wherever_a_c_compiler_is():
    """The extension is optional, so a failed build would pass silently: fail it here."""
    if _c_compiler() is None:
        pytest.skip("no C compiler on this machine: linop runs on its NumPy paths")
    assert compiled.instruction_set() is not None, "a C compiler is present but linop.backends._shifted was not built"


built = pytest.mark.skipif(compiled.instruction_set() is None, reason="compiled kernels not built")


def defining_sum(xp: np.ndarray, w: np.ndarray, geom: ConvGeometry) -> np.ndarray:
    """``y[b, j, g o + q] = sum_t sum_r w[t, r, g o + q] x_p[b, s j + d t, g c + r]`` by loops."""
    c, o = geom.in_per_group, geom.out_per_group
    y = np.zeros((xp.shape[0],) + geom.output_size + (geom.out_channels,), dtype=np.float64)
    for j in np.ndindex(*geom.output_size):
        for t in np.ndindex(*geom.kernel_size):
            index = tuple(a.stride * ji + a.dilation * ti for a, ji, ti in zip(geom.axes, j, t))
            for g in range(geom.groups):
                x = xp[(slice(None),) + index + (slice(g * c, (g + 1) * c),)].astype(np.float64)
                y[(slice(None),) + j + (slice(g * o, (g + 1) * o),)] += x @ w[t][:, g * o : (g + 1) * o]
    return y


@st.composite
def problems(draw, max_size: int = 9, max_channels: int = 20):
    """A random geometry (1-3 axes, stride, dilation, groups, padding already applied) and
    operands in float32 or float64."""
    d = draw(st.integers(1, 3))
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    c = draw(st.integers(1, max_channels // groups + 1))
    o = draw(st.integers(1, max_channels // groups + 1))
    axes = []
    for _ in range(d):
        k = draw(st.integers(1, 4))
        s = draw(st.integers(1, 3))
        dil = draw(st.integers(1, 2))
        n = draw(st.integers(dil * (k - 1) + 1, dil * (k - 1) + max_size))
        axes.append((n, k, s, dil))
    geom = ConvGeometry.build(
        [a[0] for a in axes],
        [a[1] for a in axes],
        stride=[a[2] for a in axes],
        dilation=[a[3] for a in axes],
        in_channels=groups * c,
        out_channels=groups * o,
        groups=groups,
    )
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    batch = draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    xp = rng.standard_normal((batch,) + geom.padded_size + (geom.in_channels,)).astype(dtype)
    w = rng.standard_normal(geom.kernel_size + (c, geom.out_channels)).astype(dtype)
    y = rng.standard_normal((batch,) + geom.output_size + (geom.out_channels,)).astype(dtype)
    return geom, xp, w, y


def _tol(dtype) -> float:
    return 2e-5 if np.dtype(dtype) == np.float32 else 1e-12


def _close(got, want, dtype):
    scale = max(1.0, float(np.abs(want).max(initial=0)))
    np.testing.assert_allclose(got, want, rtol=_tol(dtype) * 10, atol=_tol(dtype) * scale * 10)


@built
def test_the_compiled_kernels_are_built_and_report_their_instruction_set():
    assert compiled.instruction_set() in compiled.instruction_sets()
    assert compiled.available(np.float32) and compiled.available(np.float64)
    assert not compiled.available(np.complex64) and not compiled.available(np.int64)


@built
def test_an_unknown_instruction_set_is_rejected_by_name():
    with pytest.raises(ValueError, match="instruction set must be one of"), compiled.using_instruction_set("sse9"):
        pass


@built
@settings(max_examples=40, deadline=None)
@given(problems())
def test_every_instruction_set_computes_the_defining_sum(problem):
    geom, xp, w, y = problem
    want = defining_sum(xp, w, geom)
    for name in compiled.instruction_sets():
        with compiled.using_instruction_set(name):
            got = gemm.correlate(xp, w, geom, ordering="implicit")
        assert got.dtype == xp.dtype
        _close(got, want, xp.dtype)


@built
@settings(max_examples=40, deadline=None)
@given(problems())
def test_every_instruction_set_computes_the_exact_transpose(problem):
    geom, xp, w, y = problem
    want = direct.correlate_adjoint(y, w, geom)  # NumPy slice-adds, independent of the kernel
    for name in compiled.instruction_sets():
        with compiled.using_instruction_set(name):
            got = gemm.correlate_adjoint(y, w, geom, ordering="implicit")
        _close(got, want, y.dtype)
        forward = gemm.correlate(xp, w, geom, ordering="implicit")
        lhs = np.vdot(forward.astype(np.float64), y.astype(np.float64))
        rhs = np.vdot(xp.astype(np.float64), got.astype(np.float64))
        assert abs(lhs - rhs) <= 50 * _tol(y.dtype) * max(1.0, np.abs(forward).sum() * np.abs(y).max())


@built
@settings(max_examples=30, deadline=None)
@given(problems(), st.data())
def test_the_cropped_adjoint_is_the_interior_of_the_padded_one(problem, data):
    """``crop``: only the samples ``lo <= u < P - hi`` are computed (the adjoint of zero padding)."""
    geom, xp, w, y = problem
    crop = tuple(
        (data.draw(st.integers(0, P // 2)), data.draw(st.integers(0, P - P // 2 - 1))) for P in geom.padded_size
    )
    full = gemm.correlate_adjoint(y, w, geom, ordering="implicit")
    interior = full[(slice(None),) + tuple(slice(lo, P - hi) for P, (lo, hi) in zip(geom.padded_size, crop))]
    for ordering in ("implicit", "tap"):
        got = gemm.correlate_adjoint(y, w, geom, ordering=ordering, crop=crop)
        assert got.shape == interior.shape and got.flags.c_contiguous
        _close(got, interior, y.dtype)
    for module in (direct, backends.fft):
        _close(workspace.interior(module.correlate_adjoint(y, w, geom), geom, crop), interior, y.dtype)


# every code path of the kernel: wide tiles (2 vectors, 1 vector, small tiles), scalar column
# remainders, the few-column path (N <= 4 from >= 16 channels) and the one-channel path
CHANNEL_PAIRS = [(1, 1), (3, 16), (32, 64), (5, 37), (16, 3), (20, 4), (64, 8), (2, 1), (1, 5), (40, 2)]


@built
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("channels", CHANNEL_PAIRS)
@pytest.mark.parametrize("stride", [1, 2, 3])
def test_every_kernel_path_matches_the_defining_sum(channels, stride, dtype):
    c_in, c_out = channels
    geom = ConvGeometry.build((13, 30), (3, 2), stride=stride, dilation=(1, 2), in_channels=c_in, out_channels=c_out)
    rng = np.random.default_rng(c_in * 100 + c_out + stride)
    xp = rng.standard_normal((2,) + geom.padded_size + (c_in,)).astype(dtype)
    w = rng.standard_normal(geom.kernel_size + (c_in, c_out)).astype(dtype)
    y = rng.standard_normal((2,) + geom.output_size + (c_out,)).astype(dtype)
    for name in compiled.instruction_sets():
        with compiled.using_instruction_set(name):
            _close(gemm.correlate(xp, w, geom, ordering="implicit"), defining_sum(xp, w, geom), dtype)
            _close(gemm.correlate_adjoint(y, w, geom, ordering="implicit"), direct.correlate_adjoint(y, w, geom), dtype)


@built
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("channels", [3, 16, 37])
@pytest.mark.parametrize("stride", [1, 2])
def test_depthwise_layers_match_the_defining_sum(channels, stride, dtype):
    """One input and one output channel per group: one call with vectors along the channels
    (37 = whole vectors and a remainder on every instruction set)."""
    geom = ConvGeometry.build(
        (11, 14), (3, 2), stride=stride, dilation=(2, 1), in_channels=channels, out_channels=channels, groups=channels
    )
    rng = np.random.default_rng(channels + stride)
    xp = rng.standard_normal((2,) + geom.padded_size + (channels,)).astype(dtype)
    w = rng.standard_normal(geom.kernel_size + (1, channels)).astype(dtype)
    y = rng.standard_normal((2,) + geom.output_size + (channels,)).astype(dtype)
    for name in compiled.instruction_sets():
        with compiled.using_instruction_set(name):
            _close(gemm.correlate(xp, w, geom, ordering="implicit"), defining_sum(xp, w, geom), dtype)
            _close(gemm.correlate_adjoint(y, w, geom, ordering="implicit"), direct.correlate_adjoint(y, w, geom), dtype)
            crop = ((1, 0), (0, 2))
            interior = direct.correlate_adjoint(y, w, geom)[:, 1:, : geom.padded_size[1] - 2]
            _close(gemm.correlate_adjoint(y, w, geom, ordering="implicit", crop=crop), interior, dtype)


@built
@pytest.mark.parametrize(
    "case",
    [
        ((40, 37), (5, 5), 1, 1, 1, 1),
        ((1001,), (3,), 2, 1, 1, 1),
        ((30, 29), (3, 4), 2, 2, 1, 1),
        ((23,), (4,), 3, 2, 1, 1),
        ((9, 8, 7), (2, 3, 2), (1, 2, 3), (2, 1, 1), 1, 1),
    ],
)
def test_one_channel_adjoints_read_y_without_a_border(case):
    """One input and one output channel: the adjoint reads y itself, each tap limited to
    the samples where it lands inside y (lines grouped by the taps whose rows are inside)."""
    n, k, stride, dilation, c_in, c_out = case
    geom = ConvGeometry.build(n, k, stride=stride, dilation=dilation, in_channels=c_in, out_channels=c_out)
    rng = np.random.default_rng(len(n) + c_out)
    w = rng.standard_normal(geom.kernel_size + (c_in, c_out))
    y = rng.standard_normal((2,) + geom.output_size + (c_out,))
    xs = (
        (int(np.prod(geom.padded_size)) * c_in,)
        + tuple(int(np.prod(geom.padded_size[a + 1 :])) * c_in for a in range(len(n)))
        + (1,)
    )
    ys = (
        (int(np.prod(geom.output_size)) * c_out,)
        + tuple(int(np.prod(geom.output_size[a + 1 :])) * c_out for a in range(len(n)))
        + (1,)
    )
    assert any(c.ranges is not None for c in compiled._adjoint_plan_unbordered(geom, 2, ys, xs, ((0, 0),) * len(n)))
    for name in compiled.instruction_sets():
        with compiled.using_instruction_set(name):
            _close(
                gemm.correlate_adjoint(y, w, geom, ordering="implicit"), direct.correlate_adjoint(y, w, geom), y.dtype
            )
            crop = ((1, 2),) * len(n)
            want = direct.correlate_adjoint(y, w, geom)[
                (slice(None),) + tuple(slice(1, P - 2) for P in geom.padded_size)
            ]
            _close(gemm.correlate_adjoint(y, w, geom, ordering="implicit", crop=crop), want, y.dtype)


@built
@pytest.mark.parametrize("shape", [(1, 5000, 1), (3, 40, 33, 8)])
def test_threads_split_lines_or_a_single_long_line_with_the_same_result(shape, monkeypatch):
    ndim = len(shape) - 2
    geom = ConvGeometry.build(shape[1:-1], (3,) * ndim, stride=2, in_channels=shape[-1], out_channels=shape[-1] + 1)
    rng = np.random.default_rng(5)
    xp = rng.standard_normal(shape)
    w = rng.standard_normal(geom.kernel_size + (shape[-1], shape[-1] + 1))
    y = rng.standard_normal((shape[0],) + geom.output_size + (shape[-1] + 1,))
    monkeypatch.setattr(parallel, "THREADS", 1)
    alone = gemm.correlate(xp, w, geom, ordering="implicit"), gemm.correlate_adjoint(y, w, geom, ordering="implicit")
    monkeypatch.setattr(parallel, "THREADS", 3)
    monkeypatch.setattr(parallel, "MIN_PARALLEL_WORK", 0)
    split = gemm.correlate(xp, w, geom, ordering="implicit"), gemm.correlate_adjoint(y, w, geom, ordering="implicit")
    for a, b in zip(alone, split):
        np.testing.assert_array_equal(a, b)


@built
@pytest.mark.parametrize("boundary", ["reflect", "constant"])
def test_operators_use_the_kernel_in_chunks_without_touching_their_inputs(boundary):
    rng = np.random.default_rng(9)
    kernel = rng.standard_normal((3, 3, 4, 6)).astype(np.float32)
    A = linop.Convolution(kernel, (20, 17, 4), stride=(2, 1), padding="same", boundary=boundary, method="gemm")
    x = rng.standard_normal((5,) + A.input_shape).astype(np.float32)
    y = rng.standard_normal((5,) + A.output_shape).astype(np.float32)
    x0, y0, k0 = x.copy(), y.copy(), kernel.copy()
    whole = A.apply(x), A.apply_adjoint(y)
    with backends.workspace_limit(4096):  # one output row per chunk: strided views of the batch
        chunked = A.apply(x), A.apply_adjoint(y)
    compiled.ENABLED = False
    try:
        numpy_path = A.apply(x), A.apply_adjoint(y)
    finally:
        compiled.ENABLED = True
    for a, b, c in zip(whole, chunked, numpy_path):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(a, c, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(y, y0)
    np.testing.assert_array_equal(kernel, k0)


@built
def test_forward_needs_no_scratch_and_the_adjoint_stays_under_the_limit():
    rng = np.random.default_rng(3)
    geom = ConvGeometry.build((128, 120), (5, 5), in_channels=3, out_channels=8).unpadded()
    xp = rng.standard_normal((6,) + geom.padded_size + (3,)).astype(np.float32)
    w = rng.standard_normal((5, 5, 3, 8)).astype(np.float32)
    y = rng.standard_normal((6,) + geom.output_size + (8,)).astype(np.float32)
    gemm.correlate(xp[:1], w, geom, ordering="implicit"), gemm.correlate_adjoint(y[:1], w, geom, ordering="implicit")
    limit = 2**20
    assert compiled.scratch_bytes(geom, 6, np.float32, "adjoint") > limit  # so the adjoint is chunked
    with backends.workspace_limit(limit):
        for run, unavoidable in (
            (lambda: gemm.correlate(xp, w, geom, ordering="implicit"), y.nbytes),
            (lambda: gemm.correlate_adjoint(y, w, geom, ordering="implicit"), xp.nbytes),
        ):
            tracemalloc.start()
            run()
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            assert peak <= unavoidable + limit + 2**16


@built
def test_without_the_kernels_the_implicit_ordering_falls_back_to_numpy(monkeypatch):
    geom = ConvGeometry.build((9, 8), (3, 3), in_channels=2, out_channels=3).unpadded()
    rng = np.random.default_rng(1)
    xp = rng.standard_normal((1, 9, 8, 2)) + 1j * rng.standard_normal((1, 9, 8, 2))  # complex: no kernel
    w = rng.standard_normal((3, 3, 2, 3))
    np.testing.assert_allclose(
        gemm.correlate(xp, w, geom, ordering="implicit"), direct.correlate(xp, w, geom), atol=1e-12
    )
    monkeypatch.setattr(compiled, "ENABLED", False)
    assert not compiled.available(np.float64)
    assert "implicit" not in plan_convolution(geom, np.float64, "gemm").orderings
    real = xp.real.copy()
    np.testing.assert_allclose(
        gemm.correlate(real, w, geom, ordering="implicit"), direct.correlate(real, w, geom), atol=1e-12
    )
