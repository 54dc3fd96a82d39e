"""Running a backend's blocks on all cores.

The backends cut their work into ranges of output rows. Ranges whose writes are disjoint
(forward: each output row is written by one range) run concurrently; ranges whose writes
overlap by a halo (adjoint: neighbouring output rows add into shared input rows) run in
two waves, the even-numbered ranges first and then the odd-numbered ones, so that two
ranges running at the same time are always separated by a whole range wider than the halo.

Worker threads call NumPy and BLAS, both of which release the GIL; during a parallel
section OpenBLAS runs each product on a single thread (:func:`linop.backends.blas.single_threaded`),
which scales better than splitting every small product across cores. With a BLAS
other than OpenBLAS the work runs on the calling thread and the BLAS threads itself.
"""

from __future__ import annotations

import contextvars
import functools
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import numpy as np

from . import blas

__all__ = ["THREADS", "alternating", "balanced", "concurrently", "copied", "copy", "ranges"]

#: Worker threads (default: the number of CPUs). Set to 1 to run everything on the calling thread.
THREADS: int = os.cpu_count() or 1
#: Multiply-adds below which a call is not worth splitting across threads.
MIN_PARALLEL_WORK: float = 2e7
#: Bytes below which a copy is not worth splitting across threads.
MIN_PARALLEL_COPY: int = 2**20

T = TypeVar("T")
_pool: ThreadPoolExecutor | None = None
_pool_size = 0
_pool_lock = threading.Lock()


def _forget_pool() -> None:
    """After ``fork`` the child has none of the parent's threads: start a new pool there."""
    global _pool, _pool_size, _pool_lock
    _pool, _pool_size, _pool_lock = None, 0, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def _executor(size: int) -> ThreadPoolExecutor:
    global _pool, _pool_size
    with _pool_lock:
        if _pool is None or _pool_size < size:
            _pool = ThreadPoolExecutor(max_workers=size, thread_name_prefix="linop")
            _pool_size = size
        return _pool


def ranges(total: int, parts: int) -> list[tuple[int, int]]:
    """``parts`` contiguous ranges covering ``[0, total)``, sizes differing by at most one."""
    parts = max(1, min(parts, total))
    bounds = [total * i // parts for i in range(parts + 1)]
    return [(bounds[i], bounds[i + 1]) for i in range(parts)]


def parts_for(total: int, work: float, min_length: int = 1, waves: int = 1) -> int:
    """How many ranges to cut ``total`` rows into: ``waves * THREADS`` if the work is large
    enough and every range keeps at least ``min_length`` rows, else 1."""
    if THREADS <= 1 or work < MIN_PARALLEL_WORK:
        return 1
    parts = waves * THREADS
    if total < parts * max(min_length, 1):
        return 1
    return parts


def concurrently(tasks: Sequence[Callable[[], T]]) -> list[T]:
    """Run ``tasks`` at the same time (the first on the calling thread); results in order.

    OpenBLAS stays single-threaded even for a single task: waking its own thread pool
    would leave those threads spinning, competing with the next parallel section.
    """
    with blas.single_threaded() as alone:
        if len(tasks) <= 1 or not alone:
            return [task() for task in tasks]
        pool = _executor(len(tasks) - 1)
        # each worker runs in a copy of the caller's context: it sees the caller's workspace_limit
        futures = [pool.submit(contextvars.copy_context().run, task) for task in tasks[1:]]
        try:
            first = tasks[0]()
        finally:
            results = [future.result() for future in futures]
    return [first] + results


def balanced(pieces: Sequence[Callable[[], None]]) -> None:
    """Run independent ``pieces`` on up to :data:`THREADS` threads (the calling thread one of
    them), each thread taking the next piece when it finishes one.

    For work cut into more pieces than threads: a core that runs slower (shared with
    another process or virtual machine) then does fewer pieces instead of holding up the
    others, as one fixed range per core would.
    """
    if THREADS <= 1 or len(pieces) <= 1:
        for piece in pieces:
            piece()
        return
    queue = iter(range(len(pieces)))
    lock = threading.Lock()

    def worker() -> None:
        while True:
            with lock:
                index = next(queue, None)
            if index is None:
                return
            pieces[index]()

    concurrently([worker] * min(THREADS, len(pieces)))


def alternating(tasks: Sequence[Callable[[], T]]) -> list[T]:
    """Run the even-numbered tasks at the same time, then the odd-numbered ones."""
    even = concurrently(tasks[0::2])
    odd = concurrently(tasks[1::2])
    out: list[T] = []
    for i in range(len(tasks)):
        out.append(even[i // 2] if i % 2 == 0 else odd[i // 2])
    return out


def _copy_part(dst: np.ndarray, src: np.ndarray, part: tuple[slice, ...]) -> None:
    np.copyto(dst[part], src[part])


def copy(dst: np.ndarray, src: np.ndarray) -> None:
    """``dst[...] = src`` (same shape); a large copy is split across threads along its first
    axis that has enough entries (NumPy copies without the GIL, and one core does not
    saturate the memory bandwidth)."""
    axis = next((a for a, length in enumerate(dst.shape) if length >= THREADS), None)
    if THREADS <= 1 or dst.nbytes < MIN_PARALLEL_COPY or axis is None:
        np.copyto(dst, src)
        return
    lead = (slice(None),) * axis
    parts = ranges(dst.shape[axis], THREADS)
    concurrently([functools.partial(_copy_part, dst, src, lead + (slice(a, b),)) for a, b in parts])


def copied(a: np.ndarray) -> np.ndarray:
    """A C-contiguous copy of ``a`` (:func:`copy`)."""
    out = np.empty(a.shape, dtype=a.dtype)
    copy(out, a)
    return out
