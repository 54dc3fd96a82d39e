"""Exact sparse matrices: dicts ``{(row, column): SymPy expression}``.

The matrix of a convolution is built here from the geometry's index map, exactly as the
numeric :meth:`linop.Convolution.to_sparse` builds it: for every kernel tap ``t`` and
output ``j``, entry ``(row(j, o), column(fold(s j + d t - p), g(o) C + c)) += k[t, c, o]``
(padded positions copy the input index :meth:`~linop.geometry.ConvGeometry.source_indices`
names; a constant boundary's zeros drop out). It is independent of the formulas in
:mod:`linop.symbolic.formulas`, which proofs compare it with.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import sympy
from sympy import Expr

from ..geometry import ConvGeometry

__all__ = [
    "SparseEntries",
    "conjugate_transpose",
    "convolution_entries",
    "first_difference",
    "matrix_entries",
    "multiply",
    "to_matrix",
]

SparseEntries = dict[tuple[int, int], Expr]


def convolution_entries(geometry: ConvGeometry, weights: np.ndarray) -> SparseEntries:
    """The exact matrix of a convolution (C-order flattening of input and output).

    Parameters
    ----------
    geometry : ConvGeometry
    weights : object array ``(k_1..k_d, C, c_out)``
        The correlation kernel (already reversed when the convolution flips it).
    """
    g = geometry
    out_grid = np.indices(g.output_size).reshape(g.ndim, -1)
    sources = g.source_indices()
    o = np.arange(g.out_channels)
    c = np.arange(g.in_per_group)
    in_channel = (o // g.out_per_group)[None, :] * g.in_per_group + c[:, None]  # (c, o)
    collected: dict[tuple[int, int], list[Expr]] = {}
    for tap in g.taps():
        spatial = [sources[a][ax.padded_index(out_grid[a], tap[a])] for a, ax in enumerate(g.axes)]
        keep = np.all(np.stack(spatial) >= 0, axis=0)
        pix_in = np.ravel_multi_index(tuple(s[keep] for s in spatial), g.input_size)
        pix_out = np.flatnonzero(keep)
        rows = pix_out[:, None, None] * g.out_channels + o[None, None, :]
        cols = pix_in[:, None, None] * g.in_channels + in_channel[None, :, :]
        rows, cols = np.broadcast_arrays(rows, cols)
        w = np.broadcast_to(weights[tap][None], rows.shape)
        for r, col, value in zip(rows.ravel().tolist(), cols.ravel().tolist(), w.ravel()):
            collected.setdefault((r, col), []).append(value)
    entries: SparseEntries = {}
    for key, values in collected.items():
        total = sympy.Add(*values)
        if total != 0:
            entries[key] = total
    return entries


def conjugate_transpose(entries: Mapping[tuple[int, int], Expr]) -> SparseEntries:
    """``{(c, r): conjugate(v)}`` for every ``(r, c): v``."""
    return {(c, r): sympy.conjugate(v) for (r, c), v in entries.items()}


def multiply(left: Mapping[tuple[int, int], Expr], right: Mapping[tuple[int, int], Expr]) -> SparseEntries:
    """The exact product of two sparse matrices (entries that cancel are dropped)."""
    by_row: dict[int, list[tuple[int, Expr]]] = {}
    for (r, c), v in right.items():
        by_row.setdefault(r, []).append((c, v))
    collected: dict[tuple[int, int], list[Expr]] = {}
    for (r, k), v in left.items():
        for c, w in by_row.get(k, ()):
            collected.setdefault((r, c), []).append(v * w)
    out: SparseEntries = {}
    for key, values in collected.items():
        total = sympy.expand(sympy.Add(*values))
        if total != 0:
            out[key] = total
    return out


def to_matrix(entries: Mapping[tuple[int, int], Expr], shape: tuple[int, int]) -> sympy.ImmutableSparseMatrix:
    """A SymPy sparse matrix of the given shape."""
    return sympy.ImmutableSparseMatrix(shape[0], shape[1], dict(entries))


def matrix_entries(matrix: sympy.MatrixBase) -> SparseEntries:
    """The non-zero entries of a SymPy matrix."""
    if isinstance(matrix, sympy.SparseMatrix) or hasattr(matrix, "todok"):
        return {k: v for k, v in matrix.todok().items() if v != 0}
    return {(r, c): matrix[r, c] for r in range(matrix.rows) for c in range(matrix.cols) if matrix[r, c] != 0}


def first_difference(left: Mapping[tuple, Expr], right: Mapping[tuple, Expr]) -> tuple[tuple, Expr, Expr] | None:
    """The first key (in sorted order) where two exact sparse matrices differ, with both values.

    Values are equal when their difference expands to zero; structurally equal values
    are accepted without expanding.
    """
    for key in sorted(set(left) | set(right)):
        a, b = left.get(key, sympy.Integer(0)), right.get(key, sympy.Integer(0))
        if a == b:
            continue
        if sympy.expand(a - b) != 0:
            return key, a, b
    return None
