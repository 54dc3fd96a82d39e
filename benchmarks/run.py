"""Benchmark linop's convolution against the alternatives, side by side in one process.

Runs the six cases of issue 5 (forward and adjoint) for linop and for every alternative
that is installed: the explicit scipy.sparse matrix, scipy.signal, PyLops, SigPy and
PyTorch (CPU). Each is optional and skipped with a note when absent. ``linop-numpy`` is
linop with its compiled kernel disabled (not an alternative: it shows what the kernel adds). Timings are
interleaved (every implementation once per round, rounds repeated), the median of the
rounds after a warm-up is reported, and the machine's load average is recorded, because
absolute times on a shared machine are noisy while ratios taken in alternation are not.

Before timing, every implementation's forward and adjoint are compared with linop's:
the timings compare equal work. A mismatch is reported and the exit status is 1.

Usage::

    python benchmarks/run.py                  # all cases
    python benchmarks/run.py --cases C1,C4    # some rows
    python benchmarks/run.py --quick          # small sizes, two rounds: a smoke run
    python benchmarks/run.py --threads 1      # every implementation on one core

See benchmarks/README.md for the method and the results.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import gc
import importlib
import math
import os
import platform
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import linop  # noqa: E402
from linop import backends  # noqa: E402


# -- the cases ------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Case:
    """One benchmark row: a convolution layer and its data (channels last, batch first)."""

    name: str
    title: str
    batch: int
    spatial: tuple[int, ...]
    c_in: int | None  # None: single channel, no channel axis
    c_out: int | None
    kernel: tuple[int, ...]
    stride: int
    padding: object
    dtype: type

    @property
    def input_shape(self) -> tuple[int, ...]:
        return self.spatial + ((self.c_in,) if self.c_in else ())

    @property
    def kernel_shape(self) -> tuple[int, ...]:
        return self.kernel + ((self.c_in, self.c_out) if self.c_in else ())


def cases(quick: bool) -> dict[str, Case]:
    f32, f64 = np.float32, np.float64
    if quick:
        table = [
            Case("C1", "2 x 16x16x8 -> 16 filters, 3x3, same", 2, (16, 16), 8, 16, (3, 3), 1, "same", f32),
            Case("C2", "as C1, stride 2, padding 1", 2, (16, 16), 8, 16, (3, 3), 2, 1, f32),
            Case("C3", "48x48x3 -> 4 filters, 5x5, valid", 1, (48, 48), 3, 4, (5, 5), 1, "valid", f32),
            Case("C4", "128x128, one channel, 15x15 PSF, valid", 1, (128, 128), None, None, (15, 15), 1, "valid", f32),
            Case("C5", "1-D, length 10^4, kernel 3, stride 2, valid", 1, (10**4,), None, None, (3,), 2, "valid", f32),
            Case("C6", "C1 in float64", 2, (16, 16), 8, 16, (3, 3), 1, "same", f64),
        ]
    else:
        table = [
            Case("C1", "8 x 64x64x32 -> 64 filters, 3x3, stride 1, same", 8, (64, 64), 32, 64, (3, 3), 1, "same", f32),
            Case("C2", "as C1, stride 2, padding 1", 8, (64, 64), 32, 64, (3, 3), 2, 1, f32),
            Case("C3", "256x256x3 -> 16 filters, 5x5, valid", 1, (256, 256), 3, 16, (5, 5), 1, "valid", f32),
            Case(
                "C4", "1024x1024, one channel, 31x31 PSF, valid", 1, (1024, 1024), None, None, (31, 31), 1, "valid", f32
            ),
            Case("C5", "1-D, length 10^6, kernel 3, stride 2, valid", 1, (10**6,), None, None, (3,), 2, "valid", f32),
            Case("C6", "C1 in float64", 8, (64, 64), 32, 64, (3, 3), 1, "same", f64),
        ]
    return {c.name: c for c in table}


@dataclasses.dataclass
class Prepared:
    """An implementation set up for a case: timed callables and converters to linop's layout."""

    forward: Callable[[], object]
    adjoint: Callable[[], object]
    forward_result: Callable[[object], np.ndarray]
    adjoint_result: Callable[[object], np.ndarray]
    note: str = ""


