"""Out-of-core benchmark: A then A^H on a Zarr volume larger than the Dask workers' memory.

A 3-D blur ``A`` (3x3x3, ``padding="same"``, ``boundary="reflect"``, float32) and its
adjoint run on volumes stored as Zarr on disk, on a ``LocalCluster`` of two
single-threaded worker processes with a fixed ``memory_limit``; the result ``A^H A x``
is written back to Zarr. Side by side in one run:

* ``numpy``: the in-memory path on a volume that fits (``A.H.apply(A.apply(x))`` on a
  NumPy array, linop on all cores), timed without and with the Zarr read and write;
* ``dask``: the same volume, Zarr to Zarr through the cluster (checked equal to the
  NumPy result);
* ``dask``: two volumes 2x and 4x larger than the workers' total memory limit.

A small volume goes through both paths first, untimed (imports, first calls).

Reported: wall time, throughput (voxels/s) and the peak resident memory of each worker
process (sampled every 0.1 s): bounded by the chunk size, not by the volume. The
default chunks are slabs of whole planes (2 x 1024 x 1024, 8 MiB), so halos are
exchanged along z only; chunks split along y too (``--chunk-rows 256``) work the same
but keep more chunks in flight (the halo wavefront spans every y-chunk of a few
z-layers), which raises the peak.

Usage::

    python benchmarks/out_of_core.py            # the full run (a few minutes)
    python benchmarks/out_of_core.py --quick    # tiny volumes: a smoke run (tests/benchmarks/test_out_of_core.py)
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import platform
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import dask.array as da  # noqa: E402
import zarr  # noqa: E402
from distributed import Client, LocalCluster  # noqa: E402

import linop  # noqa: E402

MIB = 2**20


def blur(shape: tuple[int, ...]) -> linop.Convolution:
    """The benchmark's operator: a normalised 3x3x3 blur with a reflecting boundary."""
    taps = np.array([1.0, 2.0, 1.0], dtype=np.float32)
    kernel = taps[:, None, None] * taps[None, :, None] * taps[None, None, :]
    return linop.Convolution(kernel / kernel.sum(), shape, padding="same", boundary="reflect")


def write_volume(client: Client, path: Path, shape: tuple[int, ...], chunks: tuple[int, ...], seed: int) -> None:
    """A random float32 volume, generated chunk by chunk on the workers and stored uncompressed."""
    volume = da.random.default_rng(seed).random(shape, dtype=np.float32, chunks=chunks)
    client.compute(volume.to_zarr(str(path), compute=False, compressors=None)).result()


