"""Matrix products on strided views, accumulated in place: BLAS ``gemm`` reached through SciPy.

The convolution backends multiply *views* of the input: a row step ``lda`` larger than the
row length (a stride, a subset of channels, a polyphase component), and they add many such
products into one output block. NumPy's ``matmul`` accepts the strided views but cannot
accumulate (``beta = 1``), and SciPy's f2py wrappers copy every non-contiguous operand, so
this module calls the ``?gemm`` that SciPy exports for Cython
(:mod:`scipy.linalg.cython_blas`) directly with the views' pointers and leading dimensions:

.. math::

    C \\leftarrow A B + \\beta C, \\qquad \\beta \\in \\{0, 1\\}

for row- or column-major views ``A (M x K)``, ``B (K x N)``, ``C (M x N)`` that have one unit
stride each. Everything else (a view with no unit stride, a leading dimension BLAS rejects,
an unsupported dtype, or a SciPy without the Cython exports) falls back to NumPy with the
same result, so callers never need to know which path ran.

The foreign call releases the GIL, as NumPy's does, so several Python threads can run
products at once; :func:`single_threaded` makes OpenBLAS run each of them on one core
(the backends split the work into blocks, one per core, which scales better than
OpenBLAS's own threading on the small products of a convolution).
"""

from __future__ import annotations

import contextlib
import ctypes
import threading
from collections.abc import Callable, Iterator

import numpy as np

__all__ = ["blas_available", "gemm", "single_threaded"]

_INT_MAX = 2**31 - 1
_TYPE_PREFIX: dict[np.dtype, str] = {
    np.dtype(np.float32): "s",
    np.dtype(np.float64): "d",
    np.dtype(np.complex64): "c",
    np.dtype(np.complex128): "z",
}


def _load_gemm() -> dict[np.dtype, Callable[..., None]]:
    """The ``?gemm`` function pointers that SciPy exports, as ctypes functions (empty if absent)."""
    try:
        from scipy.linalg import cython_blas
    except ImportError:  # pragma: no cover - SciPy without the Cython BLAS
        return {}
    capsules = getattr(cython_blas, "__pyx_capi__", {})
    capsule_name = ctypes.pythonapi.PyCapsule_GetName
    capsule_name.restype = ctypes.c_char_p
    capsule_name.argtypes = [ctypes.py_object]
    capsule_pointer = ctypes.pythonapi.PyCapsule_GetPointer
    capsule_pointer.restype = ctypes.c_void_p
    capsule_pointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
    # gemm(transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc): Fortran, every
    # argument by reference. ctypes releases the GIL around the call.
    prototype = ctypes.CFUNCTYPE(None, *([ctypes.c_void_p] * 13))
    functions: dict[np.dtype, Callable[..., None]] = {}
    for dtype, prefix in _TYPE_PREFIX.items():
        capsule = capsules.get(prefix + "gemm")
        if capsule is None:
            continue
        try:
            address = capsule_pointer(capsule, capsule_name(capsule))
        except (ValueError, TypeError):  # pragma: no cover - unexpected capsule
            continue
        if address:
            functions[dtype] = prototype(address)
    return functions


def _load_thread_control() -> tuple[Callable[[], int], Callable[[int], None]] | None:
    """OpenBLAS's ``get/set_num_threads`` of the library behind :mod:`scipy.linalg.cython_blas`."""
    try:
        from scipy.linalg import cython_blas

        library = ctypes.CDLL(cython_blas.__file__)  # symbol lookup also searches its dependencies
    except (ImportError, OSError):  # pragma: no cover - unusual SciPy builds
        return None
    for prefix in ("scipy_openblas", "openblas"):
        for suffix in ("", "64_"):
            try:
                get = getattr(library, f"{prefix}_get_num_threads{suffix}")
                set_ = getattr(library, f"{prefix}_set_num_threads{suffix}")
            except AttributeError:
                continue
            get.restype = ctypes.c_int
            get.argtypes = []
            set_.restype = None
            set_.argtypes = [ctypes.c_int]
            return get, set_
    return None  # pragma: no cover - not OpenBLAS (MKL, Accelerate, ...)


_GEMM = _load_gemm()
_THREADS = _load_thread_control()
_thread_lock = threading.Lock()
_thread_users = 0
_saved_threads = 1
_NO_TRANSPOSE = ctypes.c_char(b"N")
_TRANSPOSE = ctypes.c_char(b"T")
_NO_TRANSPOSE_ADDRESS = ctypes.addressof(_NO_TRANSPOSE)
_TRANSPOSE_ADDRESS = ctypes.addressof(_TRANSPOSE)

#: Set to False to force the NumPy fallback (the tests run both paths).
use_blas: bool = True

# alpha = 1 and beta in {0, 1} per dtype, made once: (array kept alive, address of 1, address of 0)
_SCALARS: dict[np.dtype, tuple[np.ndarray, int, int]] = {}
for _dtype in _TYPE_PREFIX:
    _values = np.array([1, 0], dtype=_dtype)
    _SCALARS[_dtype] = (_values, _values.ctypes.data, _values.ctypes.data + _values.itemsize)
_arguments = threading.local()  # per thread: the integer arguments m, n, k, lda, ldb, ldc


