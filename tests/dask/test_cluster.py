"""linop on a real Dask cluster (worker processes on loopback).

Equal results, a verified adjoint, solvers, a killed worker.

One small LocalCluster (two single-threaded worker processes, no dashboard) serves the
module and is shut down after it; the killed-worker test runs last.
"""

from __future__ import annotations

import os
import signal
import time

import dask.array as da
import numpy as np
import pytest

import linop
from linop.dask import DaskBackedOperator
from linop.solvers import lsqr

distributed = pytest.importorskip("distributed")
zarr = pytest.importorskip("zarr")


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None, memory_limit="1GiB"
    )
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


def blur3d():
    kernel = np.random.default_rng(0).standard_normal((3, 3, 3, 2, 4))
    return linop.Convolution(
        kernel, (20, 18, 16, 2), stride=(1, 2, 1), dilation=(2, 1, 1), padding="same", boundary="symmetric"
    )


def test_distributed_forward_and_adjoint_equal_in_memory(client):
    A = blur3d()
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((2,) + A.input_shape), rng.standard_normal(A.output_shape)
    got = client.compute(A.apply(da.from_array(x, chunks=(1, 7, 9, 9, 2)))).result()
    np.testing.assert_allclose(got, A.apply(x), rtol=0, atol=1e-12 * np.abs(got).max())
    got = client.compute(A.H.apply(da.from_array(y, chunks=(12, 4, 9, 4)))).result()
    np.testing.assert_allclose(got, A.H.apply(y), rtol=0, atol=1e-12 * np.abs(got).max())


def test_verify_passes_on_the_cluster(client):
    A = linop.Convolution(np.arange(6.0).reshape(3, 2), (9, 7), stride=2, padding=1, boundary="wrap")
    report = linop.verify(
        DaskBackedOperator(A, ((2, 3, 4), (3, 4)), scheduler=None), checks=("adjoint", "matrix"), seed=0
    )
    assert report.passed, report.failure_message()


def test_lsqr_on_the_cluster_reproduces_numpy_with_vectors_on_the_workers(client):
    A = linop.Convolution(np.outer([1.0, 2.0, 1.0], [1.0, 2.0, 1.0]) / 16, (32, 24), padding="same", boundary="edge")
    b = A.apply(np.random.default_rng(2).random((32, 24)))
    on_dask = lsqr(A, da.from_array(b, chunks=(16, 12)), damp=0.05, iter_lim=6, progress=False)
    on_numpy = lsqr(A, b, damp=0.05, iter_lim=6, progress=False)
    assert len(on_dask.x.__dask_graph__()) == on_dask.x.npartitions  # persisted: one future per chunk
    np.testing.assert_allclose(on_dask.x.compute(), on_numpy.x, rtol=1e-10, atol=1e-12)


def test_a_worker_killed_mid_computation_loses_nothing(client, tmp_path):
    A = linop.Convolution(np.ones((5, 5)) / 25, (768, 768), padding="same", boundary="reflect")
    x = da.random.default_rng(3).random((768, 768), chunks=96)
    store = A.H.apply(A.apply(x)).to_zarr(str(tmp_path / "out.zarr"), compute=False)
    before = set(client.run(os.getpid).values())
    future = client.compute(store)

    def done_tasks(dask_scheduler):
        return sum(ts.state == "memory" for ts in dask_scheduler.tasks.values())

    deadline = time.monotonic() + 60
    while client.run_on_scheduler(done_tasks) < 40 and time.monotonic() < deadline:
        time.sleep(0.005)
    assert not future.done(), "the computation finished before a worker could be killed"
    victim = max(before)
    os.kill(victim, signal.SIGKILL)
    future.result(timeout=120)
    after = set(client.run(os.getpid).values())
    assert victim not in after  # the worker really died (its nanny started a new one)
    reference = A.H.apply(A.apply(x.compute(scheduler="sync")))
    np.testing.assert_allclose(zarr.open_array(str(tmp_path / "out.zarr"), mode="r")[:], reference, rtol=0, atol=1e-12)
