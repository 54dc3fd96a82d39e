"""Compiled shifted products: the forward and adjoint correlation without window copies.

The "gemm" backend's NumPy orderings feed BLAS with windows of the input, copied or
viewed; with few channels the products are small and the copies dominate. The C
library ``_shifted`` (built from ``linop/backends/_kernels/shifted.c`` when linop is
installed) computes the same sums as an *implicit* matrix product: for runs ("lines")
of ``n`` outputs along the last spatial axis,

.. math::

    \\mathrm{dst}[\\ell, p, f] \\mathrel{(+)}= \\sum_t \\sum_c
        \\mathrm{src}_t[\\ell, p\\,\\sigma + c]\\; W[t, c, f],

where ``src_t`` points at the first value tap ``t`` reads and ``sigma`` is the step
between neighbouring outputs' inputs. The kernel keeps a tile of up to 12 outputs x 64
columns in vector registers while it broadcasts each input value once; the columns are
computed in whole vectors (the weights zero-padded, the last vector stored in part). Few
columns from many summed channels get vectors along the channels instead, and
depthwise layers (one input and one output channel per group) one call with vectors
along the channels. AVX-512, AVX2 + FMA or the baseline instruction set is chosen at run
time from what the CPU reports.

* **Forward** (:func:`correlate`): one call per group. Output line ``(b, j_1..j_{d-1})``
  starts at padded input ``(b, s_1 j_1, ..., s_{d-1} j_{d-1}, 0)``; tap ``t`` adds
  ``(d_1 t_1, ..., d_d t_d)``; ``sigma = s_d c_in``. Reads the padded input in place and
  writes the output in place: no scratch at all.
* **Adjoint** (:func:`correlate_adjoint`): a *gather*, one call per polyphase component
  ``phi`` of the padded input and group. With ``d t = s a_t + phi_t``
  (:meth:`linop.geometry.AxisGeometry.polyphase_tap`), input sample ``s v + phi`` receives
  ``W[t]^T y[v - a_t]`` from exactly the taps with ``phi_t = phi`` on every axis, so
  every input sample is written once (no scatter, no fold) and the contraction runs over
  the output channels. ``y`` is read through a zero border of ``floor(d (k-1) / s)``
  samples before and ``ceil(P / s) - m`` after, so that no tap needs a bounds test. With
  ``crop`` only the samples inside the padding are computed (the adjoint of zero padding).

Every call is cut into ``PIECES_PER_THREAD`` pieces per thread (whole lines, or
pixel ranges of a single line) that the threads take in turn (``linop.backends.parallel.balanced``);
ctypes releases the GIL for the call. Only float32 and float64 have kernels:
:func:`available` says whether a dtype can use them (and whether the library was built).
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import functools
import importlib.util
import itertools
import math
from collections.abc import Callable, Iterator, Sequence

import numpy as np

from ..geometry import ConvGeometry
from . import parallel, workspace

__all__ = [
    "ENABLED",
    "available",
    "correlate",
    "correlate_adjoint",
    "instruction_set",
    "instruction_sets",
    "scratch_bytes",
    "vector_lanes",
    "using_instruction_set",
]

#: Set to ``False`` to make :func:`available` answer no (the NumPy orderings run instead).
ENABLED: bool = True

#: In the decision to split a call across threads, a value read or written counts as this
#: many multiply-adds (the one-channel kernels are bound by memory, not arithmetic).
VALUE_WORK = 32
#: Pieces per thread of a call split across threads (balances cores of unequal speed).
PIECES_PER_THREAD = 4

_INSTRUCTION_SETS = ("baseline", "avx2+fma", "avx512")
_forced: int | None = None  # an instruction set forced by using_instruction_set
_IDX = ctypes.c_ssize_t
_PTR = ctypes.c_void_p


@functools.lru_cache(maxsize=1)
def _library() -> tuple[dict, int, int, Callable[[int, int], int]] | None:
    """``(entry points by dtype, instruction-set code, max taps, lanes(isa, bits))``, or
    ``None`` if the extension was not built."""
    spec = importlib.util.find_spec(f"{__package__}._shifted")
    if spec is None or not spec.origin:
        return None
    try:
        lib = ctypes.CDLL(spec.origin)
    except OSError:  # pragma: no cover - a broken build
        return None
    entries = {}
    for dtype, bits in ((np.dtype(np.float32), 32), (np.dtype(np.float64), 64)):
        shifted = getattr(lib, f"linop_shifted_f{bits}")
        # isa, nlines, src_line, dst_line, n, src, ntaps, kc, w, wtr, N, Nw, sps, dst, dps, accumulate, tlo, thi
        shifted.argtypes = [
            ctypes.c_int,
            _IDX,
            _PTR,
            _PTR,
            _IDX,
            _PTR,
            ctypes.c_int,
            ctypes.c_int,
            _PTR,
            _PTR,
            _IDX,
            _IDX,
            _IDX,
            _PTR,
            _IDX,
            ctypes.c_int,
            _PTR,
            _PTR,
        ]
        depthwise = getattr(lib, f"linop_depthwise_f{bits}")
        # isa, nlines, src_line, dst_line, n, src, ntaps, w, G, sps, dst, dps, accumulate
        depthwise.argtypes = [
            ctypes.c_int,
            _IDX,
            _PTR,
            _PTR,
            _IDX,
            _PTR,
            ctypes.c_int,
            _PTR,
            _IDX,
            _IDX,
            _PTR,
            _IDX,
            ctypes.c_int,
        ]
        shifted.restype = depthwise.restype = ctypes.c_int
        entries[dtype] = (shifted, depthwise)
    lib.linop_shifted_isa.restype = ctypes.c_int
    lib.linop_shifted_max_taps.restype = ctypes.c_int
    lib.linop_shifted_lanes.restype = ctypes.c_int
    lib.linop_shifted_lanes.argtypes = [ctypes.c_int, ctypes.c_int]
    return entries, int(lib.linop_shifted_isa()), int(lib.linop_shifted_max_taps()), lib.linop_shifted_lanes


def _loaded() -> tuple[dict, int, int, Callable[[int, int], int]]:
    """:func:`_library` where the caller has checked that the extension is built."""
    lib = _library()
    assert lib is not None, "the compiled extension is not built (callers check available() first)"
    return lib


def _isa() -> int:
    return _loaded()[1] if _forced is None else _forced


def instruction_set() -> str | None:
    """The instruction set the compiled kernels run with here (``None``: not built).

    Returns
    -------
    str or None
        ``"avx512"``, ``"avx2+fma"`` or ``"baseline"``; ``None`` when the extension is not built
        or :data:`ENABLED` is ``False``.

    Examples
    --------
    >>> from linop.backends import compiled
    >>> compiled.instruction_set() in (None, "baseline", "avx2+fma", "avx512")
    True
    """
    return None if _library() is None else _INSTRUCTION_SETS[_isa()]


def vector_lanes(dtype: np.dtype | type) -> int | None:
    """Values of ``dtype`` in one vector of the kernels' instruction set (``None``: no kernel).

    Parameters
    ----------
    dtype : dtype
        float32 or float64.

    Returns
    -------
    int or None
        Values per vector, ``None`` when no kernel runs.

    Examples
    --------
    >>> from linop.backends import compiled
    >>> compiled.vector_lanes(np.float64) in (None, 2, 4, 8)
    True
    """
    lib = _library()
    if lib is None or np.dtype(dtype) not in lib[0]:
        return None
    return int(lib[3](_isa(), np.dtype(dtype).itemsize * 8))


def instruction_sets() -> tuple[str, ...]:
    """Every instruction set this CPU can run the kernels with (empty: not built).

    Returns
    -------
    tuple of str
        Every instruction set this CPU can run (empty without the extension).

    Examples
    --------
    >>> from linop.backends import compiled
    >>> set(compiled.instruction_sets()) <= {"baseline", "avx2+fma", "avx512"}
    True
    """
    lib = _library()
    return () if lib is None else _INSTRUCTION_SETS[: lib[1] + 1]


@contextlib.contextmanager
def using_instruction_set(name: str) -> Iterator[None]:
    """Run the kernels with instruction set ``name`` (one of :func:`instruction_sets`)
    inside the block: for tests that compare the variants.

    Parameters
    ----------
    name : str
        One of :func:`instruction_sets`.

    Returns
    -------
    context manager
        The kernels use ``name`` inside the block.

    Raises
    ------
    ValueError
        If this CPU cannot run ``name``.

    Examples
    --------
    >>> from linop.backends import compiled
    >>> A = linop.Convolution(np.ones((3, 3, 2, 4), np.float32), (8, 8, 2))
    >>> for name in compiled.instruction_sets():
    ...     with compiled.using_instruction_set(name):
    ...         y = A.apply(np.ones((8, 8, 2), np.float32))
    ...
    >>> A.apply(np.ones((8, 8, 2), np.float32))[0, 0]
    array([18., 18., 18., 18.], dtype=float32)
    """
    global _forced
    if name not in instruction_sets():
        raise ValueError(f"instruction set must be one of {instruction_sets()!r} on this machine; got {name!r}")
    previous, _forced = _forced, _INSTRUCTION_SETS.index(name)
    try:
        yield
    finally:
        _forced = previous


def available(dtype: np.dtype | type, geom: ConvGeometry | None = None) -> bool:
    """Whether the compiled kernels can run ``dtype`` (and ``geom``'s number of taps).

    Parameters
    ----------
    dtype : dtype
        The dtype of the data.
    geom : ConvGeometry, optional
        The convolution, whose number of taps the kernels must support.

    Returns
    -------
    bool
        ``True`` when the extension is built, enabled and handles ``dtype``.

    Examples
    --------
    >>> from linop.backends import compiled
    >>> compiled.available(np.float32) == (compiled.instruction_set() is not None)
    True
    >>> compiled.available(np.complex128)
    False
    """
    lib = _library()
    if not ENABLED or lib is None or np.dtype(dtype) not in lib[0]:
        return False
    return geom is None or math.prod(geom.kernel_size) <= lib[2]


def scratch_bytes(geom: ConvGeometry, batch: int, dtype: np.dtype | type, direction: str) -> int:
    """Scratch of one call: none forward; the adjoint's zero-bordered copy of ``y``.

    Parameters
    ----------
    geom : ConvGeometry
        The geometry on the padded lengths.
    batch : int
        The number of samples in the call.
    dtype : dtype
        The dtype of the data.
    direction : {"forward", "adjoint"}
        Which call.

    Returns
    -------
    int
        Bytes of scratch memory the call allocates.

    Examples
    --------
    >>> from linop.backends import compiled
    >>> from linop.geometry import ConvGeometry
    >>> compiled.scratch_bytes(ConvGeometry.build((7,), (3,)), 1, np.float64, "forward")
    0
    """
    if direction == "forward":
        return 0
    shape, _ = _border(geom)
    return batch * math.prod(shape) * geom.out_channels * np.dtype(dtype).itemsize


# -- the call ---------------------------------------------------------------------------------
def _element_strides(a: np.ndarray) -> tuple[int, ...]:
    return tuple(s // a.itemsize for s in a.strides)


def _last_offset(a: np.ndarray) -> int:
    """Element offset of ``a``'s last element from its first (non-negative strides)."""
    return sum((n - 1) * s for n, s in zip(a.shape, _element_strides(a)))


@dataclasses.dataclass(frozen=True)
class _Call:
    """One kernel call: ``dst[dst_lines[l] + p dps + f] (+)= sum_t sum_c
    src[src_lines[l] + taps[t] + p sps + c] w[t, c, f]`` for ``p < n`` (element offsets
    from the arrays' first elements); with ``depthwise``, ``w`` is ``(taps, G)`` and
    ``dst[... + g] (+)= sum_t src[... + g] w[t, g]`` (every channel its own group)."""

    src: np.ndarray
    taps: np.ndarray
    src_lines: np.ndarray
    n: int
    sps: int
    w: np.ndarray  # (taps, c, N), contiguous
    wtr: np.ndarray | None  # (taps, N, c), contiguous, for N <= 4
    dst: np.ndarray
    dst_lines: np.ndarray
    dps: int
    accumulate: bool
    depthwise: bool = False
    columns: int = 0  # N, when the weights' rows are zero-padded past it (0: w.shape[2])
    ranges: np.ndarray | None = None  # (2, taps): tap t reads src only for ranges[0, t] <= p < ranges[1, t]

    def __post_init__(self) -> None:
        """Every element the kernel will touch lies inside ``src`` and ``dst`` (a wrong
        plan raises here instead of reading or writing outside the arrays)."""
        if len(self.src_lines) == 0 or self.n == 0:
            return
        read = self.w.shape[1]  # channels read per pixel: c, or G for depthwise
        written = self.w.shape[1] if self.depthwise else (self.columns or self.w.shape[2])
        taps = np.asarray(self.taps, dtype=np.intp)
        lo, hi = (self.ranges[0], self.ranges[1]) if self.ranges is not None else (0, self.n)
        src_first = int(self.src_lines.min()) + int(np.min(taps + lo * self.sps))
        src_last = int(self.src_lines.max()) + int(np.max(taps + (hi - 1) * self.sps)) + read - 1
        dst_first = int(self.dst_lines.min())
        dst_last = int(self.dst_lines.max()) + (self.n - 1) * self.dps + written - 1
        inside = src_first >= 0 and src_last <= _last_offset(self.src)
        if not (inside and dst_first >= 0 and dst_last <= _last_offset(self.dst)):
            raise AssertionError("compiled kernel plan out of bounds")  # pragma: no cover - layout invariant

    @property
    def work(self) -> float:
        """Multiply-adds, a value read or written counting as :data:`VALUE_WORK` of them."""
        if self.depthwise:
            ntaps, G = self.w.shape
            return len(self.src_lines) * self.n * G * (ntaps + 2 * VALUE_WORK)
        ntaps, kc, N = self.w.shape
        return len(self.src_lines) * self.n * (ntaps * kc * N + VALUE_WORK * (kc + (self.columns or N)))

    def pieces(self, count: int) -> list[Callable[[], None]]:
        """The call cut into about ``count`` pieces of whole lines (or, with fewer lines
        than threads, of pixel ranges of at least 64)."""
        lines = len(self.src_lines)
        if lines == 0 or self.n == 0:
            return []
        if lines >= min(count, parallel.THREADS):
            return [functools.partial(self._call, a, b, 0, self.n) for a, b in parallel.ranges(lines, count)]
        pixel_ranges = parallel.ranges(self.n, min(count, max(1, self.n // 64)))
        return [functools.partial(self._call, 0, lines, a, b) for a, b in pixel_ranges]

    def _call(self, line_lo: int, line_hi: int, p_lo: int, p_hi: int) -> None:
        (shifted, depthwise), isa = _loaded()[0][self.dst.dtype], _isa()
        ntaps = self.w.shape[0]
        src, itemsize = self.src.ctypes.data, self.src.itemsize
        taps = (_PTR * ntaps)(*(src + int(o) * itemsize for o in self.taps))
        s_lines = np.ascontiguousarray(self.src_lines[line_lo:line_hi] + p_lo * self.sps, dtype=np.intp)
        d_lines = np.ascontiguousarray(self.dst_lines[line_lo:line_hi] + p_lo * self.dps, dtype=np.intp)
        head = (isa, line_hi - line_lo, s_lines.ctypes.data, d_lines.ctypes.data, p_hi - p_lo, taps, ntaps)
        tail = (self.sps, self.dst.ctypes.data, self.dps, int(self.accumulate))
        if self.depthwise:
            status = depthwise(*head, self.w.ctypes.data, self.w.shape[1], *tail)
        else:
            wtr = self.wtr.ctypes.data if self.wtr is not None else None
            kc, Nw = self.w.shape[1:]
            lo = hi = None
            if self.ranges is not None:  # in the piece's own pixel numbering
                lo, hi = (np.ascontiguousarray(r - p_lo, dtype=np.intp) for r in self.ranges)
            status = shifted(
                *head,
                kc,
                self.w.ctypes.data,
                wtr,
                self.columns or Nw,
                Nw,
                *tail,
                lo.ctypes.data if lo is not None else None,
                hi.ctypes.data if hi is not None else None,
            )
        if status != 0:  # pragma: no cover - arguments are checked by the callers
            reason = "an instruction set this CPU lacks" if status == -2 else "impossible sizes"
            raise RuntimeError(f"compiled kernel rejected its arguments: {reason}")


def _run_in_order(pieces: Sequence[Callable[[], None]]) -> None:
    for piece in pieces:
        piece()


def _run(calls: Sequence[_Call]) -> None:
    """Run ``calls`` (with disjoint destinations) on all threads: cut into
    ``PIECES_PER_THREAD`` pieces per thread, each taken by whichever thread is free.

    Calls over the same lines and outputs (the polyphase components and groups of one
    adjoint) are cut alike, and piece ``i`` of every call runs as one task: one thread
    writes all components of a region while it is in its cache."""
    work = sum(call.work for call in calls)
    threads = parallel.parts_for(max((len(c.src_lines) * c.n for c in calls), default=0), work)
    count = PIECES_PER_THREAD * threads if threads > 1 else 1
    if len({(len(c.src_lines), c.n) for c in calls}) == 1:
        cut = [call.pieces(count) for call in calls]
        tasks: list[Callable[[], None]] = [functools.partial(_run_in_order, group) for group in zip(*cut)]
    else:
        share = max(work / count, 1.0)
        tasks = [p for call in calls for p in call.pieces(max(1, round(call.work / share)))]
    parallel.balanced(tasks)


def _read_only(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


def _strided_steps(geom: ConvGeometry, strides: Sequence[int]) -> tuple[int, ...]:
    """Element steps, in an array of element ``strides``, between consecutive samples and
    between consecutive stride-spaced rows of the lead axes: ``(strides[0], s_1 strides[1],
    ..., s_{d-1} strides[d-1])``."""
    return (strides[0],) + tuple(a.stride * st for a, st in zip(geom.axes[:-1], strides[1:-2]))


def _line_offsets(counts: Sequence[int], steps: Sequence[int]) -> np.ndarray:
    """Flattened ``sum_a i_a steps[a]`` over the grid ``i_a < counts[a]`` (C order)."""
    offsets = np.zeros((), dtype=np.intp)
    for count, step in zip(counts, steps):
        offsets = np.add.outer(offsets, np.arange(count, dtype=np.intp) * step)
    return offsets.reshape(-1)


def _whole_vectors(w: np.ndarray) -> np.ndarray:
    """``w`` ``(taps, c, N)`` as a contiguous array with zero columns up to whole vectors of
    the kernels (one input and one output channel, a scalar path, stays as it is)."""
    taps, c, N = w.shape
    lanes = vector_lanes(w.dtype)
    width = N if (c == 1 and N == 1) else -(-N // lanes) * lanes
    if width == N:
        return np.ascontiguousarray(w)
    out = np.zeros((taps, c, width), dtype=w.dtype)
    out[:, :, :N] = w
    return out


def _group_kernels(w: np.ndarray, geom: ConvGeometry, g: int) -> np.ndarray:
    """``w[..., g o:(g+1) o]`` as ``(taps, c, o)``."""
    o = geom.out_per_group
    return w.reshape(-1, geom.in_per_group, geom.out_channels)[:, :, g * o : (g + 1) * o]


def _contiguous_channels(a: np.ndarray) -> np.ndarray:
    return a if a.strides[-1] == a.itemsize else np.ascontiguousarray(a)


# -- forward -------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=256)
def _forward_plan(geom: ConvGeometry, batch: int, xs: tuple[int, ...], ys: tuple[int, ...]) -> tuple[np.ndarray, ...]:
    """``(src_lines, dst_lines, taps)`` of the forward for element strides ``xs`` (input)
    and ``ys`` (output): output line ``(b, j_1..j_{d-1})`` reads padded input
    ``(b, s j, 0)`` and writes output ``(b, j, 0)``; tap ``t`` adds ``(d_1 t_1, ..., d_d t_d)``."""
    axes = geom.axes
    src_lines = _line_offsets((batch,) + geom.output_size[:-1], _strided_steps(geom, xs))
    dst_lines = _line_offsets((batch,) + geom.output_size[:-1], ys[:-2])
    taps = _line_offsets(geom.kernel_size, tuple(a.dilation * st for a, st in zip(axes, xs[1:-1])))
    return _read_only(src_lines), _read_only(dst_lines), _read_only(taps)


def correlate(xp: np.ndarray, w: np.ndarray, geom: ConvGeometry, out: np.ndarray) -> None:
    """Write the strided, dilated, grouped correlation of the padded batch ``xp``
    ``(B, P..., c_in)`` with ``w`` ``(k..., c_in/G, c_out)`` into ``out`` ``(B, m..., c_out)``.

    ``out`` may be a strided view whose channels are contiguous.

    Parameters
    ----------
    xp : ndarray
        The padded batch, ``(B, P..., c_in)``, C-contiguous, float32 or float64.
    w : ndarray
        The kernel ``(k..., c_in/G, c_out)``, same dtype.
    geom : ConvGeometry
        The geometry (strides, dilations, groups) on the padded lengths.
    out : ndarray
        Where the result goes, ``(B, m..., c_out)``.

    Returns
    -------
    None
        The result is written into ``out``.

    Raises
    ------
    ValueError
        If an array's shape, dtype or layout does not match ``geom`` (the call would read or
        write outside its arrays).

    Examples
    --------
    >>> from linop.backends import compiled
    >>> from linop.geometry import ConvGeometry
    >>> geom = ConvGeometry.build((7,), (3,), stride=2)
    >>> xp = np.arange(7.0).reshape(1, 7, 1)
    >>> out = np.zeros((1, 3, 1))
    >>> compiled.correlate(xp, np.ones((3, 1, 1)), geom, out)   # needs the built extension
    >>> out[0, :, 0]
    array([ 3.,  9., 15.])
    """
    xp = _contiguous_channels(xp)
    if out.strides[-1] != out.itemsize:  # pragma: no cover - results are allocated C-contiguous
        raise ValueError("out must have contiguous channels")
    axes, c, o, G = geom.axes, geom.in_per_group, geom.out_per_group, geom.groups
    xs, ys = _element_strides(xp), _element_strides(out)
    src_lines, dst_lines, taps = _forward_plan(geom, xp.shape[0], xs, ys)
    n, sps = axes[-1].output_size, axes[-1].stride * xs[-2]
    if G > 1 and c == 1 and o == 1:  # depthwise: one call, vectors along the channels
        wd = np.ascontiguousarray(w.reshape(-1, G))
        _run([_Call(xp, taps, src_lines, n, sps, wd, None, out, dst_lines, ys[-2], False, depthwise=True)])
        return
    calls = []
    for g in range(G):
        wg = _group_kernels(w, geom, g)
        wtr = np.ascontiguousarray(wg.transpose(0, 2, 1)) if o <= 4 else None
        calls.append(
            _Call(
                xp,
                taps + g * c,
                src_lines,
                n,
                sps,
                _whole_vectors(wg),
                wtr,
                out[..., g * o : (g + 1) * o],
                dst_lines,
                ys[-2],
                False,
                columns=o,
            )
        )
    _run(calls)


# -- adjoint -----------------------------------------------------------------------------------
@functools.lru_cache(maxsize=256)
def _border(geom: ConvGeometry) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Shape of the zero-bordered ``y`` (spatial axes) and its front border per axis:
    ``floor(d (k-1) / s)`` before (the largest ``a_t``) and ``ceil(P / s) - m`` after."""
    front = tuple(ax.polyphase_tap(ax.k - 1)[1] for ax in geom.axes)
    back = tuple(max(0, ax.phase_length - ax.output_size) for ax in geom.axes)
    shape = tuple(f + ax.output_size + b for f, ax, b in zip(front, geom.axes, back))
    return shape, front


def _bordered(y: np.ndarray, geom: ConvGeometry) -> np.ndarray:
    """``y`` inside its zero border (:func:`_border`): the border slabs zeroed, the interior
    copied (on all threads)."""
    shape, front = _border(geom)
    if shape == geom.output_size:
        return _contiguous_channels(y)
    out = workspace.scratch("bordered", (y.shape[0],) + shape + (y.shape[-1],), y.dtype)
    for a, (f, m) in enumerate(zip(front, geom.output_size)):
        lead = (slice(None),) * (a + 1)
        out[lead + (slice(0, f),)] = 0
        out[lead + (slice(f + m, None),)] = 0
    parallel.copy(out[(slice(None),) + tuple(slice(f, f + m) for f, m in zip(front, geom.output_size))], y)
    return out


@dataclasses.dataclass(frozen=True)
class _Component:
    """A polyphase component of the padded input in the adjoint (or a group of its lines):
    one kernel call per group of channels."""

    taps: tuple[np.ndarray, ...] | None  # index of the taps that reach it (None: no tap does)
    reads: np.ndarray  # per tap: offset of y (bordered) read by the component's first sample
    src_lines: np.ndarray
    dst_lines: np.ndarray
    n: int  # samples per line
    stored: tuple[slice, ...]  # the component's samples in the result (spatial axes)
    ranges: np.ndarray | None = None  # (2, taps): the samples of a line each tap reads y for


@dataclasses.dataclass(frozen=True)
class _Part:
    """The samples of polyphase component ``phase`` that the adjoint computes (per axis
    ``lo <= u < P - hi`` of ``crop``): ``counts`` of them from ``first`` on, ``v0 = (first -
    phi) / s``; the ``taps`` that reach them (``d t = s a_t + phi``) and where they are
    stored in the result (``stored``, spatial axes)."""

    phase: tuple[int, ...]
    first: tuple[int, ...]
    counts: tuple[int, ...]
    v0: tuple[int, ...]
    taps: tuple[tuple[int, ...], ...]
    stored: tuple[slice, ...]


def _parts(geom: ConvGeometry, crop: tuple[tuple[int, int], ...]) -> Iterator[_Part]:
    """The non-empty polyphase components of the (cropped) padded input."""
    axes = geom.axes
    for phase in np.ndindex(*(a.stride for a in axes)):
        first = tuple(lo + (phi - lo) % a.stride for a, phi, (lo, _) in zip(axes, phase, crop))
        counts = tuple(max(0, -(-(a.padded_size - hi - u0) // a.stride)) for a, u0, (_, hi) in zip(axes, first, crop))
        if 0 in counts:
            continue
        v0 = tuple((u0 - phi) // a.stride for a, u0, phi in zip(axes, first, phase))
        taps = tuple(
            t
            for t in np.ndindex(*geom.kernel_size)
            if all(a.polyphase_tap(ti)[0] == phi for a, ti, phi in zip(axes, t, phase))
        )
        stored = tuple(slice(u0 - lo, None, a.stride) for a, u0, (lo, _) in zip(axes, first, crop))
        yield _Part(tuple(phase), first, counts, v0, taps, stored)


@functools.lru_cache(maxsize=256)
def _adjoint_plan(
    geom: ConvGeometry, batch: int, ys: tuple[int, ...], xs: tuple[int, ...], crop: tuple[tuple[int, int], ...]
) -> tuple[_Component, ...]:
    """The components of the adjoint for element strides ``ys`` (bordered ``y``) and ``xs``
    (result), computing the padded samples ``lo <= u < P - hi`` per axis (``crop``) only.

    Padded sample ``u = s v + phi`` of component ``phi`` receives ``W[t]^T y[v - a_t]`` from
    the taps with ``d t = s a_t + phi``; it is stored at ``u - lo``. The first stored sample
    of component ``phi`` is ``u_0 = lo + ((phi - lo) mod s)``, ``v_0 = (u_0 - phi) / s``."""
    axes = geom.axes
    _, front = _border(geom)
    components = []
    for part in _parts(geom, crop):
        reads = [
            sum((f + v - a.polyphase_tap(ti)[1]) * st for a, ti, f, v, st in zip(axes, t, front, part.v0, ys[1:-1]))
            for t in part.taps
        ]
        dst_lines = _line_offsets((batch,) + part.counts[:-1], _strided_steps(geom, xs))
        dst_lines = dst_lines + sum((u0 - lo) * st for u0, (lo, _), st in zip(part.first, crop, xs[1:-1]))
        src_lines = _line_offsets((batch,) + part.counts[:-1], ys[:-2])
        index = tuple(_read_only(np.array(v, dtype=np.intp)) for v in zip(*part.taps)) if part.taps else None
        components.append(
            _Component(
                index,
                _read_only(np.array(reads, dtype=np.intp)),
                _read_only(src_lines),
                _read_only(dst_lines),
                part.counts[-1],
                part.stored,
            )
        )
    return tuple(components)


def _tap_segments(lo: np.ndarray, hi: np.ndarray, count: int) -> list[tuple[int, int, np.ndarray]]:
    """``[start, stop)`` runs of ``k < count`` over which the same taps are valid
    (``lo <= k < hi``), each with its boolean tap mask."""
    cuts = sorted({0, count} | {int(v) for v in np.concatenate([lo, hi]) if 0 < v < count})
    return [(a, b, (lo <= a) & (a < hi)) for a, b in zip(cuts[:-1], cuts[1:])]


@functools.lru_cache(maxsize=256)
def _adjoint_plan_unbordered(
    geom: ConvGeometry, batch: int, ys: tuple[int, ...], xs: tuple[int, ...], crop: tuple[tuple[int, int], ...]
) -> tuple[_Component, ...]:
    """:func:`_adjoint_plan` reading ``y`` itself (no zero border), for the one-channel
    kernel (a long 1-D signal is bound by memory, and the border copy cost it 10%; for
    the few-column kernel the bordered copy measured faster). The lines of each component
    are grouped by the taps whose rows lie
    inside ``y`` (one group per run of lines with the same taps), and along the last axis
    each tap gets the range of samples for which it reads inside ``y``; lines that no tap
    reaches are zeros."""
    axes = geom.axes
    components = []
    empty = _read_only(np.zeros(0, dtype=np.intp))
    for part in _parts(geom, crop):
        first, counts, v0, taps, stored = part.first, part.counts, part.v0, part.taps, part.stored
        if not taps:  # no tap reaches this component: zeros
            components.append(_Component(None, empty, empty, empty, counts[-1], stored))
            continue
        shift = np.array([[a.polyphase_tap(ti)[1] for a, ti in zip(axes, t)] for t in taps], dtype=np.intp)  # a_t
        # tap t reads y[v - a_t] on axis a: inside for k in [a_t - v0, m + a_t - v0)
        lo = shift - np.array(v0, dtype=np.intp)
        hi = lo + np.array(geom.output_size, dtype=np.intp)
        reads_all = -(shift * np.array(ys[1:-1], dtype=np.intp)).sum(axis=1)
        per_axis = [_tap_segments(lo[:, a], hi[:, a], counts[a]) for a in range(len(axes) - 1)]
        for cell in itertools.product(*per_axis):
            mask = np.ones(len(taps), dtype=bool)
            for _, _, valid in cell:
                mask &= valid
            mask &= lo[:, -1] < np.minimum(hi[:, -1], counts[-1])  # reads y somewhere on the line
            mask &= hi[:, -1] > 0
            starts = [a for a, _, _ in cell]
            sizes = [b - a for a, b, _ in cell]
            if not mask.any():  # no tap reaches these lines: zeros
                lines = tuple(
                    slice(u0 + a.stride * k - clo, u0 + a.stride * (k + size - 1) - clo + 1, a.stride)
                    for a, u0, k, size, (clo, _) in zip(axes[:-1], first[:-1], starts, sizes, crop[:-1])
                )
                components.append(_Component(None, empty, empty, empty, counts[-1], lines + stored[-1:]))
                continue
            src_lines = (
                _line_offsets((batch,) + tuple(sizes), ys[:-2])
                + sum((v + k) * st for v, k, st in zip(v0[:-1], starts, ys[1:-2]))
                + v0[-1] * ys[-2]
            )
            dst_lines = _line_offsets((batch,) + tuple(sizes), _strided_steps(geom, xs))
            dst_lines = dst_lines + sum(
                (u0 + a.stride * k - clo) * st
                for a, u0, k, (clo, _), st in zip(axes[:-1], first[:-1], starts, crop[:-1], xs[1:-2])
            )
            dst_lines = dst_lines + (first[-1] - crop[-1][0]) * xs[-2]
            chosen = [t for t, keep in zip(taps, mask) if keep]
            index = tuple(_read_only(np.array(v, dtype=np.intp)) for v in zip(*chosen))
            ranges = np.stack([np.clip(lo[mask, -1], 0, counts[-1]), np.clip(hi[mask, -1], 0, counts[-1])])
            components.append(
                _Component(
                    index,
                    _read_only(reads_all[mask].copy()),
                    _read_only(src_lines),
                    _read_only(dst_lines),
                    counts[-1],
                    stored,
                    _read_only(ranges),
                )
            )
    return tuple(components)


def correlate_adjoint(
    y: np.ndarray,
    w: np.ndarray,
    geom: ConvGeometry,
    out: np.ndarray,
    accumulate: bool = True,
    crop: Sequence[tuple[int, int]] | None = None,
) -> None:
    """Add the transpose of :func:`correlate` applied to ``y`` ``(B, m..., c_out)`` into
    ``out`` (a view whose channels are contiguous); with ``accumulate=False``, write it
    there (whatever ``out`` held is overwritten).

    ``out`` is the padded input ``(B, P..., c_in)``, or with ``crop = ((lo, hi), ...)`` its
    part ``lo <= u < P - hi`` on every axis (the adjoint of zero padding: the rest is
    never computed).

    Parameters
    ----------
    y : ndarray
        The batch of outputs, ``(B, m..., c_out)``.
    w : ndarray
        The kernel ``(k..., c_in/G, c_out)``, same dtype.
    geom : ConvGeometry
        The geometry on the padded lengths.
    out : ndarray
        The padded input ``(B, P..., c_in)`` (or its cropped part, see ``crop``).
    accumulate : bool, default True
        Add into ``out`` (``True``) or overwrite it (``False``).
    crop : sequence of (int, int), optional
        ``(lo, hi)`` per axis: ``out`` holds only ``lo <= u < P - hi``.

    Returns
    -------
    None
        The result is written into ``out``.

    Raises
    ------
    ValueError
        If an array's shape, dtype or layout does not match ``geom``.

    Examples
    --------
    >>> from linop.backends import compiled
    >>> from linop.geometry import ConvGeometry
    >>> geom = ConvGeometry.build((7,), (3,), stride=2)
    >>> out = np.zeros((1, 7, 1))
    >>> compiled.correlate_adjoint(np.ones((1, 3, 1)), np.ones((3, 1, 1)), geom, out)
    >>> out[0, :, 0]
    array([1., 1., 2., 1., 2., 1., 1.])
    """
    if out.strides[-1] != out.itemsize:  # pragma: no cover - results are allocated C-contiguous
        raise ValueError("out must have contiguous channels")
    axes, c, o, G = geom.axes, geom.in_per_group, geom.out_per_group, geom.groups
    crop = tuple((int(lo), int(hi)) for lo, hi in crop) if crop is not None else ((0, 0),) * len(axes)
    xs = _element_strides(out)
    if G == 1 and c == 1 and o == 1:
        # the one-channel kernel takes each tap's range of samples: y needs no border
        yb = _contiguous_channels(y)
        ys = _element_strides(yb)
        plan = _adjoint_plan_unbordered(geom, y.shape[0], ys, xs, crop)
    else:
        yb = _bordered(y, geom)
        ys = _element_strides(yb)
        plan = _adjoint_plan(geom, y.shape[0], ys, xs, crop)
    kernels = w.reshape(geom.kernel_size + (c, geom.out_channels))
    calls = []
    for comp in plan:
        if comp.taps is None:  # no tap reaches these samples (a stride larger than the kernel's span)
            if not accumulate:
                out[(slice(None),) + comp.stored] = 0
            continue
        selected = kernels[comp.taps]  # (taps, c, c_out)
        dps = axes[-1].stride * xs[-2]
        if G > 1 and c == 1 and o == 1:  # depthwise
            wd = np.ascontiguousarray(selected.reshape(len(comp.reads), G))
            calls.append(
                _Call(
                    yb,
                    comp.reads,
                    comp.src_lines,
                    comp.n,
                    ys[-2],
                    wd,
                    None,
                    out,
                    comp.dst_lines,
                    dps,
                    accumulate,
                    depthwise=True,
                )
            )
            continue
        for g in range(G):
            wtr = np.ascontiguousarray(selected[:, :, g * o : (g + 1) * o])  # (taps, c, o)
            wt = _whole_vectors(wtr.transpose(0, 2, 1))  # (taps, o, c padded)
            calls.append(
                _Call(
                    yb,
                    comp.reads + g * o,
                    comp.src_lines,
                    comp.n,
                    ys[-2],
                    wt,
                    wtr if c <= 4 else None,
                    out[..., g * c : (g + 1) * c],
                    comp.dst_lines,
                    dps,
                    accumulate,
                    columns=c,
                    ranges=comp.ranges,
                )
            )
    _run(calls)