class Skip(Exception):
    """An implementation does not apply to a case or is not installed."""


# -- the implementations ----------------------------------------------------------------------
def _padded_input(case: Case, A: linop.Convolution, x: np.ndarray) -> tuple[np.ndarray, tuple]:
    """x zero-padded as linop pads it (constant boundary), and the index of the interior."""
    pads = A.geometry.padding
    width = [(0, 0)] + list(pads) + ([(0, 0)] if case.c_in else [])
    interior = (slice(None),) + tuple(slice(lo, lo + n) for (lo, _), n in zip(pads, case.spatial))
    return np.pad(x, width), interior


def _stride_slices(A: linop.Convolution) -> tuple[slice, ...]:
    return tuple(slice(0, a.stride * (a.output_size - 1) + 1, a.stride) for a in A.geometry.axes)


def prepare_linop(case, A, x, y):
    return Prepared(
        lambda: A.apply(x), lambda: A.apply_adjoint(y), lambda r: r, lambda r: r, note=f"method auto -> {A.backend}"
    )


def prepare_linop_numpy(case, A, x, y):
    """linop without its compiled kernel (NumPy + BLAS orderings): what the kernel adds."""
    from linop.backends import compiled

    if compiled.instruction_set() is None:
        raise Skip("the compiled kernel is not built, so linop above is this already")

    def without(f):
        def run():
            compiled.ENABLED = False
            try:
                return f()
            finally:
                compiled.ENABLED = True

        return run

    B = without(lambda: linop.Convolution(A.kernel, case.input_shape, stride=case.stride, padding=case.padding))()
    return Prepared(
        without(lambda: B.apply(x)),
        without(lambda: B.apply_adjoint(y)),
        lambda r: r,
        lambda r: r,
        note=f"compiled kernel disabled: method auto -> {B.backend}",
    )


def prepare_sparse(case, A, x, y, limit_gb):
    import scipy.sparse  # noqa: F401 - a dependency of linop, always present

    g = A.geometry
    entries = math.prod(g.output_size) * g.out_channels * math.prod(g.kernel_size) * g.in_per_group
    need = entries * (np.dtype(case.dtype).itemsize + 8) * 3  # COO construction, then CSR
    if need > limit_gb * 2**30:
        raise Skip(
            f"explicit matrix has {entries:.2e} entries, ~{need / 2**30:.0f} GB to build "
            f"(over --sparse-limit-gb {limit_gb})"
        )
    start = time.perf_counter()
    M = A.to_sparse().astype(case.dtype)
    MT = M.T.tocsr()
    built = time.perf_counter() - start
    size = (M.data.nbytes + M.indices.nbytes + M.indptr.nbytes) / 2**30
    # one sample: a matrix-vector product; a batch: one product with a column per sample
    X = np.ascontiguousarray(x.reshape(case.batch, -1).T)
    Y = np.ascontiguousarray(y.reshape(case.batch, -1).T)
    if case.batch == 1:
        X, Y = X[:, 0], Y[:, 0]
    return Prepared(
        lambda: M @ X,
        lambda: MT @ Y,
        lambda r: r.T.reshape((case.batch,) + A.output_shape),
        lambda r: r.T.reshape((case.batch,) + A.input_shape),
        note=f"CSR {size:.2f} GB, built in {built:.1f} s",
    )


