"""``backends.workspace_limit`` is per thread and task: a block never leaks into others and always restores."""

from __future__ import annotations

import asyncio
import threading

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import linop
from linop import backends
from linop.backends import parallel

DEFAULT = backends.DEFAULT_WORKSPACE_BYTES


def test_interleaved_blocks_on_two_threads_restore_the_limit_exactly():
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen = {}

    def first():
        with backends.workspace_limit(1000):
            first_in.set()
            second_in.wait()
            seen["first"] = backends.get_workspace_limit()
        first_out.set()

    def second():
        first_in.wait()
        with backends.workspace_limit(2000):
            second_in.set()
            first_out.wait()
            seen["second"] = backends.get_workspace_limit()
        seen["second after"] = backends.get_workspace_limit()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == {"first": 1000, "second": 2000, "second after": DEFAULT}
    assert backends.get_workspace_limit() == DEFAULT


def test_a_block_on_one_thread_does_not_change_the_limit_of_another():
    inside, checked = threading.Event(), threading.Event()

    def hold():
        with backends.workspace_limit(4096):
            inside.set()
            checked.wait()

    t = threading.Thread(target=hold)
    t.start()
    inside.wait()
    try:
        assert backends.get_workspace_limit() == DEFAULT
    finally:
        checked.set()
        t.join()


def test_worker_threads_of_a_call_see_the_callers_block():
    with backends.workspace_limit(12345):
        limits = parallel.concurrently([backends.get_workspace_limit] * 3)
    assert limits == [12345] * 3


def test_interleaved_asyncio_tasks_keep_their_own_limits():
    async def task(limit: int, steps: int) -> list[int]:
        seen = []
        with backends.workspace_limit(limit):
            for _ in range(steps):
                await asyncio.sleep(0)
                seen.append(backends.get_workspace_limit())
        return seen

    async def main():
        return await asyncio.gather(task(111, 5), task(222, 3), task(333, 4))

    assert asyncio.run(main()) == [[111] * 5, [222] * 3, [333] * 4]
    assert backends.get_workspace_limit() == DEFAULT


@settings(max_examples=10, deadline=None)
@given(plans=st.lists(st.lists(st.integers(1, 2**30), min_size=1, max_size=4), min_size=2, max_size=6))
def test_nested_blocks_from_concurrent_threads_never_leak(plans):
    """Each thread nests its blocks (one limit per level), stepping in lockstep with the
    others (3 barrier steps per level); at every step it sees its own innermost limit,
    and the process limit survives."""
    barrier = threading.Barrier(len(plans))
    errors = []

    def run(limits: list[int]) -> None:
        def level(i: int) -> None:
            barrier.wait(timeout=10)
            if i == len(limits):
                return
            with backends.workspace_limit(limits[i]):
                barrier.wait(timeout=10)
                if backends.get_workspace_limit() != limits[i]:
                    errors.append((limits, i, backends.get_workspace_limit()))
                level(i + 1)
            barrier.wait(timeout=10)

        try:
            level(0)
            for _ in range(3 * (max(map(len, plans)) - len(limits))):  # keep step with deeper threads
                barrier.wait(timeout=10)
        except threading.BrokenBarrierError:
            errors.append("barrier")

    threads = [threading.Thread(target=run, args=(p,)) for p in plans]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    assert backends.get_workspace_limit() == DEFAULT


def test_a_block_inside_a_thread_limits_that_threads_chunking():
    A = linop.Convolution(np.ones(15), 4000, method="fft")
    x = np.random.default_rng(0).standard_normal((4, 4000))
    reference = A.apply(x)
    results = {}

    def small():
        with backends.workspace_limit(50_000):
            results["small"] = A.apply(x)

    t = threading.Thread(target=small)
    t.start()
    t.join()
    np.testing.assert_allclose(results["small"], reference, rtol=1e-12, atol=1e-12)


def test_a_block_left_by_an_exception_restores_the_limit():
    try:
        with backends.workspace_limit(777):
            raise RuntimeError("inside the block")
    except RuntimeError:
        pass
    assert backends.get_workspace_limit() == DEFAULT


def test_set_workspace_limit_inside_a_block_changes_the_process_limit_not_the_block():
    previous = backends.get_workspace_limit()
    try:
        with backends.workspace_limit(1000):
            backends.set_workspace_limit(5000)
            assert backends.get_workspace_limit() == 1000
        assert backends.get_workspace_limit() == 5000
    finally:
        backends.set_workspace_limit(previous)
