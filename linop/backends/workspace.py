"""The bounded workspace: how much scratch memory a backend may use, and the chunking that keeps it there.

A backend needs scratch arrays besides its input and output: window matrices, wide
output grids, polyphase copies, Fourier spectra. Their size grows with the batch and the
image, so every call is cut into chunks whose scratch fits under one limit:

1. whole batches of samples, as many as fit;
2. if a single sample does not fit, blocks of output rows along the first spatial axis.
   Output rows ``j_lo .. j_hi-1`` read the padded input rows
   ``geometry.axes[0].input_span(j_lo, j_hi)``, so each block is an independent smaller
   convolution with the same kernel (overlap-save); in the adjoint the overlapping
   input rows of neighbouring blocks are added.

The limit defaults to :data:`DEFAULT_WORKSPACE_BYTES` (256 MiB) and is read at every call:

>>> import linop.backends as backends
>>> backends.set_workspace_limit(64 * 2**20)       # doctest: +SKIP
>>> with backends.workspace_limit(16 * 2**20):     # doctest: +SKIP
...     y = A.apply(x)

:func:`set_workspace_limit` sets the process-wide limit. A :func:`workspace_limit` block
overrides it for its own context only (a :mod:`contextvars` variable): the calling thread
or asyncio task and the worker threads linop runs on its behalf, never another thread.
Leaving the block restores exactly the value before it, however blocks on different
threads interleave.

Chunked results equal the one-chunk results to rounding: bit for bit with the direct
method, in the last bits only with FFT and gemm (their sums are grouped differently
when the blocks change).

If one output row of one sample does not fit, that smallest chunk runs anyway (the limit
cannot be met; the automatic method choice avoids such methods).

Scratch arrays that every call needs anew (wide output grids, window buffers) are taken
from a per-thread arena (:func:`scratch`) and kept between calls: a freshly allocated
array of a few MB costs one page fault per 4 KiB page when it is first written, and
page faults from several worker threads at once serialise in the kernel (measured: 1,600
faults and 3-7 ms extra on an 8 x 64x64x32 -> 64 convolution that computes in 4 ms). The
arena holds at most one buffer per name and thread, each no larger than the workspace
limit; :func:`release_scratch` frees them on every thread.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import math
import threading
import weakref
from collections.abc import Callable, Iterator, Sequence

import numpy as np

from ..arguments import is_integer
from ..geometry import AxisGeometry, ConvGeometry
from . import parallel

__all__ = [
    "DEFAULT_WORKSPACE_BYTES",
    "Chunk",
    "chunks",
    "interior",
    "run_chunked",
    "get_workspace_limit",
    "release_scratch",
    "scratch",
    "set_workspace_limit",
    "workspace_limit",
]

#: Default cap on the scratch memory of one backend call, in bytes (256 MiB).
DEFAULT_WORKSPACE_BYTES: int = 256 * 2**20

_process_limit: int = DEFAULT_WORKSPACE_BYTES
# The limit of the innermost workspace_limit block of this context (None: no block).
_block_limit: contextvars.ContextVar[int | None] = contextvars.ContextVar("linop_workspace_limit", default=None)


def _check_limit(nbytes: object) -> int:
    if not is_integer(nbytes):
        raise TypeError(f"workspace limit must be an int number of bytes (or None for the default); got {nbytes!r}")
    if nbytes < 1:
        raise ValueError(f"workspace limit must be a positive number of bytes; got {nbytes!r}")
    return int(nbytes)


def get_workspace_limit() -> int:
    """The current cap on scratch memory per backend call, in bytes: the innermost
    :func:`workspace_limit` block of this thread or task, else the process-wide limit.

    Returns
    -------
    int
        The limit in bytes.

    Examples
    --------
    >>> from linop import backends
    >>> backends.get_workspace_limit() == backends.DEFAULT_WORKSPACE_BYTES
    True
    """
    block = _block_limit.get()
    return _process_limit if block is None else block


def set_workspace_limit(nbytes: int | None) -> int:
    """Set the process-wide cap on scratch memory per backend call; ``None`` restores the default.

    Every thread sees it, except inside a :func:`workspace_limit` block (whose value wins
    in its own context). Returns the previous process-wide limit.

    Parameters
    ----------
    nbytes : int or None
        The limit in bytes; ``None`` restores :data:`DEFAULT_WORKSPACE_BYTES`.

    Returns
    -------
    int
        The previous limit.

    Raises
    ------
    TypeError, ValueError
        If ``nbytes`` is not a positive int (or None).

    Examples
    --------
    >>> from linop import backends
    >>> previous = backends.set_workspace_limit(64 * 2**20)
    >>> backends.get_workspace_limit()
    67108864
    >>> backends.set_workspace_limit(previous) == 64 * 2**20    # restore the previous limit
    True
    """
    global _process_limit
    previous = _process_limit
    _process_limit = DEFAULT_WORKSPACE_BYTES if nbytes is None else _check_limit(nbytes)
    return previous


@contextlib.contextmanager
def workspace_limit(nbytes: int | None) -> Iterator[int]:
    """Context manager: a workspace limit (``None``: the default) for this block, in this
    thread or asyncio task only.

    On leaving the block, the limit is exactly what it was before, whatever blocks other
    threads entered or left meanwhile.

    Parameters
    ----------
    nbytes : int or None
        The limit in bytes for the block; ``None``: the default.

    Returns
    -------
    context manager
        Yields the limit in force inside the block.

    Raises
    ------
    TypeError, ValueError
        If ``nbytes`` is not a positive int (or None).

    Examples
    --------
    >>> from linop import backends
    >>> A = linop.Convolution(np.ones((3, 3)), (64, 64))
    >>> with backends.workspace_limit(2**16) as limit:
    ...     y = A.apply(np.ones((8, 64, 64)))
    ...     limit == backends.get_workspace_limit() == 2**16
    True
    >>> y.shape
    (8, 62, 62)
    """
    value = DEFAULT_WORKSPACE_BYTES if nbytes is None else _check_limit(nbytes)
    token = _block_limit.set(value)
    try:
        yield value
    finally:
        _block_limit.reset(token)


_arena = threading.local()


class _Buffers(dict):
    """One thread's scratch buffers by name (a dict subclass, so it can be weakly referenced;
    compared and hashed by identity, as one thread's arena is distinct from another's)."""

    __hash__ = object.__hash__  # type: ignore[assignment]  # typeshed declares dict unhashable (None)
    __eq__ = object.__eq__


# Every live thread's buffers, so that release_scratch reaches them all; a thread's entry
# goes away with the thread.
_arenas: weakref.WeakSet[_Buffers] = weakref.WeakSet()
_arenas_lock = threading.Lock()


def scratch(name: str, shape: tuple[int, ...], dtype: np.dtype | type) -> np.ndarray:
    """An uninitialised array of ``shape`` and ``dtype`` for scratch named ``name``, reused
    by later calls on the same thread.

    The array is valid until the next request for ``name`` on this thread, so a backend
    takes each name once per call and never returns the array (or a view of it).
    """
    dtype = np.dtype(dtype)
    nbytes = math.prod(shape) * dtype.itemsize
    buffers = _arena.__dict__.get("buffers")
    if buffers is None:
        buffers = _arena.buffers = _Buffers()
        with _arenas_lock:
            _arenas.add(buffers)
    buffer = buffers.get(name)
    if buffer is None or buffer.nbytes < nbytes:
        # complex128 elements: 16-byte aligned for every dtype the backends use
        buffer = np.empty(-(-max(nbytes, 1) // 16), dtype=np.complex128).view(np.uint8)
        if nbytes <= get_workspace_limit():
            buffers[name] = buffer
    return buffer[:nbytes].view(dtype).reshape(shape)


def release_scratch() -> None:
    """Free the scratch buffers that :func:`scratch` keeps, on every thread.

    Arrays a backend is using at that moment stay valid (they are only no longer kept).
    """
    with _arenas_lock:
        for buffers in list(_arenas):
            buffers.clear()


@dataclasses.dataclass(frozen=True)
class Chunk:
    """One piece of a backend call.

    ``batch`` selects samples; ``out_rows`` the output rows and ``in_rows`` the padded
    input rows they read along the first spatial axis; ``geometry`` is the (unpadded)
    convolution of that piece.
    """

    batch: slice
    out_rows: slice
    in_rows: slice
    geometry: ConvGeometry


def _rows_geometry(geom: ConvGeometry, j_lo: int, j_hi: int) -> tuple[slice, ConvGeometry]:
    first = geom.axes[0]
    start, stop = first.input_span(j_lo, j_hi)
    axis = AxisGeometry(stop - start, first.k, first.stride, first.dilation, 0, 0)
    return slice(start, stop), dataclasses.replace(geom, axes=(axis,) + geom.axes[1:])


def chunks(
    geom: ConvGeometry,
    batch: int,
    scratch_bytes: Callable[[ConvGeometry, int], int],
    limit: int | None = None,
) -> list[Chunk]:
    """Cut a call on ``batch`` samples into chunks whose scratch fits under the limit.

    Parameters
    ----------
    geom : ConvGeometry
        The unpadded geometry of the whole call.
    batch : int
        Number of samples.
    scratch_bytes : callable
        ``scratch_bytes(geometry, samples)``: the backend's scratch memory for a piece.
    limit : int, optional
        Bytes; default :func:`get_workspace_limit`.
    """
    limit = get_workspace_limit() if limit is None else limit
    m0 = geom.axes[0].output_size
    whole = slice(0, m0)
    all_rows = slice(0, geom.axes[0].padded_size)
    if batch == 0:
        return []
    if scratch_bytes(geom, batch) <= limit:
        return [Chunk(slice(0, batch), whole, all_rows, geom)]
    per_sample = scratch_bytes(geom, 1)
    if per_sample <= limit:
        step = max(1, min(batch, limit // max(per_sample, 1)))
        while step > 1 and scratch_bytes(geom, step) > limit:
            step -= 1
        return [Chunk(slice(b, min(batch, b + step)), whole, all_rows, geom) for b in range(0, batch, step)]
    # one sample is too big: blocks of output rows (largest block that fits, by bisection)
    lo, hi = 1, m0
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if scratch_bytes(_rows_geometry(geom, 0, mid)[1], 1) <= limit:
            lo = mid
        else:
            hi = mid - 1
    rows = lo
    pieces = []
    for b in range(batch):
        for j in range(0, m0, rows):
            j_hi = min(m0, j + rows)
            in_rows, sub = _rows_geometry(geom, j, j_hi)
            pieces.append(Chunk(slice(b, b + 1), slice(j, j_hi), in_rows, sub))
    return pieces


def run_chunked(
    step: Callable[[np.ndarray, ConvGeometry, np.ndarray], None],
    source: np.ndarray,
    geom: ConvGeometry,
    scratch_bytes: Callable[[ConvGeometry, int], int],
    dtype: np.dtype,
    *,
    adjoint: bool,
) -> np.ndarray:
    """Run a backend's per-chunk ``step(source_piece, chunk_geometry, result_piece)`` over
    :func:`chunks` and return the whole result.

    Forward (``adjoint=False``): ``source`` is the padded input ``(B, P..., c_in)``, the
    result ``(B, m..., c_out)`` is written piece by piece (each output row once). Adjoint:
    ``source`` is ``(B, m..., c_out)`` and each step *adds* into its input rows of a zeroed
    ``(B, P..., c_in)`` (neighbouring chunks' input rows overlap by the kernel span).
    """
    B = source.shape[0]
    if adjoint:
        result = np.zeros((B,) + geom.padded_size + (geom.in_channels,), dtype=dtype)
    else:
        result = np.empty((B,) + geom.output_size + (geom.out_channels,), dtype=dtype)
    for chunk in chunks(geom, B, scratch_bytes):
        if adjoint:
            step(source[chunk.batch, chunk.out_rows], chunk.geometry, result[chunk.batch, chunk.in_rows])
        else:
            step(source[chunk.batch, chunk.in_rows], chunk.geometry, result[chunk.batch, chunk.out_rows])
    return result


def interior(padded: np.ndarray, geom: ConvGeometry, pads: Sequence[tuple[int, int]]) -> np.ndarray:
    """A backend's padded adjoint ``(B, P..., c)`` without its first ``lo`` and last ``hi``
    samples per axis (``pads``): the adjoint of zero padding applied after it, copied on all
    threads (``padded`` itself when nothing is padded)."""
    if not any(lo or hi for lo, hi in pads):
        return padded
    return parallel.copied(
        padded[(slice(None),) + tuple(slice(lo, P - hi) for P, (lo, hi) in zip(geom.padded_size, pads))]
    )