def prepare_scipy_signal(case, A, x, y):
    import scipy.fft
    import scipy.signal as signal

    if case.batch != 1 or A.geometry.has_padding:
        raise Skip("single images without padding only")
    w = A.kernel
    k = case.kernel
    workers = THREADS
    if case.c_in is None and len(k) == 1:
        # direct correlation, keep every s-th output; adjoint: convolve the upsampled y
        s = case.stride
        x0, y0 = x[0], y[0]
        n = case.spatial[0]

        def forward():
            return signal.correlate(x0, w, mode="valid", method="direct")[::s]

        def adjoint():
            up = np.zeros(s * (y0.size - 1) + 1, dtype=y0.dtype)
            up[::s] = y0
            full = signal.convolve(up, w, mode="full", method="direct")
            return np.pad(full, (0, n - full.size))

        return Prepared(forward, adjoint, lambda r: r[None], lambda r: r[None], note="direct (correlate/convolve)")
    if case.stride != 1:
        raise Skip("strided 2-D not timed")
    flipped = w[::-1, ::-1]
    if case.c_in is None:
        x0, y0 = x[0], y[0]

        def forward():
            with scipy.fft.set_workers(workers):
                return signal.fftconvolve(x0, flipped, mode="valid")

        def adjoint():
            with scipy.fft.set_workers(workers):
                return signal.fftconvolve(y0, w, mode="full")

        return Prepared(forward, adjoint, lambda r: r[None], lambda r: r[None], note=f"fftconvolve, {workers} workers")
    x4 = x[0][:, :, :, None]
    y4 = y[0][:, :, None, :]

    def forward():
        with scipy.fft.set_workers(workers):
            return signal.fftconvolve(x4, flipped, mode="valid", axes=(0, 1)).sum(axis=2)

    def adjoint():
        with scipy.fft.set_workers(workers):
            return signal.fftconvolve(y4, w, mode="full", axes=(0, 1)).sum(axis=3)

    return Prepared(
        forward,
        adjoint,
        lambda r: r[None],
        lambda r: r[None],
        note=f"fftconvolve over channel pairs, {workers} workers",
    )


def prepare_torch(case, A, x, y):
    try:
        torch = importlib.import_module("torch")
    except ImportError:
        raise Skip("not installed") from None
    F = torch.nn.functional
    torch.set_grad_enabled(False)
    torch.set_num_threads(THREADS)
    d = len(case.kernel)
    conv = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}[d]
    transpose = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}[d]
    to_first = lambda a: np.moveaxis(a, -1, 1) if case.c_in else a[:, None]  # noqa: E731
    xt = torch.from_numpy(np.ascontiguousarray(to_first(x)))
    yt = torch.from_numpy(np.ascontiguousarray(to_first(y)))
    w = A.kernel if case.c_in else A.kernel[..., None, None]
    wt = torch.from_numpy(np.array(np.moveaxis(w, (-1, -2), (0, 1)), order="C", copy=True))
    pads = A.geometry.padding
    if any(lo != hi for lo, hi in pads):
        xt_pad = [v for lo, hi in reversed(pads) for v in (lo, hi)]
        padding = 0
    else:
        xt_pad = None
        padding = tuple(lo for lo, _ in pads)
    geo = A.geometry
    out_pad = tuple(
        (a.padded_size - a.extent) % a.stride for a in geo.axes
    )  # samples beyond the last window, restored by output_padding
    stride = case.stride

    def forward():
        inp = F.pad(xt, xt_pad) if xt_pad else xt
        return conv(inp, wt, stride=stride, padding=padding)

    def adjoint():
        if xt_pad:
            full = transpose(yt, wt, stride=stride, output_padding=out_pad)
            index = (slice(None), slice(None)) + tuple(slice(lo, lo + n) for (lo, _), n in zip(pads, case.spatial))
            return full[index]
        return transpose(yt, wt, stride=stride, padding=padding, output_padding=out_pad)

    back = lambda r: np.moveaxis(r.numpy(), 1, -1) if case.c_in else r.numpy()[:, 0]  # noqa: E731
    return Prepared(forward, adjoint, back, back, note=f"torch {torch.__version__}, {torch.get_num_threads()} threads")


