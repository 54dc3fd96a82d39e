"""Cached transforms of operands that cannot change: the kernel spectra of the FFT backend.

An operator applies the same kernel thousands of times inside an iterative solver; its
Fourier transform (or any other preparation of a fixed operand) is computed once and
kept here. An array's transforms are cached only while the array is *immutable*: it and
every array it is a view of are read-only, and the memory at the bottom is an immutable
``bytes`` object (:func:`linop.immutable.immutable` makes such copies; linop's operators
keep their kernels and fixed images in them). A read-only array that owns its memory is
*not* immutable: ``setflags(write=True)`` makes it writeable again, its contents can change under
the same ``id``, and a cache keyed on it could return the result for the old contents.
So a user's arrays, whatever their flags, are never cached. An entry is dropped when its
array is garbage collected, and the least recently used entries are dropped when the
cache holds more than :func:`linop.backends.get_workspace_limit` bytes.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

import numpy as np

from ..deprecation import moved_names
from ..immutable import is_immutable
from .workspace import get_workspace_limit

__all__ = ["cached", "cached_view", "clear", "nbytes"]

#: Former names: ``frozen`` is :func:`linop.immutable.is_immutable`, ``immutable`` moved to :mod:`linop.immutable`.
__getattr__ = moved_names(
    __name__, {"frozen": "linop.immutable:is_immutable", "immutable": "linop.immutable:immutable"}
)

_entries: OrderedDict[tuple[int, Hashable], tuple[weakref.ref, Any, int]] = OrderedDict()
_total = 0
_lock = threading.RLock()


def _size(value: Any) -> int:
    if isinstance(value, np.ndarray):
        return value.nbytes
    if isinstance(value, (tuple, list)):
        return sum(_size(v) for v in value)
    return 0


def _drop(key: tuple[int, Hashable]) -> None:
    global _total
    with _lock:
        entry = _entries.pop(key, None)
        if entry is not None:
            _total -= entry[2]


def cached(array: np.ndarray, tag: Hashable, compute: Callable[[], Any]) -> Any:
    """``compute()``, remembered for (``array``, ``tag``) while ``array`` is immutable and alive."""
    global _total
    if not is_immutable(array):
        return compute()
    key = (id(array), tag)
    with _lock:
        entry = _entries.get(key)
        if entry is not None and entry[0]() is array:
            _entries.move_to_end(key)
            return entry[1]
    value = compute()  # outside the lock: other threads keep using the cache meanwhile
    size = _size(value)
    limit = get_workspace_limit()
    if size > limit:
        return value
    with _lock:
        _drop(key)
        _entries[key] = (weakref.ref(array), value, size)
        _total += size
        weakref.finalize(array, _drop, key)
        while _total > limit and _entries:
            _drop(next(iter(_entries)))
    return value


def cached_view(view: np.ndarray, tag: Hashable, compute: Callable[[], Any]) -> Any:
    """:func:`cached` for a view of an immutable array: keyed by the array that owns the memory
    and by where the view lies in it, so that a fresh view of the same data (a new object
    at every call) finds the entry."""
    if not is_immutable(view):
        return compute()
    root = view
    while isinstance(root.base, np.ndarray):
        root = root.base
    offset = view.__array_interface__["data"][0] - root.__array_interface__["data"][0]
    return cached(root, (tag, offset, view.shape, view.strides, view.dtype.str), compute)


def clear() -> None:
    """Forget every cached transform."""
    global _total
    with _lock:
        _entries.clear()
        _total = 0


def nbytes() -> int:
    """Bytes held by the cache."""
    return _total