class PeakMemory:
    """The peak resident memory of every worker process while the block runs (sampled)."""

    def __init__(self, client: Client, interval: float = 0.1):
        self.client, self.interval = client, interval
        self.peaks: dict[str, int] = {}
        self._stop = threading.Event()

    def _sample(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(Exception):
                for worker, rss in self.client.run(_rss).items():
                    self.peaks[worker] = max(self.peaks.get(worker, 0), rss)
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakMemory:
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def peak(self) -> int:
        return max(self.peaks.values(), default=0)


def _rss() -> int:
    import psutil

    return psutil.Process().memory_info().rss


def _one_thread_per_task() -> None:
    """On a worker: linop's kernels on the task's own thread (the workers are the parallelism)."""
    from linop.backends import parallel

    parallel.THREADS = 1


def run_dask(client: Client, source: Path, target: Path) -> tuple[float, int]:
    """``A^H A x`` Zarr to Zarr through the cluster: (seconds, peak worker RSS)."""
    x = da.from_zarr(str(source))
    A = blur(x.shape)
    result = A.H.apply(A.apply(x))
    client.run(_baseline_gc)
    with PeakMemory(client) as memory:
        start = time.perf_counter()
        client.compute(result.to_zarr(str(target), compute=False, compressors=None)).result()
        seconds = time.perf_counter() - start
    return seconds, memory.peak


def _baseline_gc() -> None:
    import gc

    gc.collect()


def run_numpy(source: Path, target: Path) -> tuple[float, float, np.ndarray]:
    """The in-memory path: (compute seconds, seconds including the Zarr read and write, result)."""
    start = time.perf_counter()
    x = zarr.open_array(str(source), mode="r")[:]
    A = blur(x.shape)
    compute_start = time.perf_counter()
    y = A.H.apply(A.apply(x))
    compute = time.perf_counter() - compute_start
    stored = zarr.create_array(
        str(target),
        shape=y.shape,
        chunks=zarr.open_array(str(source)).chunks,
        dtype=y.dtype,
        compressors=None,
        overwrite=True,
    )
    stored[:] = y
    return compute, time.perf_counter() - start, y


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny volumes: a smoke run")
    parser.add_argument("--memory-limit", type=int, default=768, help="memory_limit of each worker, MiB (default 768)")
    parser.add_argument("--plane", type=int, default=1024, help="the volume's y and x size (default 1024)")
    parser.add_argument("--chunk-depth", type=int, default=2, help="chunk size along z (default 2)")
    parser.add_argument(
        "--chunk-rows", type=int, default=None, help="chunk size along y (default: whole planes; x is whole)"
    )
    parser.add_argument(
        "--workdir", type=Path, default=None, help="where the Zarr volumes go (default: a temporary directory)"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.memory_limit, args.plane, args.chunk_depth, args.chunk_rows = 512, 64, 8, 32
    if args.chunk_rows is None:
        args.chunk_rows = args.plane

    workers = 2
    total_limit = workers * args.memory_limit * MIB
    plane_bytes = args.plane * args.plane * 4
    if args.quick:  # smoke sizes: far below the memory limit
        fit_depth, large_depths = 16, (32, 64)
    else:
        fit_depth = max(args.chunk_depth, (total_limit // 2 // plane_bytes) // args.chunk_depth * args.chunk_depth)
        large_depths = tuple(
            math.ceil(factor * total_limit / plane_bytes / args.chunk_depth) * args.chunk_depth for factor in (2, 4)
        )
    chunks = (args.chunk_depth, args.chunk_rows, args.plane)
    workdir = Path(tempfile.mkdtemp(prefix="linop-out-of-core-", dir=args.workdir))
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"load average {', '.join(f'{v:.2f}' for v in os.getloadavg())}"
    )
    print("operator: 3x3x3 blur, padding='same', boundary='reflect', float32; A then A^H, Zarr to Zarr")
    print(
        f"cluster: LocalCluster(n_workers={workers}, threads_per_worker=1, memory_limit={args.memory_limit} MiB); "
        f"chunks {chunk_text(chunks)} ({math.prod(chunks) * 4 / MIB:.0f} MiB)\n"
    )
    rows = []
    try:
        with (
            LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                memory_limit=args.memory_limit * MIB,
                host="127.0.0.1",
                dashboard_address=None,
                processes=True,
            ) as cluster,
            Client(cluster) as client,
        ):
            client.run(_one_thread_per_task)
            warm = (args.chunk_depth * 2, args.plane, args.plane)  # imports and first calls, untimed
            write_volume(client, workdir / "warm.zarr", warm, chunks, seed=99)
            run_dask(client, workdir / "warm.zarr", workdir / "warm-out.zarr")
            run_numpy(workdir / "warm.zarr", workdir / "warm-numpy.zarr")
            for name in ("warm.zarr", "warm-out.zarr", "warm-numpy.zarr"):
                shutil.rmtree(workdir / name)
            fit_shape = (fit_depth, args.plane, args.plane)
            write_volume(client, workdir / "fit.zarr", fit_shape, chunks, seed=0)
            compute, with_io, reference = run_numpy(workdir / "fit.zarr", workdir / "fit-numpy.zarr")
            rows.append(("numpy (compute only)", fit_shape, compute, None))
            rows.append(("numpy (Zarr read + write)", fit_shape, with_io, None))
            seconds, peak = run_dask(client, workdir / "fit.zarr", workdir / "fit-dask.zarr")
            rows.append(("dask", fit_shape, seconds, peak))
            difference = float(np.abs(zarr.open_array(str(workdir / "fit-dask.zarr"), mode="r")[:] - reference).max())
            del reference
            for i, depth in enumerate(large_depths):
                shape = (depth, args.plane, args.plane)
                source, target = workdir / f"large{i}.zarr", workdir / f"large{i}-out.zarr"
                write_volume(client, source, shape, chunks, seed=i + 1)
                seconds, peak = run_dask(client, source, target)
                rows.append(("dask", shape, seconds, peak))
                shutil.rmtree(source)
                shutil.rmtree(target)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    print(f"{'path':<28}{'volume':>18}{'GiB':>7}{'x limit':>9}{'seconds':>9}{'Mvoxel/s':>10}{'peak RSS/worker':>17}")
    for name, shape, seconds, peak in rows:
        size = math.prod(shape) * 4
        peak_text = f"{peak / MIB:.0f} MiB" if peak else "-"
        print(
            f"{name:<28}{chunk_text(shape):>18}{size / 2**30:>7.2f}{size / total_limit:>9.1f}{seconds:>9.1f}"
            f"{math.prod(shape) / seconds / 1e6:>10.1f}{peak_text:>17}"
        )
    numpy_io, dask_fit = rows[1][2], rows[2][2]
    print(f"\nmax |dask - numpy| on the fitting volume: {difference:.2e}")
    print(
        f"dask / numpy time on the fitting volume: {dask_fit / rows[0][2]:.2f}x (compute only), "
        f"{dask_fit / numpy_io:.2f}x (both Zarr to Zarr)"
    )
    peaks = [r[3] for r in rows[3:]]
    print(
        f"peak worker memory, {rows[3][1][0]} vs {rows[4][1][0]} planes: "
        f"{peaks[0] / MIB:.0f} vs {peaks[1] / MIB:.0f} MiB (limit {args.memory_limit} MiB)"
    )
    if difference > 1e-5:
        print("MISMATCH: the Dask result differs from the NumPy one")
        return 1
    return 0


def chunk_text(shape: tuple[int, ...]) -> str:
    return "x".join(map(str, shape))


if __name__ == "__main__":
    sys.exit(main())