def prepare_pylops(case, A, x, y):
    try:
        ps = importlib.import_module("pylops.signalprocessing")
    except ImportError:
        raise Skip("not installed") from None
    d = len(case.kernel)
    if d not in (1, 2):
        raise Skip("1-D and 2-D only")
    xp, interior = _padded_input(case, A, x)
    padded = xp.shape[1 : 1 + d]
    keep = (slice(None),) + tuple(slice(0, m) for m in A.geometry.output_size)
    strided = (slice(None),) + _stride_slices(A)
    w = A.kernel if case.c_in else A.kernel[..., None, None]
    offset = tuple(k - 1 for k in case.kernel)
    c_in, c_out = w.shape[-2], w.shape[-1]
    dims = (case.batch,) + padded
    axes = tuple(range(1, d + 1))
    ops = [
        [
            ps.Convolve2D(dims, h=w[::-1, ::-1, r, o], offset=offset, axes=axes, dtype=case.dtype)
            if d == 2
            else ps.Convolve1D(dims, h=w[::-1, r, o], offset=offset[0], axis=1, dtype=case.dtype)
            for o in range(c_out)
        ]
        for r in range(c_in)
    ]
    xs = xp if case.c_in else xp[..., None]
    ys = y if case.c_in else y[..., None]

    def forward():
        out = np.empty((case.batch,) + A.geometry.output_size + (c_out,), dtype=case.dtype)
        channels = [np.ascontiguousarray(xs[..., r]).ravel() for r in range(c_in)]
        for o in range(c_out):
            acc = sum((ops[r][o] @ channels[r]).reshape(dims) for r in range(c_in))
            out[..., o] = acc[strided][keep]
        return out

    def adjoint():
        result = np.empty(xs.shape, dtype=case.dtype)
        ups = []
        for o in range(c_out):
            up = np.zeros(dims, dtype=case.dtype)
            up[strided] = ys[..., o]
            ups.append(up.ravel())
        for r in range(c_in):
            result[..., r] = sum((ops[r][o].H @ ups[o]).reshape(dims) for o in range(c_out))
        return result

    unpack = (lambda r: r) if case.c_in else (lambda r: r[..., 0])
    return Prepared(
        forward,
        adjoint,
        unpack,
        lambda r: unpack(r)[interior],
        note=f"pylops {importlib.import_module('pylops').__version__}, FFT per channel pair",
    )


def prepare_sigpy(case, A, x, y):
    try:
        sigpy = importlib.import_module("sigpy")
    except ImportError:
        raise Skip("not installed") from None
    xp, interior = _padded_input(case, A, x)
    d = len(case.kernel)
    strides = (case.stride,) * d
    flip = (slice(None, None, -1),) * d
    if case.c_in:
        data = np.ascontiguousarray(np.moveaxis(xp, -1, 1))
        out = np.ascontiguousarray(np.moveaxis(y, -1, 1))
        filt = np.ascontiguousarray(np.moveaxis(A.kernel[flip], (-1, -2), (0, 1)))
        back = lambda r: np.moveaxis(r, 1, -1)  # noqa: E731
    else:
        data, out, filt = xp, y, np.ascontiguousarray(A.kernel[flip])
        back = lambda r: r  # noqa: E731
    multi = bool(case.c_in)
    shape = data.shape
    conv = sigpy.conv

    def forward():
        return conv.convolve(data, filt, mode="valid", strides=strides, multi_channel=multi)

    def adjoint():
        return conv.convolve_data_adjoint(out, filt, shape, mode="valid", strides=strides, multi_channel=multi)

    return Prepared(forward, adjoint, back, lambda r: back(r)[interior], note=f"sigpy {sigpy.__version__}")


IMPLEMENTATIONS = {
    "linop": prepare_linop,
    "linop-numpy": prepare_linop_numpy,
    "torch": prepare_torch,
    "sparse": prepare_sparse,
    "scipy.signal": prepare_scipy_signal,
    "pylops": prepare_pylops,
    "sigpy": prepare_sigpy,
}


# -- measuring ---------------------------------------------------------------------------------
def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    a = np.asarray(a, dtype=np.complex128 if np.iscomplexobj(a) else np.float64)
    b = np.asarray(b, dtype=a.dtype)
    if a.shape != b.shape:
        return math.inf
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-300))


#: Threads every implementation may use (``--threads``; default: all cores).
THREADS = os.cpu_count() or 1

#: Seconds of rest after each call of an implementation whose thread pool spins after a
#: call (OpenMP in PyTorch), so that the spinning threads go idle instead of competing
#: with the next implementation's call. Other calls follow each other directly, as in a solver.
#: Measured (8 x 64x64x32 -> 64, linop on 2 threads right after a PyTorch call): 45% slower
#: with no rest, 41% after 1 ms, 12% after 10 ms, 3% after 50 ms, none after 200 ms.
PAUSE = 0.05
#: Implementations whose worker threads keep spinning after a call.
SPINNING = ("torch",)


