"""Which blocked rule applies a linop operator to a Dask array, forward and adjoint.

Every operator class maps to a rule: the convolution family, :class:`~linop.Pad` and
:class:`~linop.Subsample` run block by block with halos (:mod:`linop.dask.graph`);
compositions, sums, scalings, adjoints and transposes combine the rules of their parts;
:class:`~linop.Identity` returns its input. An operator without a rule (a user's own
:class:`~linop.ShapedOperator`) still works: its axes are gathered into one chunk per
batch chunk and its own numerics run there (only the batch axes stay split).

A rule rebuilds its class's numerics from the operator's parameters, so it computes the
map of the class it was written for. It therefore applies to an operator whose nearest
ruled class in its MRO is that class and whose type overrides none of the rule's
*numeric hooks* (``_batched``, ``_forward``, ``_backward`` and the helpers they call,
listed per rule): a subclass that only adds a constructor, properties or conversions
(:class:`~linop.ConvTranspose` is such an :class:`~linop.AdjointOperator`) runs blocked;
one that overrides a hook computes its own map, so it runs whole, through its own hooks,
like an operator without a rule. Never another class's map.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass

import dask.array as da
import numpy as np

from ..geometry import AxisGeometry, block_bounds
from ..operators import (
    AdjointOperator,
    Composition,
    Convolution,
    Identity,
    KernelConvolution,
    Pad,
    ScaledOperator,
    ShapedOperator,
    Subsample,
    SumOperator,
    TransposeOperator,
)
from . import graph
from .blocks import ConvolutionBlocks, KernelConvolutionBlocks, PadBlocks, SubsampleBlocks
from .kernel import DaskKernelConvolution
from .validation import check_dask_array, check_operand, check_operator

__all__ = ["NUMERIC_HOOKS", "RULES", "Rule", "adjoint", "apply", "apply_adjoint", "dot", "forward", "matvec", "rmatvec",
           "rule_for"]


def apply(op: ShapedOperator, x: da.Array) -> da.Array:
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


def apply_adjoint(op: ShapedOperator, y: da.Array) -> da.Array:
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


def matvec(op: ShapedOperator, x: da.Array) -> da.Array:
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


def rmatvec(op: ShapedOperator, y: da.Array) -> da.Array:
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


def dot(op: ShapedOperator, x: da.Array) -> da.Array:
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


# -- rules ----------------------------------------------------------------------------------
def _convolution_parts(op: Convolution):
    g = op.geometry
    blocks = ConvolutionBlocks(op.kernel, g.stride, g.dilation, g.groups, op.flip, op.method,
                               (g.in_channels,) if g.channels else ())
    return g.axes, g.boundary, blocks


def _convolution_forward(op: Convolution, x: da.Array) -> da.Array:
    axes, boundary, blocks = _convolution_parts(op)
    return graph.blocked_forward(x, axes, boundary, blocks, n_lead=_lead(op.input_shape, x),
                                 dtype=x.dtype, name="linop-convolution")


def _convolution_adjoint(op: Convolution, y: da.Array) -> da.Array:
    axes, boundary, blocks = _convolution_parts(op)
    return graph.blocked_adjoint(y, axes, boundary, blocks, n_lead=_lead(op.output_shape, y),
                                 dtype=y.dtype, name="linop-convolution-adjoint")


def _pad_axes(op: Pad) -> tuple[AxisGeometry, ...]:
    return tuple(AxisGeometry(n, 1, 1, 1, lo, hi) for n, (lo, hi) in zip(op.input_shape, op.pad_width))


def _subsample_axes(op: Subsample) -> tuple[AxisGeometry, ...]:
    # y[j] = x[offset + s*j]: a one-tap correlation with stride s and low "padding" -offset
    return tuple(AxisGeometry(n, 1, s, 1, -o, 0) for n, s, o in zip(op.input_shape, op.stride, op.offset))


def _local_forward(axes, boundary, blocks, name):
    def rule(op, x):
        return graph.blocked_forward(x, axes(op), boundary(op), blocks(op), n_lead=_lead(op.input_shape, x),
                                     dtype=x.dtype, name=name)
    return rule


def _local_adjoint(axes, boundary, blocks, name):
    def rule(op, y):
        return graph.blocked_adjoint(y, axes(op), boundary(op), blocks(op), n_lead=_lead(op.output_shape, y),
                                     dtype=y.dtype, name=name)
    return rule


def _kernel_blocks(op: KernelConvolution) -> KernelConvolutionBlocks:
    g = op.geometry
    return KernelConvolutionBlocks(g.kernel_shape, g.stride, g.dilation, g.groups, op.flip, op.method)


def _image_trail(op: KernelConvolution) -> tuple[int, ...]:
    return (op.geometry.in_channels,) if op.geometry.channels else ()


def _kernel_forward(op: KernelConvolution, w: da.Array) -> da.Array:
    g = op.geometry
    trail = _image_trail(op)
    # the image is in memory; its chunks (and so the output's blocks) follow dask's automatic sizes
    image = da.from_array(op.x, chunks=("auto",) * g.ndim + tuple((c,) for c in trail))
    out_bounds = [ax.output_block_bounds(block_bounds(c)) for ax, c in zip(g.axes, image.chunks)]
    out_trail = (g.out_channels,) if g.channels else ()
    return graph.kernel_forward(image, w, g.axes, g.boundary, _kernel_blocks(op), out_bounds=out_bounds,
                                out_trail=out_trail, dtype=w.dtype, name="linop-kernel-convolution")


def _kernel_adjoint(op: KernelConvolution, y: da.Array) -> da.Array:
    g = op.geometry
    n_lead = _lead(op.output_shape, y)
    in_bounds = [ax.input_block_bounds(block_bounds(y.chunks[n_lead + a])) for a, ax in enumerate(g.axes)]
    chunks = tuple(tuple(b - a for a, b in zip(bs, bs[1:])) for bs in in_bounds)
    image = da.from_array(op.x, chunks=chunks + tuple((c,) for c in _image_trail(op)))
    return graph.kernel_adjoint(image, y, g.axes, g.boundary, _kernel_blocks(op), dtype=y.dtype,
                                name="linop-kernel-convolution-adjoint")


def _whole(op: ShapedOperator, x: da.Array, shape: tuple[int, ...], out_shape: tuple[int, ...],
           method: Callable) -> da.Array:
    """An operator without a blocked rule: its own axes in one chunk, one call per batch chunk.

    ``method`` is :meth:`ShapedOperator.apply` or ``apply_adjoint`` *of the base class*,
    bound to ``op``: on a NumPy chunk it runs ``op``'s own hooks (``_batched``,
    ``_forward`` / ``_backward``), the map ``op`` computes on NumPy. An override of
    ``apply`` itself is not called here: it already ran, on the Dask array, before it
    reached this module (calling it again per chunk would apply it twice).
    """
    n_lead = _lead(shape, x)
    x = graph.single_chunk(x, range(n_lead, x.ndim))
    chunks = x.chunks[:n_lead] + tuple((n,) for n in out_shape)
    drop = tuple(range(n_lead, x.ndim)) if len(shape) != len(out_shape) else ()
    new = tuple(range(n_lead, n_lead + len(out_shape))) if drop else None
    return x.map_blocks(method, chunks=chunks, dtype=x.dtype, drop_axis=drop, new_axis=new,
                        meta=np.empty((0,) * (n_lead + len(out_shape)), x.dtype))


#: The hooks behind every operator's map on NumPy: ``apply`` is ``_batched`` then
#: ``_forward`` (``apply_adjoint``: ``_backward``). A blocked rule replaces all three.
NUMERIC_HOOKS = ("_batched", "_forward", "_backward")


@dataclass(frozen=True)
class Rule:
    """How the operators of class ``cls`` run on Dask arrays, and which of its methods they bypass.

    Attributes
    ----------
    cls : type
        The class the rule was written for.
    forward, adjoint : callable
        ``(op, x) -> A x`` and ``(op, y) -> A^H y`` on checked Dask arrays.
    hooks : tuple of str
        The methods and properties of ``cls`` that make its map on NumPy and that the rule
        does not call (it rebuilds the numerics from the operator's parameters).
    """

    cls: type
    forward: Callable
    adjoint: Callable
    hooks: tuple[str, ...] = NUMERIC_HOOKS

    def overridden_hooks(self, kind: type) -> tuple[str, ...]:
        """The hooks that ``kind`` (``cls`` or a subclass) defines differently from ``cls``."""
        return tuple(h for h in self.hooks
                     if inspect.getattr_static(kind, h, None) is not inspect.getattr_static(self.cls, h, None))


#: The rules, by the class they were written for.
RULES: dict[type, Rule] = {}


def _rule(cls: type, fwd: Callable, adj: Callable, helpers: tuple[str, ...] = ()) -> None:
    RULES[cls] = Rule(cls, fwd, adj, NUMERIC_HOOKS + helpers)


def _conj(a: da.Array) -> da.Array:
    return a.conj() if np.iscomplexobj(np.empty(0, a.dtype)) else a


_rule(Identity, lambda op, x: x, lambda op, y: y)
_rule(Convolution, _convolution_forward, _convolution_adjoint,
      ("_with_channel_axis", "_without_channel_axis", "_backend"))
_rule(KernelConvolution, _kernel_forward, _kernel_adjoint, ("_stacked",))
_rule(Pad,
      _local_forward(_pad_axes, lambda op: op.mode, lambda op: PadBlocks(op.dtype), "linop-pad"),
      _local_adjoint(_pad_axes, lambda op: op.mode, lambda op: PadBlocks(op.dtype), "linop-pad-adjoint"))
_rule(Subsample,
      _local_forward(_subsample_axes, lambda op: "constant", lambda op: SubsampleBlocks(op.stride, op.dtype),
                     "linop-subsample"),
      _local_adjoint(_subsample_axes, lambda op: "constant", lambda op: SubsampleBlocks(op.stride, op.dtype),
                     "linop-subsample-adjoint"))
_rule(DaskKernelConvolution, lambda op, w: op.forward_graph(w), lambda op, y: op.adjoint_graph(y))
_rule(AdjointOperator, lambda op, x: adjoint(op.op, x), lambda op, y: forward(op.op, y))
_rule(TransposeOperator, lambda op, x: _conj(adjoint(op.op, _conj(x))), lambda op, y: _conj(forward(op.op, _conj(y))))
_rule(Composition, lambda op, x: forward(op.outer, forward(op.inner, x)),
      lambda op, y: adjoint(op.inner, adjoint(op.outer, y)))
_rule(SumOperator, lambda op, x: forward(op.left, x) + forward(op.right, x),
      lambda op, y: adjoint(op.left, y) + adjoint(op.right, y))
_rule(ScaledOperator, lambda op, x: forward(op.op, x) * op.scalar, lambda op, y: adjoint(op.op, y) * op._conj_scalar)


def rule_for(op: ShapedOperator) -> Rule | None:
    """The blocked rule that computes ``op``'s own map, or ``None`` (then ``op`` runs whole).

    The rule of the nearest class in ``type(op).__mro__`` that has one, provided
    ``type(op)`` overrides none of that rule's hooks (a subclass that does computes
    another map than the rule's class).

    Examples
    --------
    >>> from linop.dask.dispatch import rule_for
    >>> class Doubled(linop.Convolution):
    ...     def _forward(self, x):
    ...         return 2 * super()._forward(x)
    >>> rule_for(linop.Convolution([1.0, 2.0], 5)).cls.__name__
    'Convolution'
    >>> rule_for(Doubled([1.0, 2.0], 5)) is None
    True
    >>> rule_for(linop.ConvTranspose([1.0, 2.0], 5)).cls.__name__   # an AdjointOperator that adds no numerics
    'AdjointOperator'
    """
    for cls in type(op).__mro__:
        rule = RULES.get(cls)
        if rule is not None:
            return None if rule.overridden_hooks(type(op)) else rule
    return None


def forward(op: ShapedOperator, x: da.Array) -> da.Array:
    """``A x`` for a checked ``x`` (shape ``(..., *A.input_shape)``, the result dtype)."""
    rule = rule_for(op)
    if rule is None:
        return _whole(op, x, op.input_shape, op.output_shape, functools.partial(ShapedOperator.apply, op))
    return rule.forward(op, x).astype(x.dtype, copy=False)


def adjoint(op: ShapedOperator, y: da.Array) -> da.Array:
    """``A^H y`` for a checked ``y`` (shape ``(..., *A.output_shape)``, the result dtype)."""
    rule = rule_for(op)
    if rule is None:
        return _whole(op, y, op.output_shape, op.input_shape, functools.partial(ShapedOperator.apply_adjoint, op))
    return rule.adjoint(op, y).astype(y.dtype, copy=False)
