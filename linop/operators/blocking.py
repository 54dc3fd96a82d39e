"""The block decomposition operators offer to chunked arrays: what an operator is, block by block.

A chunked-array scheduler (:mod:`linop.dask`) asks an operator ``A`` for
``A.block_structure()`` and schedules what it gets, without knowing the operator's class:

* :class:`Stencil`: ``A`` is local along its spatial axes (a convolution, a padding, a
  subsampling). Each spatial axis has the index map of an
  :class:`~linop.geometry.AxisGeometry` and the boundary mode folds indices beyond the
  ends; each output block is computed from its input block plus a halo by the block
  operator that the stencil's ``blocks`` factory builds. The block operator runs the parent's
  resolved numerics (its plan), so a block parses nothing and plans nothing.
* :class:`KernelStencil`: ``A`` is linear in a small kernel and convolves a fixed, large
  image (:class:`~linop.KernelConvolution`); the image is cut into haloed blocks.
* :class:`Composed`, :class:`Summed`, :class:`Scaled`, :class:`Adjoint`,
  :class:`Transposed`, :class:`Unchanged`: the operator algebra, whose parts have
  structures of their own.
* :class:`Scheduled`: the operator builds its own graphs (an operator of the scheduler's
  own package).

``block_structure()`` returns ``None`` for an operator with no decomposition (a user's
own :class:`~linop.ShapedOperator`, or a subclass of linop's operators that replaces
their numerics): the scheduler then runs the operator's own ``apply`` on whole spatial
extents, one call per batch chunk, so a subclass always computes its own map.

This module holds plain data and imports only the geometry.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from ..geometry import AxisGeometry

__all__ = [
    "NUMERIC_HOOKS",
    "Adjoint",
    "ChannelPlan",
    "Composed",
    "KernelStencil",
    "Scaled",
    "Scheduled",
    "Stencil",
    "Summed",
    "Transposed",
    "Unchanged",
    "numerics_inherited",
]

#: The methods behind every operator's map on NumPy: ``apply`` is ``_batched`` then
#: ``_forward`` (``apply_adjoint``: ``_backward``). A class whose block operators compute
#: its numerics lists these, and the helpers they call, as ``_numeric_hooks``.
NUMERIC_HOOKS: tuple[str, ...] = ("_batched", "_forward", "_backward")


class BlockOperator(Protocol):
    """What a scheduler calls on a block operator: ``apply`` and ``apply_adjoint`` on arrays
    of shape ``(..., *input_shape)`` and ``(..., *output_shape)``."""

    def apply(self, x: Any) -> np.ndarray: ...

    def apply_adjoint(self, y: Any) -> np.ndarray: ...


@dataclass(frozen=True)
class ChannelPlan:
    """How a channel axis is cut: the operand's chunks, the result's, and which block factory links them.

    Parameters
    ----------
    operand_chunks : tuple of int
        The channel chunks the operand must have (moved to group boundaries for a grouped
        convolution, so that no chunk splits a group).
    result_chunks : tuple of int
        The channel chunks of the result.
    links : tuple of (int, int, object)
        ``(operand chunk, result chunk, blocks)``: the operand's channel chunk goes through
        the block operators of ``blocks`` into the result's channel chunk; links into the
        same result chunk are summed (a reduction over channel chunks).

    Examples
    --------
    >>> A = linop.Convolution(np.ones((3, 4, 2)), (8, 4), padding="same")
    >>> plan = A.block_structure().blocks.forward_plan((2, 2))   # input channels in two chunks
    >>> plan.result_chunks, [link[:2] for link in plan.links]
    ((2,), [(0, 0), (1, 0)])
    """

    operand_chunks: tuple[int, ...]
    result_chunks: tuple[int, ...]
    links: tuple[tuple[int, int, Any], ...]


@dataclass(frozen=True)
class Stencil:
    """An operator local along its spatial axes, computed block by block with halos.

    Parameters
    ----------
    axes : tuple of AxisGeometry
        The index map of every spatial axis (sizes, kernel taps, stride, dilation, padding).
    boundary : str
        The boundary mode (a :func:`numpy.pad` name) of the samples beyond the ends.
    blocks : object
        The block factory: ``blocks.build(spatial, zeros)`` is the operator of one block of
        ``spatial`` samples per axis (the halo and the folded boundary included) padded by
        ``zeros`` zeros; with a channel axis, ``blocks.forward_plan(chunks)`` and
        ``blocks.adjoint_plan(chunks)`` give the :class:`ChannelPlan` of chunked channels.
        Picklable: it travels to the workers.
    channels : int, default 0
        Trailing (channel) axes of the operator's arrays: ``0`` or ``1``.

    Examples
    --------
    >>> A = linop.Convolution(np.ones(3), (10,), padding="same", boundary="reflect")
    >>> s = A.block_structure()
    >>> s.boundary, s.axes[0].pad_low
    ('reflect', 1)
    >>> block = s.blocks.build((6,), ((0, 0),))    # four samples and a halo of one each side
    >>> block.input_shape, block.output_shape
    ((6,), (4,))
    """

    axes: tuple[AxisGeometry, ...]
    boundary: str
    blocks: Any
    channels: int = 0


@dataclass(frozen=True)
class KernelStencil:
    """An operator ``w -> x * w`` linear in a small kernel, for a fixed large image ``x``.

    Parameters
    ----------
    axes : tuple of AxisGeometry
        The index map of every spatial axis of the image.
    boundary : str
        The boundary mode of the image.
    image : ndarray
        The fixed image, ``(n..., [c_in])``.
    kernel_shape : tuple of int
        The operator's input shape.
    blocks : object
        ``blocks.build(image_block, zeros)`` is the kernel operator of one haloed block of
        the image padded by ``zeros`` zeros.

    Examples
    --------
    >>> K = linop.KernelConvolution(np.ones((6, 6)), (3, 3), padding="same")
    >>> s = K.block_structure()
    >>> s.kernel_shape, s.image.shape
    ((3, 3), (6, 6))
    """

    axes: tuple[AxisGeometry, ...]
    boundary: str
    image: np.ndarray
    kernel_shape: tuple[int, ...]
    blocks: Any


@dataclass(frozen=True)
class Composed:
    """``outer @ inner``: apply ``inner``, then ``outer``.

    Parameters
    ----------
    outer, inner : ShapedOperator
        The factors.

    Examples
    --------
    >>> P = linop.Pad((5,), 1)
    >>> s = (linop.Convolution(np.ones(3), (7,)) @ P).block_structure()
    >>> s.inner is P
    True
    """

    outer: Any
    inner: Any


@dataclass(frozen=True)
class Summed:
    """``left + right``.

    Parameters
    ----------
    left, right : ShapedOperator
        The terms.

    Examples
    --------
    >>> A, B = linop.Convolution(np.ones(2), (5,)), linop.Convolution([1.0, -1.0], (5,))
    >>> (A + B).block_structure().right is B
    True
    """

    left: Any
    right: Any


@dataclass(frozen=True)
class Scaled:
    """``scalar * op``; its adjoint multiplies by ``conj_scalar``.

    Parameters
    ----------
    op : ShapedOperator
        The operator scaled.
    scalar, conj_scalar : number
        The factor and its complex conjugate.

    Examples
    --------
    >>> (2j * linop.Identity(3)).block_structure().conj_scalar
    -2j
    """

    op: Any
    scalar: Any
    conj_scalar: Any


@dataclass(frozen=True)
class Adjoint:
    """``op^H``: the forward of this operator is the adjoint of ``op`` and back.

    Parameters
    ----------
    op : ShapedOperator
        The operator whose adjoint this is.

    Examples
    --------
    >>> A = linop.Convolution(np.ones(3), (7,), stride=2)
    >>> A.H.block_structure().op is A
    True
    """

    op: Any


@dataclass(frozen=True)
class Transposed:
    """``op^T = conj(op^H conj(.))``.

    Parameters
    ----------
    op : ShapedOperator
        The operator whose transpose this is.

    Examples
    --------
    >>> A = linop.Convolution([1j, 2.0], (5,))
    >>> A.T.block_structure().op is A
    True
    """

    op: Any


@dataclass(frozen=True)
class Unchanged:
    """The identity: the operand is the result.

    Examples
    --------
    >>> linop.Identity(4).block_structure()
    Unchanged()
    """


@dataclass(frozen=True)
class Scheduled:
    """An operator that builds its own graphs.

    Parameters
    ----------
    forward, adjoint : callable
        ``forward(operand)`` and ``adjoint(operand)`` take and return chunked arrays.

    Examples
    --------
    >>> import dask.array as da
    >>> from linop.dask import DaskKernelConvolution
    >>> K = DaskKernelConvolution(da.ones((12, 12), chunks=6), (3, 3))
    >>> K.block_structure().forward == K.forward_graph
    True
    """

    forward: Callable[[Any], Any]
    adjoint: Callable[[Any], Any]


#: What ``block_structure()`` returns.
BlockStructure = Stencil | KernelStencil | Composed | Summed | Scaled | Adjoint | Transposed | Unchanged | Scheduled


def numerics_inherited(op: object, owner: type, hooks: Sequence[str] | None = None) -> bool:
    """Whether ``op`` computes the numerics ``owner`` defines: no class between them replaces a hook.

    A subclass that overrides ``_forward``, ``_backward``, ``_batched`` or a helper they
    call computes another map than its base, so the base's block decomposition does not
    describe it; its ``block_structure()`` must then return ``None`` (and a scheduler runs
    the subclass's own numerics on whole spatial extents).

    Parameters
    ----------
    op : object
        The operator.
    owner : type
        The class whose decomposition is in question.
    hooks : sequence of str, optional
        The methods that define the numerics (default: ``owner._numeric_hooks``, or
        :data:`NUMERIC_HOOKS`).

    Returns
    -------
    bool
        ``True`` when every hook of ``type(op)`` is ``owner``'s.

    Examples
    --------
    >>> from linop.operators.blocking import numerics_inherited
    >>> class Doubled(linop.Convolution):
    ...     def _forward(self, x):
    ...         return 2 * super()._forward(x)
    >>> A = Doubled([1.0, 2.0], (5,))
    >>> numerics_inherited(A, linop.Convolution), numerics_inherited(linop.Convolution([1.0], (5,)), linop.Convolution)
    (False, True)
    """
    cls = type(op)
    names = hooks if hooks is not None else getattr(owner, "_numeric_hooks", NUMERIC_HOOKS)
    return all(inspect.getattr_static(cls, h, None) is inspect.getattr_static(owner, h, None) for h in names)