#: A callable slower than this (seconds per call) gets one warm-up call and at most
#: SLOW_ROUNDS timed rounds, so that the slowest alternatives do not dominate the run time.
SLOW_SECONDS = 0.25
SLOW_ROUNDS = 3


def interleaved_times(
    callables: dict[str, Callable[[], object]], rounds: int, warmup: int = 2
) -> dict[str, list[float]]:
    """Seconds of each call of each callable, timed in alternation: one call of each per
    round, in a random (seeded) order per round."""
    limits = {}
    for name, f in callables.items():
        start = time.perf_counter()
        f()
        slow = time.perf_counter() - start > SLOW_SECONDS
        for _ in range(0 if slow else warmup - 1):
            f()
        limits[name] = min(rounds, SLOW_ROUNDS) if slow else rounds
    times: dict[str, list[float]] = {name: [] for name in callables}
    order = np.random.default_rng(0)
    names = list(callables)
    for _ in range(rounds):
        # a fresh order every round: no implementation always inherits the same cache state
        for name in order.permutation(names):
            f = callables[name]
            if len(times[name]) >= limits[name]:
                continue
            gc.disable()
            start = time.perf_counter()
            f()
            times[name].append(time.perf_counter() - start)
            gc.enable()
            if name.split(".")[0] in SPINNING:
                time.sleep(PAUSE)
    return times


def interleaved_medians(callables: dict[str, Callable[[], object]], rounds: int, warmup: int = 2) -> dict[str, float]:
    """Median seconds of each callable (:func:`interleaved_times`)."""
    return {name: float(np.median(v)) for name, v in interleaved_times(callables, rounds, warmup).items()}


