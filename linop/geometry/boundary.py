"""Boundary modes: what the samples beyond an axis's ends are, and how an index there folds back.

The modes have the names of :func:`numpy.pad` (PyTorch's names are aliases):

* ``constant``: zeros;
* ``wrap``: periodic, ``i mod n``;
* ``reflect``: mirrored about the end samples (period ``2(n-1)``);
* ``symmetric``: mirrored including the end samples (period ``2n``);
* ``edge``: the end sample repeated.

:func:`fold_index` maps any index into ``[0, n)`` (``-1`` for a zero), :func:`fold_pieces`
cuts a range of indices into the stretches on which that map is affine (what the symbolic
layer, the formula catalogue and the Dask halo plan need), and :func:`max_pad_width` is
how far beyond the ends each mode is defined.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..deprecation import renamed_keyword

__all__ = [
    "BOUNDARY_ALIASES",
    "BOUNDARY_MODES",
    "FoldPiece",
    "canonical_boundary",
    "fold_index",
    "fold_pieces",
    "max_pad_width",
]

#: Boundary modes, named as in :func:`numpy.pad`.
BOUNDARY_MODES: tuple[str, ...] = ("constant", "wrap", "reflect", "symmetric", "edge")

#: PyTorch's names for the same modes.
BOUNDARY_ALIASES: dict[str, str] = {"zeros": "constant", "circular": "wrap", "replicate": "edge"}


def canonical_boundary(boundary: str) -> str:
    """Return the :func:`numpy.pad` name of a boundary mode (aliases resolved).

    Parameters
    ----------
    boundary : str
        A :func:`numpy.pad` name or a PyTorch alias (``"zeros"``, ``"circular"``, ``"replicate"``).

    Returns
    -------
    str
        The :func:`numpy.pad` name.

    Raises
    ------
    ValueError
        If ``boundary`` is not one of :data:`BOUNDARY_MODES` or :data:`BOUNDARY_ALIASES`.

    Examples
    --------
    >>> from linop.geometry import canonical_boundary
    >>> canonical_boundary("circular"), canonical_boundary("reflect")
    ('wrap', 'reflect')
    """
    if not isinstance(boundary, str):
        raise TypeError(f"boundary must be a string, got {type(boundary).__name__}")
    name = BOUNDARY_ALIASES.get(boundary, boundary)
    if name not in BOUNDARY_MODES:
        allowed = ", ".join(repr(b) for b in BOUNDARY_MODES + tuple(BOUNDARY_ALIASES))
        raise ValueError(f"boundary must be one of {allowed}; got {boundary!r}")
    return name


@renamed_keyword("mode", "boundary")
def max_pad_width(n: int, boundary: str) -> int | None:
    """Widest pad a boundary mode allows on an axis of length ``n`` (``None``: unbounded).

    ``reflect`` mirrors about the edge sample, so it can reach ``n - 1`` samples
    (as in PyTorch); ``symmetric`` mirrors including the edge sample, ``n``
    samples. ``constant``, ``wrap`` and ``edge`` are defined for any width.

    Parameters
    ----------
    n : int
        The axis length.
    boundary : str
        A boundary mode (a :func:`numpy.pad` name).

    Returns
    -------
    int or None
        The widest pad, ``None`` when any width is allowed.

    Examples
    --------
    >>> from linop.geometry import max_pad_width
    >>> max_pad_width(5, "reflect"), max_pad_width(5, "symmetric"), max_pad_width(5, "wrap")
    (4, 5, None)
    """
    if boundary == "reflect":
        return n - 1
    if boundary == "symmetric":
        return n
    return None


@renamed_keyword("mode", "boundary")
def fold_index(i: np.ndarray | int, n: int, boundary: str) -> np.ndarray:
    """Map (possibly out-of-range) indices ``i`` of an axis of length ``n`` into ``[0, n)``.

    ``constant`` returns ``-1`` for indices outside ``[0, n)`` (the value there is zero).
    The other modes follow :func:`numpy.pad`:

    * ``wrap``: ``i mod n``
    * ``reflect``: period ``2(n-1)``, ``r = i mod 2(n-1)``, ``min(r, 2(n-1) - r)``
      (``0`` when ``n == 1``)
    * ``symmetric``: period ``2n``, ``r = i mod 2n``, ``min(r, 2n - 1 - r)``
    * ``edge``: ``clip(i, 0, n-1)``

    Parameters
    ----------
    i : int or ndarray of int
        Indices, possibly outside ``[0, n)``.
    n : int
        The axis length.
    boundary : str
        A boundary mode (a :func:`numpy.pad` name).

    Returns
    -------
    ndarray of int
        The folded indices (``-1`` where ``constant`` gives zero).

    Raises
    ------
    ValueError
        For an unknown boundary mode.

    Examples
    --------
    >>> from linop.geometry import fold_index
    >>> fold_index(np.arange(-3, 8), 5, "reflect")
    array([3, 2, 1, 0, 1, 2, 3, 4, 3, 2, 1])
    >>> fold_index(np.arange(-3, 8), 5, "wrap")
    array([2, 3, 4, 0, 1, 2, 3, 4, 0, 1, 2])
    """
    idx = np.asarray(i, dtype=np.int64)
    if boundary == "constant":
        return np.where((idx >= 0) & (idx < n), idx, -1)
    if boundary == "wrap":
        return np.mod(idx, n)
    if boundary == "reflect":
        if n == 1:
            return np.zeros_like(idx)
        period = 2 * (n - 1)
        r = np.mod(idx, period)
        return np.minimum(r, period - r)
    if boundary == "symmetric":
        period = 2 * n
        r = np.mod(idx, period)
        return np.minimum(r, period - 1 - r)
    if boundary == "edge":
        return np.clip(idx, 0, n - 1)
    raise ValueError(f"unknown boundary mode {boundary!r}")


@dataclass(frozen=True)
class FoldPiece:
    """A stretch ``first <= i <= last`` of indices on which the boundary fold is affine:
    ``fold_index(i, n, boundary) == sign*i + offset`` (``sign`` is ``1``, ``-1`` or ``0``).

    Parameters
    ----------
    first, last : int
        The stretch of indices, ``first <= i <= last``.
    sign : int
        ``1``, ``-1`` or ``0``.
    offset : int
        The folded index is ``sign*i + offset``.

    Examples
    --------
    >>> from linop.geometry import FoldPiece, fold_index
    >>> piece = FoldPiece(first=-2, last=-1, sign=-1, offset=0)     # reflect: -1 -> 1, -2 -> 2
    >>> [int(fold_index(i, 5, "reflect")) for i in (-2, -1)] == [piece.sign * i + piece.offset for i in (-2, -1)]
    True
    """

    first: int
    last: int
    sign: int
    offset: int

    def __call__(self, i: int) -> int:
        """The folded index ``sign*i + offset``."""
        return self.sign * i + self.offset


@renamed_keyword("mode", "boundary")
def fold_pieces(n: int, boundary: str, low: int, high: int) -> tuple[FoldPiece, ...]:
    """Cut the indices ``low..high`` into the stretches on which :func:`fold_index` is affine.

    The interior ``[0, n-1]`` is one piece (``i -> i``); outside it, per mode:

    * ``constant``: no piece (the value there is zero);
    * ``wrap``: stretch ``t`` is ``[t n, t n + n - 1]`` with ``i -> i - t n``;
    * ``symmetric``: the same stretches, ``i -> i - t n`` for even ``t`` and
      ``i -> (t+1) n - 1 - i`` for odd ``t``;
    * ``reflect`` (``n >= 2``): stretch ``t`` covers ``[t(n-1), (t+1)(n-1)]`` minus the
      turning point it shares with its inner neighbour, ``i -> i - t(n-1)`` for even ``t``
      and ``i -> (t+1)(n-1) - i`` for odd ``t``; for ``n == 1`` every index folds to 0;
    * ``edge``: ``i < 0 -> 0`` and ``i > n-1 -> n-1`` (``sign == 0``).

    Pieces come in increasing order, clipped to ``[low, high]``; empty ones are dropped.

    Parameters
    ----------
    n : int
        The axis length.
    boundary : str
        A boundary mode (a :func:`numpy.pad` name).
    low, high : int
        The range of indices to cut, ``low <= i <= high``.

    Returns
    -------
    tuple of FoldPiece
        The affine pieces, in increasing order.

    Raises
    ------
    ValueError
        For an unknown boundary mode, ``n < 1`` or ``low > high``.

    Examples
    --------
    >>> from linop.geometry import fold_pieces
    >>> for piece in fold_pieces(5, "reflect", -2, 6):
    ...     print(piece)
    ...
    FoldPiece(first=-2, last=-1, sign=-1, offset=0)
    FoldPiece(first=0, last=4, sign=1, offset=0)
    FoldPiece(first=5, last=6, sign=-1, offset=8)
    """
    boundary = canonical_boundary(boundary)
    if n < 1:
        raise ValueError(f"n must be >= 1; got {n}")
    if low > high:
        raise ValueError(f"low must be <= high; got low={low}, high={high}")
    pieces: list[FoldPiece] = []

    def add(first: int, last: int, sign: int, offset: int) -> None:
        first, last = max(first, low), min(last, high)
        if first <= last:
            pieces.append(FoldPiece(first, last, sign, offset))

    if boundary == "edge" or (boundary == "reflect" and n == 1):
        add(low, -1, 0, 0)
        add(0, n - 1, 1, 0)
        add(n, high, 0, n - 1)
    elif boundary == "constant":
        add(0, n - 1, 1, 0)
    elif boundary == "reflect":
        half = n - 1
        for t in range(low // half - 1, high // half + 2):
            if t == 0:
                first, last = 0, n - 1
            elif t > 0:
                first, last = t * half + 1, (t + 1) * half
            else:
                first, last = t * half, (t + 1) * half - 1
            if t % 2 == 0:
                add(first, last, 1, -t * half)
            else:
                add(first, last, -1, (t + 1) * half)
    else:  # wrap, symmetric: stretches of length n
        for t in range(low // n, high // n + 1):
            if boundary == "wrap" or t % 2 == 0:
                add(t * n, t * n + n - 1, 1, -t * n)
            else:
                add(t * n, t * n + n - 1, -1, (t + 1) * n - 1)
    return tuple(pieces)