def _integer_arguments() -> tuple[ctypes.Array[ctypes.c_int32], int]:
    """This thread's buffer for the six integer arguments of ``?gemm``, and its address."""
    buffer = getattr(_arguments, "buffer", None)
    if buffer is None:
        buffer = _arguments.buffer = (ctypes.c_int32 * 6)()
        _arguments.address = ctypes.addressof(buffer)
    return buffer, _arguments.address


@contextlib.contextmanager
def single_threaded() -> Iterator[bool]:
    """Run OpenBLAS's products on one thread each inside the block (re-entrant, thread-safe).

    Yields whether that was possible (False for a BLAS other than OpenBLAS, whose own
    threading then stays in charge: callers should not add threads of their own).
    """
    global _thread_users, _saved_threads
    if _THREADS is None or not use_blas:
        yield False
        return
    get, set_ = _THREADS
    with _thread_lock:
        if _thread_users == 0:
            _saved_threads = get()
            set_(1)
        _thread_users += 1
    try:
        yield True
    finally:
        with _thread_lock:
            _thread_users -= 1
            if _thread_users == 0:
                set_(_saved_threads)


def blas_available(dtype: np.dtype | type) -> bool:
    """Whether :func:`gemm` calls BLAS directly for this dtype."""
    return use_blas and np.dtype(dtype) in _GEMM


def _column_major(x: np.ndarray) -> tuple[bool, int] | None:
    """``(transposed, ld)`` describing ``x`` as a column-major BLAS operand, or ``None``.

    ``transposed=False``: ``x`` itself is column-major with leading dimension ``ld``;
    ``transposed=True``: ``x.T`` is (``x`` is row-major), to be used with ``'T'``.
    """
    rows, cols = x.shape
    size = x.itemsize
    s_row, s_col = x.strides
    if not x.flags.aligned:
        return None
    # column-major: unit step down a column
    if (rows == 1 or s_row == size) and s_col % size == 0:
        ld = s_col // size if cols > 1 else rows
        if ld >= max(rows, 1) and ld <= _INT_MAX:
            return False, max(ld, 1)
    # row-major: unit step along a row
    if (cols == 1 or s_col == size) and s_row % size == 0:
        ld = s_row // size if rows > 1 else cols
        if ld >= max(cols, 1) and ld <= _INT_MAX:
            return True, max(ld, 1)
    return None


def _numpy_gemm(a: np.ndarray, b: np.ndarray, c: np.ndarray, accumulate: bool) -> None:
    if accumulate:
        c += a @ b
    else:
        np.matmul(a, b, out=c)


def gemm(a: np.ndarray, b: np.ndarray, c: np.ndarray, *, accumulate: bool) -> None:
    """``c[...] = a @ b``, or ``c += a @ b`` with ``accumulate=True``, writing into the view ``c``.

    Parameters
    ----------
    a, b, c : numpy.ndarray
        2-D arrays or views of one dtype (float32, float64, complex64 or complex128),
        shapes ``(M, K)``, ``(K, N)``, ``(M, N)``. ``c`` must not overlap ``a`` or ``b``.
    accumulate : bool
        Add the product to ``c`` (BLAS ``beta = 1``) instead of overwriting it.

    Raises
    ------
    ValueError
        If the shapes do not chain.
    """
    if a.ndim != 2 or b.ndim != 2 or c.ndim != 2 or a.shape[1] != b.shape[0] or c.shape != (a.shape[0], b.shape[1]):
        raise ValueError(f"gemm needs shapes (M, K), (K, N), (M, N); got {a.shape}, {b.shape}, {c.shape}")
    m, k = a.shape
    n = b.shape[1]
    if m == 0 or n == 0:
        return
    if k == 0:
        if not accumulate:
            c[...] = 0
        return
    function = _GEMM.get(c.dtype) if use_blas else None
    if function is None or a.dtype != c.dtype or b.dtype != c.dtype or max(m, n, k) > _INT_MAX:
        _numpy_gemm(a, b, c, accumulate)
        return
    c_layout = _column_major(c)
    if c_layout is None:
        _numpy_gemm(a, b, c, accumulate)
        return
    if c_layout[0]:
        # c is row-major: compute c.T = b.T @ a.T, whose result is column-major
        a, b, c = b.T, a.T, c.T
        m, n = n, m
        ldc = c_layout[1]
    else:
        ldc = c_layout[1]
    a_layout = _column_major(a)
    if a_layout is None:
        a = np.asfortranarray(a)
        a_layout = (False, max(m, 1))
    b_layout = _column_major(b)
    if b_layout is None:
        b = np.asfortranarray(b)
        b_layout = (False, max(k, 1))
    dims, base = _integer_arguments()
    dims[:] = [m, n, k, a_layout[1], b_layout[1], ldc]
    _, one, zero = _SCALARS[c.dtype]
    function(
        _TRANSPOSE_ADDRESS if a_layout[0] else _NO_TRANSPOSE_ADDRESS,
        _TRANSPOSE_ADDRESS if b_layout[0] else _NO_TRANSPOSE_ADDRESS,
        base,
        base + 4,
        base + 8,
        one,
        a.ctypes.data,
        base + 12,
        b.ctypes.data,
        base + 16,
        one if accumulate else zero,
        c.ctypes.data,
        base + 20,
    )