def gemm_probe(n: int, dtype: type, rounds: int) -> float:
    """GFLOP/s of an ``n x n x n`` matrix product (the machine's limit for the channel cases)."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n)).astype(dtype)
    b = rng.standard_normal((n, n)).astype(dtype)
    seconds = interleaved_medians({"gemm": lambda: a @ b}, rounds)["gemm"]
    return 2 * n**3 / seconds / 1e9


def peak_bytes(run: Callable[[], object]) -> int:
    """Peak bytes allocated (tracemalloc: NumPy's buffers) during one call, its result included."""
    gc.collect()
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def blas_description() -> str:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "threadpoolctl not installed (pip install threadpoolctl to see the BLAS kernel)"
    parts = []
    for pool in threadpool_info():
        if pool.get("user_api") == "blas":
            parts.append(
                f"{Path(pool['filepath']).name}: {pool.get('internal_api')} {pool.get('version')}, "
                f"kernel {pool.get('architecture')}, {pool.get('num_threads')} threads"
            )
    return "; ".join(parts) or "no BLAS found by threadpoolctl"


def machine_description() -> list[str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import scipy

    env = {k: os.environ.get(k, "(unset)") for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OMP_NUM_THREADS")}
    return [
        f"CPU: {cpu}, {os.cpu_count()} logical cores; Python {platform.python_version()}, "
        f"NumPy {np.__version__}, SciPy {scipy.__version__}, linop {linop.__version__}",
        "environment: " + ", ".join(f"{k}={v}" for k, v in env.items()),
        "BLAS: " + blas_description(),
    ]


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


# -- one case ------------------------------------------------------------------------------------
@dataclasses.dataclass
class Row:
    name: str
    forward: float | None = None
    adjoint: float | None = None
    note: str = ""
    error: str = ""


def run_case(
    case: Case, names: list[str], rounds: int, sparse_limit: float, tolerance: float
) -> tuple[list[Row], dict]:
    rng = np.random.default_rng(5)
    kernel = rng.standard_normal(case.kernel_shape).astype(case.dtype)
    A = linop.Convolution(kernel, case.input_shape, stride=case.stride, padding=case.padding)
    x = rng.standard_normal((case.batch,) + case.input_shape).astype(case.dtype)
    y = rng.standard_normal((case.batch,) + A.output_shape).astype(case.dtype)
    reference_forward = A.apply(x)
    reference_adjoint = A.apply_adjoint(y)
    rows: list[Row] = []
    prepared: dict[str, Prepared] = {}
    for name in names:
        row = Row(name)
        rows.append(row)
        try:
            if name == "sparse":
                impl = prepare_sparse(case, A, x, y, sparse_limit)
            else:
                impl = IMPLEMENTATIONS[name](case, A, x, y)
        except Skip as skip:
            row.note = f"skipped: {skip}"
            continue
        row.note = impl.note
        errors = (
            relative_error(impl.forward_result(impl.forward()), reference_forward),
            relative_error(impl.adjoint_result(impl.adjoint()), reference_adjoint),
        )
        if max(errors) > tolerance:
            row.error = f"MISMATCH: relative error forward {errors[0]:.1e}, adjoint {errors[1]:.1e}"
            continue
        row.note += f"; agrees with linop to {max(errors):.0e}"
        prepared[name] = impl
    callables = {}
    for name, impl in prepared.items():
        callables[name + ".forward"] = impl.forward
        callables[name + ".adjoint"] = impl.adjoint
    medians = interleaved_medians(callables, rounds) if callables else {}
    for row in rows:
        if row.name in prepared:
            row.forward = medians[row.name + ".forward"]
            row.adjoint = medians[row.name + ".adjoint"]
    extra = {
        "macs": case.batch * A.geometry.flops_per_sample,
        "backend": A.backend,
        "peak_forward": peak_bytes(lambda: A.apply(x)),
        "peak_adjoint": peak_bytes(lambda: A.apply_adjoint(y)),
        "arrays": x.nbytes + y.nbytes,
        "load": load(),
    }
    return rows, extra


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1e3:.2f}"


def report_case(case: Case, rows: list[Row], extra: dict) -> list[str]:
    lines = [f"\n{case.name}: {case.title} ({np.dtype(case.dtype).name}); load during timing {extra['load']}"]
    flops = 2 * extra["macs"]
    alternatives = [r for r in rows if not r.name.startswith("linop") and r.forward is not None]
    best_forward = min((r.forward for r in alternatives), default=None)
    best_adjoint = min((r.adjoint for r in alternatives), default=None)
    header = (
        f"  {'implementation':14s} {'fwd ms':>9s} {'adj ms':>9s} {'fwd GF/s':>9s} {'adj GF/s':>9s} "
        f"{'adj/fwd':>8s} {'vs best alt':>13s}  notes"
    )
    lines.append(header)
    for r in rows:
        if r.forward is None:
            lines.append(
                f"  {r.name:14s} {'-':>9s} {'-':>9s} {'-':>9s} {'-':>9s} {'-':>8s} {'':>13s}  {r.error or r.note}"
            )
            continue
        versus = ""
        if r.name == "linop" and best_forward:
            versus = f"{r.forward / best_forward:.2f}/{r.adjoint / best_adjoint:.2f}"
        lines.append(
            f"  {r.name:14s} {_ms(r.forward):>9s} {_ms(r.adjoint):>9s} {flops / r.forward / 1e9:9.1f} "
            f"{flops / r.adjoint / 1e9:9.1f} {r.adjoint / r.forward:8.2f} {versus:>13s}  {r.note}"
        )
    lines.append(
        f"  linop peak memory: forward {extra['peak_forward'] / 2**20:.1f} MB, "
        f"adjoint {extra['peak_adjoint'] / 2**20:.1f} MB "
        f"(input + output {extra['arrays'] / 2**20:.1f} MB, "
        f"workspace limit {backends.get_workspace_limit() / 2**20:.0f} MB)"
    )
    return lines


def target_checks(results: dict[str, tuple[list[Row], dict]], sgemm: float) -> list[str]:
    """The issue's targets, each with the numbers it was decided on (informative)."""

    def times(case: str, name: str) -> tuple[float, float] | None:
        if case not in results:
            return None
        for r in results[case][0]:
            if r.name == name and r.forward is not None:
                return r.forward, r.adjoint
        return None

    lines = ["\ntargets (from issue 5; ratios are linop time / other time, taken in alternation):"]

    def check(label: str, ok: bool | None, detail: str) -> None:
        status = "n/a " if ok is None else ("PASS" if ok else "MISS")
        lines.append(f"  [{status}] {label}: {detail}")

    for case in ("C1", "C2"):
        lin, tor = times(case, "linop"), times(case, "torch")
        if lin and tor:
            rf, ra = lin[0] / tor[0], lin[1] / tor[1]
            check(
                f"{case} forward and adjoint within 1.3x of PyTorch", rf <= 1.3 and ra <= 1.3, f"{rf:.2f}x / {ra:.2f}x"
            )
    lin = times("C1", "linop")
    if lin:
        rate = 2 * results["C1"][1]["macs"] / lin[0] / 1e9
        check("C1 forward >= 50% of the sgemm rate", rate >= 0.5 * sgemm, f"{rate:.0f} of {sgemm:.0f} GFLOP/s")
    lin, tor = times("C3", "linop"), times("C3", "torch")
    if lin and tor:
        check(
            "C3 adjoint no slower than PyTorch, forward within 3x",
            lin[1] <= tor[1] and lin[0] <= 3 * tor[0],
            f"forward {lin[0] / tor[0]:.2f}x, adjoint {lin[1] / tor[1]:.2f}x",
        )
    lin, tor = times("C6", "linop"), times("C6", "torch")
    if lin and tor:
        check(
            "float64 C1 at least 1.5x faster than PyTorch both ways",
            tor[0] / lin[0] >= 1.5 and tor[1] / lin[1] >= 1.5,
            f"speed-up {tor[0] / lin[0]:.2f}x / {tor[1] / lin[1]:.2f}x",
        )
    lin, sig = times("C4", "linop"), times("C4", "scipy.signal")
    if lin and sig:
        auto = results["C4"][1]["backend"] == "fft"
        check(
            "C4 within 1.1x of fftconvolve, FFT chosen automatically",
            lin[0] <= 1.1 * sig[0] and lin[1] <= 1.1 * sig[1] and auto,
            f"{lin[0] / sig[0]:.2f}x / {lin[1] / sig[1]:.2f}x, auto -> {results['C4'][1]['backend']}",
        )
    lin = times("C5", "linop")
    for other in ("scipy.signal", "sparse"):
        ref = times("C5", other)
        if lin and ref:
            check(
                f"C5 within 1.1x of {other}",
                lin[0] <= 1.1 * ref[0] and lin[1] <= 1.1 * ref[1],
                f"{lin[0] / ref[0]:.2f}x / {lin[1] / ref[1]:.2f}x",
            )
    ratios = {c: times(c, "linop") for c in results}
    worst = max(((t[1] / t[0], c) for c, t in ratios.items() if t), default=None)
    if worst:
        check("adjoint/forward <= 1.25 on every case", worst[0] <= 1.25, f"worst {worst[0]:.2f} ({worst[1]})")
    for other in ("pylops", "sigpy"):
        for case in ("C1", "C2", "C3", "C4", "C5"):
            lin, ref = times(case, "linop"), times(case, other)
            if lin and ref:
                need = 20.0 if case in ("C1", "C2", "C3") else 1.0
                speed = min(ref[0] / lin[0], ref[1] / lin[1])
                check(f"{case} at least {need:.0f}x faster than {other}", speed >= need, f"{speed:.1f}x")
    if "C1" in results:
        extra = results["C1"][1]
        peak = max(extra["peak_forward"], extra["peak_adjoint"])
        check(
            "C1 peak memory under 2 x (input + output) + workspace limit",
            peak <= 2 * extra["arrays"] + backends.get_workspace_limit(),
            f"{peak / 2**20:.0f} MB vs 2 x {extra['arrays'] / 2**20:.0f} MB "
            f"+ {backends.get_workspace_limit() / 2**20:.0f} MB",
        )
    if "C4" in results:
        extra = results["C4"][1]
        peak = max(extra["peak_forward"], extra["peak_adjoint"])
        check("C4 peak memory under 200 MB", peak <= 200 * 2**20, f"{peak / 2**20:.0f} MB")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes and two rounds: a smoke run")
    parser.add_argument("--cases", default=None, help="comma-separated rows, e.g. C1,C4 (default: all)")
    parser.add_argument(
        "--only", default=None, help=f"comma-separated implementations (default: all of {', '.join(IMPLEMENTATIONS)})"
    )
    parser.add_argument("--rounds", type=int, default=None, help="timed rounds per case (default 9, quick 2)")
    parser.add_argument(
        "--sparse-limit-gb",
        type=float,
        default=4.0,
        help="skip the explicit matrix when building it would need more memory (default 4)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="threads for every implementation (linop, PyTorch, scipy.fft workers, OpenBLAS "
        "through threadpoolctl; default: all cores), e.g. 1 to compare per core",
    )
    args = parser.parse_args(argv)
    if args.threads is not None:
        if args.threads < 1:
            parser.error(f"--threads must be at least 1; got {args.threads}")
        with _thread_limit(args.threads):
            return _run(args, parser)
    return _run(args, parser)


@contextlib.contextmanager
def _thread_limit(threads: int):
    """Every implementation on at most ``threads`` threads for the block."""
    global THREADS
    from linop.backends import parallel

    saved = THREADS, parallel.THREADS
    THREADS = parallel.THREADS = threads
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # OpenBLAS keeps its threads: say so in the output
        limits = contextlib.nullcontext()
        print("note: threadpoolctl is not installed, so OpenBLAS (sparse, PyLops, SigPy) keeps all its threads")
    else:
        limits = threadpool_limits(threads)
    try:
        with limits:
            yield
    finally:
        THREADS, parallel.THREADS = saved


def _run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    table = cases(args.quick)
    chosen = list(table) if not args.cases else [c.strip() for c in args.cases.split(",") if c.strip()]
    for name in chosen:
        if name not in table:
            parser.error(f"unknown case {name!r}; choose from {', '.join(table)}")
    names = list(IMPLEMENTATIONS) if not args.only else [n.strip() for n in args.only.split(",") if n.strip()]
    for name in names:
        if name not in IMPLEMENTATIONS:
            parser.error(f"unknown implementation {name!r}; choose from {', '.join(IMPLEMENTATIONS)}")
    if "linop" not in names:
        names.insert(0, "linop")
    rounds = args.rounds or (2 if args.quick else 9)

    for line in machine_description():
        print(line)
    print(f"load average (1/5/15 min) at start: {load()}")
    probe = 512 if args.quick else 2048
    sgemm = gemm_probe(probe, np.float32, 3 if args.quick else 7)
    dgemm = gemm_probe(probe, np.float64, 3 if args.quick else 7)
    print(f"GEMM probe {probe}^3: sgemm {sgemm:.0f} GFLOP/s, dgemm {dgemm:.0f} GFLOP/s (load {load()})")
    print(f"threads: {THREADS} per implementation")
    print(
        f"timing: median of {rounds} interleaved rounds (shuffled order) after 2 warm-up calls each, "
        f"{PAUSE * 1e3:.0f} ms rest "
        f"after each call of {', '.join(SPINNING)} "
        f"(calls slower than {SLOW_SECONDS} s: 1 warm-up, {SLOW_ROUNDS} rounds)"
    )

    results = {}
    failed = False
    for name in chosen:
        case = table[name]
        tolerance = 1e-4 if np.dtype(case.dtype) == np.float32 else 1e-9
        rows, extra = run_case(case, names, rounds, args.sparse_limit_gb, tolerance)
        results[name] = (rows, extra)
        failed |= any(r.error for r in rows)
        for line in report_case(case, rows, extra):
            print(line)
        sys.stdout.flush()
    if args.quick:
        print("\n(quick run: small sizes, so the issue's targets are not checked)")
    else:
        for line in target_checks(results, sgemm):
            print(line)
    print(f"\nload average (1/5/15 min) at end: {load()}")
    if failed:
        print("some implementation computed different numbers (see MISMATCH above)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
