"""Arrays whose values can never change: how operators keep their kernels and fixed images.

An operator applies the same kernel thousands of times inside an iterative solver, so
the backends may cache transforms of it (:mod:`linop.backends.cache`). That is safe only
for memory nobody can write: a read-only NumPy array that owns its memory is not enough
(``setflags(write=True)`` makes it writeable again). :func:`immutable` copies an array into
an immutable ``bytes`` object, which NumPy refuses to make writeable;
:func:`is_immutable` recognises such arrays and their views.
"""

from __future__ import annotations

import numpy as np

__all__ = ["immutable", "is_immutable"]


def immutable(array: np.ndarray) -> np.ndarray:
    """A C-contiguous copy of ``array`` whose values can never change.

    Its memory is an immutable ``bytes`` object, so NumPy refuses to make it (or any
    view of it) writeable again: ``is_immutable(immutable(a))`` holds for the copy's whole
    life. Operators keep their kernels and fixed images in such copies.

    Parameters
    ----------
    array : ndarray
        Any array; it is copied, never changed.

    Returns
    -------
    ndarray
        The read-only copy.

    Examples
    --------
    >>> from linop.immutable import immutable, is_immutable
    >>> a = immutable(np.arange(3.0))
    >>> a.flags.writeable, is_immutable(a)
    (False, True)
    """
    contiguous = np.ascontiguousarray(array)
    return np.frombuffer(contiguous.tobytes(), dtype=contiguous.dtype).reshape(contiguous.shape)


def is_immutable(array: np.ndarray) -> bool:
    """Whether ``array``'s values can never change.

    True when it and all its bases are read-only arrays and the memory belongs to an
    immutable ``bytes`` object (NumPy refuses to make such an array writeable again).

    Parameters
    ----------
    array : ndarray
        The array to test.

    Returns
    -------
    bool
        ``True`` for :func:`immutable` copies and their views.

    Examples
    --------
    >>> from linop.immutable import immutable, is_immutable
    >>> a = np.arange(3.0)
    >>> a.setflags(write=False)
    >>> is_immutable(a)  # setflags(write=True) would make it writeable again
    False
    >>> is_immutable(immutable(a))
    True
    """
    a: object = array
    while isinstance(a, np.ndarray):
        if a.flags.writeable:
            return False
        a = a.base
    return type(a) is bytes
