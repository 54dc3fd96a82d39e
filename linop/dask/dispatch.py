"""A linop operator on a Dask array, forward and adjoint: scheduling what the operator offers.

An operator describes itself block by block (``op.block_structure()``,
:mod:`linop.operators.blocking`); this module only schedules what it gets and never
imports an operator class. Stencils (the convolution family, :class:`~linop.Pad`,
:class:`~linop.Subsample`) run block by block with halos (:mod:`linop.dask.graph`), each
block through the parent's own resolved numerics; compositions, sums, scalings,
adjoints and transposes combine the structures of their parts; the identity returns
its operand. An operator without a structure (a user's own
:class:`~linop.ShapedOperator`, or a subclass that replaces linop's numerics) still
works and computes its own map: its axes are gathered into one chunk per batch chunk
and its own ``apply`` runs there (only the batch axes stay split).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import dask.array as da
import numpy as np

from ..geometry import block_bounds, input_block_bounds, output_block_bounds
from ..operators.blocking import (
    Adjoint,
    Composed,
    KernelStencil,
    Scaled,
    Scheduled,
    Stencil,
    Summed,
    Transposed,
    Unchanged,
)
from . import graph
from .validation import check_dask_array, check_operand, check_operator

__all__ = ["adjoint", "apply", "apply_adjoint", "dot", "forward", "matvec", "rmatvec", "run"]

#: A linop operator, known here only by what it offers: shapes, ``apply``,
#: ``apply_adjoint`` and ``block_structure()`` (:mod:`linop.operators.blocking`).
Operator = Any


def run(op: Operator, operand: object, how: str) -> da.Array:
    """What ``op.apply(x)``, ``op.apply_adjoint(y)``, ``op.matvec``, ``op.rmatvec`` and ``op.dot``
    do with a Dask operand: the entry point the operators hand Dask arrays to.

    Parameters
    ----------
    op : ShapedOperator
        The operator.
    operand : dask.array.Array
        The operand.
    how : {"apply", "apply_adjoint", "matvec", "rmatvec", "dot"}
        Which product.

    Returns
    -------
    dask.array.Array
        The lazy result.

    Examples
    --------
    >>> import dask.array as da
    >>> from linop.dask.dispatch import run
    >>> A = linop.Convolution(np.ones(3), 10, stride=2)
    >>> run(A, da.arange(10.0, chunks=4), "apply").compute()
    array([ 3.,  9., 15., 21.])
    """
    # the operators tell a Dask array by its type's module, without importing Dask
    assert isinstance(operand, da.Array), f"linop.dask.dispatch.run got a {type(operand).__name__}"
    return _PRODUCTS[how](op, operand)


def apply(op: Operator, x: da.Array) -> da.Array:
    """``A x`` for a Dask array ``x`` of shape ``(..., *A.input_shape)``, as a lazy Dask array.

    ``A.apply(x)`` calls this for a Dask ``x``. Each output block is computed from its
    input block and the halo its kernel reaches, by linop's own numeric operator.

    Parameters
    ----------
    op : ShapedOperator
        The operator ``A``.
    x : dask.array.Array
        Shape ``(..., *A.input_shape)``, chunked along any axes.

    Returns
    -------
    dask.array.Array
        ``A x``, shape ``(..., *A.output_shape)``, not yet computed.

    Raises
    ------
    TypeError, ValueError
        Before any computation: ``op`` is not a shaped operator, ``x`` is not a numeric
        Dask array, has unknown chunk sizes or the wrong shape.

    Examples
    --------
    >>> import dask.array as da
    >>> from linop.dask import apply
    >>> A = linop.Convolution(np.ones(3), 10, stride=2)
    >>> x = da.arange(10.0, chunks=4)
    >>> apply(A, x).compute()
    array([ 3.,  9., 15., 21.])
    """
    return forward(op, check_operand(check_operator(op), x, op.input_shape, "x"))


def apply_adjoint(op: Operator, y: da.Array) -> da.Array:
    """``A^H y`` for a Dask array ``y`` of shape ``(..., *A.output_shape)``, as a lazy Dask array.

    ``A.H.apply(y)`` and ``A.apply_adjoint(y)`` call this for a Dask ``y``: every block's
    contribution to its neighbours' halos is added back into them (an overlap-add).

    Parameters
    ----------
    op : ShapedOperator
        The operator ``A``.
    y : dask.array.Array
        Shape ``(..., *A.output_shape)``, chunked along any axes.

    Returns
    -------
    dask.array.Array
        ``A^H y``, shape ``(..., *A.input_shape)``, not yet computed.

    Raises
    ------
    TypeError, ValueError
        Before any computation: ``op`` is not a shaped operator, ``y`` is not a numeric
        Dask array, has unknown chunk sizes or the wrong shape.

    Examples
    --------
    >>> import dask.array as da
    >>> from linop.dask import apply_adjoint
    >>> A = linop.Convolution(np.ones(3), 10, stride=2)
    >>> apply_adjoint(A, da.ones(4, chunks=2)).compute()
    array([1., 1., 2., 1., 2., 1., 2., 1., 1., 0.])
    """
    return adjoint(op, check_operand(check_operator(op), y, op.output_shape, "y"))


def matvec(op: Operator, x: da.Array) -> da.Array:
    """``A x`` on a flat Dask vector of length ``N`` (or ``(N, 1)``), returning the same layout.

    Parameters
    ----------
    op : ShapedOperator
        The operator ``A`` (``A.shape == (M, N)``).
    x : dask.array.Array
        Shape ``(N,)`` or ``(N, 1)``: ``A.input_shape`` flattened in C order.

    Returns
    -------
    dask.array.Array
        ``A x``, shape ``(M,)`` or ``(M, 1)``, not yet computed.

    Raises
    ------
    TypeError, ValueError
        Before any computation: ``op`` is not a shaped operator, ``x`` is not a numeric
        Dask array, has unknown chunk sizes or another shape.

    Examples
    --------
    >>> import dask.array as da
    >>> from linop.dask import matvec
    >>> A = linop.Convolution(np.ones((2, 2)), (3, 3))
    >>> matvec(A, da.ones(9, chunks=3)).compute()
    array([4., 4., 4., 4.])
    """
    return _flat(check_operator(op), x, op.input_shape, op.shape[1], apply, "x")


def rmatvec(op: Operator, y: da.Array) -> da.Array:
    """``A^H y`` on a flat Dask vector of length ``M`` (or ``(M, 1)``), returning the same layout.

    Parameters
    ----------
    op : ShapedOperator
        The operator ``A`` (``A.shape == (M, N)``).
    y : dask.array.Array
        Shape ``(M,)`` or ``(M, 1)``: ``A.output_shape`` flattened in C order.

    Returns
    -------
    dask.array.Array
        ``A^H y``, shape ``(N,)`` or ``(N, 1)``, not yet computed.

    Raises
    ------
    TypeError, ValueError
        Before any computation: ``op`` is not a shaped operator, ``y`` is not a numeric
        Dask array, has unknown chunk sizes or another shape.

    Examples
    --------
    >>> import dask.array as da
    >>> from linop.dask import rmatvec
    >>> A = linop.Convolution(np.ones((2, 2)), (3, 3))
    >>> rmatvec(A, da.ones(4, chunks=2)).compute()
    array([1., 2., 1., 2., 4., 2., 1., 2., 1.])
    """
    return _flat(check_operator(op), y, op.output_shape, op.shape[0], apply_adjoint, "y")


def dot(op: Operator, x: da.Array) -> da.Array:
    """``A @ x`` for a flat Dask vector ``(N,)``, a column ``(N, 1)`` or a matrix ``(N, K)``
    whose columns are vectors (as scipy's ``dot``), lazily.

    ``A @ x``, ``A.dot(x)`` and ``A * x`` call this for a Dask ``x`` (scipy's own ``dot``
    would pull the whole array into memory).

    Parameters
    ----------
    op : ShapedOperator
        The operator ``A`` (``A.shape == (M, N)``).
    x : dask.array.Array
        Shape ``(N,)``, ``(N, 1)`` or ``(N, K)``.

    Returns
    -------
    dask.array.Array
        ``A x``, shape ``(M,)``, ``(M, 1)`` or ``(M, K)``, not yet computed.

    Raises
    ------
    TypeError, ValueError
        Before any computation: ``op`` is not a shaped operator, ``x`` is not a numeric
        Dask array, has unknown chunk sizes or another shape.

    Examples
    --------
    >>> import dask.array as da
    >>> from linop.dask import dot
    >>> A = linop.Convolution(np.ones(2), 4)
    >>> dot(A, da.ones((4, 2), chunks=2)).compute()
    array([[2., 2.],
           [2., 2.],
           [2., 2.]])
    """
    check_operator(op)
    check_dask_array(x, "x")
    if x.ndim == 1 or (x.ndim == 2 and x.shape[1] == 1):
        return matvec(op, x)
    if x.ndim != 2 or x.shape[0] != op.shape[1]:
        raise ValueError(f"x must have shape ({op.shape[1]},) or ({op.shape[1]}, K); got {x.shape}")
    columns = x.T.reshape((x.shape[1],) + op.input_shape)
    return apply(op, columns).reshape(x.shape[1], -1).T


def _flat(op, v, shape, length, rule, name):
    check_dask_array(v, name)
    if v.shape not in ((length,), (length, 1)):
        raise ValueError(f"{name} must have shape ({length},) or ({length}, 1); got {v.shape}")
    out = rule(op, v.reshape(shape))
    return out.reshape((-1,) if v.ndim == 1 else (-1, 1))


def _lead(op_shape: tuple[int, ...], a: da.Array) -> int:
    return a.ndim - len(op_shape)


# -- the structures ---------------------------------------------------------------------------
def _stencil_forward(op: Operator, s: Stencil, x: da.Array) -> da.Array:
    return graph.blocked_forward(
        x,
        s.axes,
        s.boundary,
        s.blocks,
        n_lead=_lead(op.input_shape, x),
        dtype=x.dtype,
        name=f"linop-{type(op).__name__.lower()}",
    )


def _stencil_adjoint(op: Operator, s: Stencil, y: da.Array) -> da.Array:
    return graph.blocked_adjoint(
        y,
        s.axes,
        s.boundary,
        s.blocks,
        n_lead=_lead(op.output_shape, y),
        dtype=y.dtype,
        name=f"linop-{type(op).__name__.lower()}-adjoint",
    )


def _image_chunks(s: KernelStencil, spatial: tuple[tuple[int, ...], ...]) -> tuple:
    trail = s.image.shape[len(s.axes) :]
    return spatial + tuple((c,) for c in trail)


def _kernel_forward(op: Operator, s: KernelStencil, w: da.Array) -> da.Array:
    # the image is in memory; its chunks (and so the output's blocks) follow dask's automatic sizes
    image = da.from_array(s.image, chunks=("auto",) * len(s.axes) + tuple((c,) for c in s.image.shape[len(s.axes) :]))
    out_bounds = [output_block_bounds(ax, block_bounds(c)) for ax, c in zip(s.axes, image.chunks)]
    out_trail = op.output_shape[len(s.axes) :]
    return graph.kernel_forward(
        image,
        w,
        s.axes,
        s.boundary,
        s.blocks,
        s.kernel_shape,
        out_bounds=out_bounds,
        out_trail=out_trail,
        dtype=w.dtype,
        name="linop-kernel-convolution",
    )


def _kernel_adjoint(op: Operator, s: KernelStencil, y: da.Array) -> da.Array:
    n_lead = _lead(op.output_shape, y)
    in_bounds = [input_block_bounds(ax, block_bounds(y.chunks[n_lead + a])) for a, ax in enumerate(s.axes)]
    chunks = tuple(tuple(b - a for a, b in zip(bs, bs[1:])) for bs in in_bounds)
    image = da.from_array(s.image, chunks=_image_chunks(s, chunks))
    return graph.kernel_adjoint(
        image, y, s.axes, s.boundary, s.blocks, s.kernel_shape, dtype=y.dtype, name="linop-kernel-convolution-adjoint"
    )


def _whole(op: Operator, x: da.Array, shape: tuple[int, ...], out_shape: tuple[int, ...], method: Callable) -> da.Array:
    """An operator without a block structure: its own axes in one chunk, one call per batch chunk.

    ``method`` runs ``op``'s own NumPy numerics (``_batched``, ``_forward`` / ``_backward``)
    on a chunk. An override of ``apply`` itself is not called here: it already ran, on the
    Dask array, before it reached this module (calling it again per chunk would apply it twice).
    """
    n_lead = _lead(shape, x)
    x = graph.single_chunk(x, range(n_lead, x.ndim))
    chunks = x.chunks[:n_lead] + tuple((n,) for n in out_shape)
    drop = tuple(range(n_lead, x.ndim)) if len(shape) != len(out_shape) else ()
    new = tuple(range(n_lead, n_lead + len(out_shape))) if drop else None
    return da.map_blocks(  # x.map_blocks is the same call, but its signature does not type-check
        method,
        x,
        chunks=chunks,
        dtype=x.dtype,
        drop_axis=drop,
        new_axis=new,
        meta=np.empty((0,) * (n_lead + len(out_shape)), x.dtype),
    )


def _conj(a: da.Array) -> da.Array:
    return a.conj() if np.iscomplexobj(np.empty(0, a.dtype)) else a


def _blocked(op: Operator, a: da.Array, adjoint: bool) -> da.Array:
    """``A a`` (``adjoint=False``) or ``A^H a`` from ``op.block_structure()``, recursively."""
    s = op.block_structure()
    if s is None:
        if adjoint:
            return _whole(op, a, op.output_shape, op.input_shape, functools.partial(op._apply, adjoint=True))
        return _whole(op, a, op.input_shape, op.output_shape, functools.partial(op._apply, adjoint=False))
    if isinstance(s, Stencil):
        return _stencil_adjoint(op, s, a) if adjoint else _stencil_forward(op, s, a)
    if isinstance(s, KernelStencil):
        return _kernel_adjoint(op, s, a) if adjoint else _kernel_forward(op, s, a)
    if isinstance(s, Unchanged):
        return a
    if isinstance(s, Adjoint):
        return _blocked(s.op, a, not adjoint)
    if isinstance(s, Transposed):
        return _conj(_blocked(s.op, _conj(a), not adjoint))
    if isinstance(s, Composed):
        if adjoint:
            return _blocked(s.inner, _blocked(s.outer, a, True), True)
        return _blocked(s.outer, _blocked(s.inner, a, False), False)
    if isinstance(s, Summed):
        return _blocked(s.left, a, adjoint) + _blocked(s.right, a, adjoint)
    if isinstance(s, Scaled):
        return _blocked(s.op, a, adjoint) * (s.conj_scalar if adjoint else s.scalar)
    if isinstance(s, Scheduled):
        return s.adjoint(a) if adjoint else s.forward(a)
    raise TypeError(f"{type(op).__name__}.block_structure() returned {type(s).__name__}, not a block structure")


def forward(op: Operator, x: da.Array) -> da.Array:
    """``A x`` for a checked ``x`` (shape ``(..., *A.input_shape)``, the result dtype)."""
    return _blocked(op, x, adjoint=False).astype(x.dtype, copy=False)


def adjoint(op: Operator, y: da.Array) -> da.Array:
    """``A^H y`` for a checked ``y`` (shape ``(..., *A.output_shape)``, the result dtype)."""
    return _blocked(op, y, adjoint=True).astype(y.dtype, copy=False)


_PRODUCTS: dict[str, Callable[[Operator, da.Array], da.Array]] = {
    "apply": apply,
    "apply_adjoint": apply_adjoint,
    "matvec": matvec,
    "rmatvec": rmatvec,
    "dot": dot,
}
