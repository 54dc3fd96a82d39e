"""Exact conversion between PyTorch's ``Conv*d`` / ``ConvTranspose*d`` layers and convolution records.

A layer becomes a kernel and a :class:`~linop.geometry.ConvRecord` (:func:`convolution_record`,
:func:`conv_transpose_record`), from which the operators make themselves; a kernel and a
record become a layer (:func:`convolution_layer`, :func:`conv_transpose_layer`). This
module imports no operator class (``Convolution.from_torch`` and ``to_torch`` hand their
calls to it); :mod:`linop.interop.torch_layers` has the same conversions returning operators.

Layouts: PyTorch is channels first, linop channels last. A ``ConvNd`` weight
``(c_out, c_in/G, k_1..k_d)`` is linop's kernel ``(k_1..k_d, c_in/G, c_out)``; a
``ConvTransposeNd`` weight ``(c_in, c_out/G, k_1..k_d)`` holds the *conjugated* kernel
``(k_1..k_d, c_out/G, c_in)`` of the convolution it is the adjoint of: PyTorch's
``conv_transposeNd(y, W)`` is the transpose (not the conjugate transpose) of
``convNd(x, W)``, so with ``K`` the linop kernel of ``W``,

.. math::

    \\mathrm{ConvTransposeNd}(W) = \\mathrm{conv}_W^{T} = \\big(\\mathrm{conv}_{\\overline{W}}\\big)^{H}
    = \\mathrm{linop.ConvTranspose}(\\overline{K}),

which matters for complex layers only. With ``x`` channels last and ``layer`` the
converted layer,

.. math::

    \\mathrm{layer}(\\mathrm{moveaxis}(x, -1, 0)) = \\mathrm{moveaxis}(A x, -1, 0)

up to rounding. What PyTorch can express, per spatial axis with low and high pads
``(p_lo, p_hi)``:

* ``Conv*d``: ``p_lo == p_hi`` (an int padding), or PyTorch's ``"same"`` (stride 1,
  ``p_lo = t // 2`` and ``p_hi = t - p_lo`` for the total ``t = d (k-1)``); boundaries
  ``constant`` (``"zeros"``), ``reflect``, ``edge`` (``"replicate"``), ``wrap``
  (``"circular"``, pads at most the axis length). Not ``symmetric``.
* ``ConvTranspose*d``: zero boundary only, padding ``p_lo`` cropped on both sides, and
  ``output_padding = n + 2 p_lo - used_size`` (:func:`linop.geometry.transposed_output_padding`),
  which PyTorch accepts in ``[0, max(s, d))``.

Anything else raises :class:`TorchCannotExpress` naming why. :func:`torch_map` runs a
convolution with torch's own functions (any padding, through ``F.pad``) for tensors on
a GPU.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..arguments import check_flag, is_integer
from ..errors import LinopError
from ..geometry import (
    BOUNDARY_ALIASES,
    ConvGeometry,
    ConvRecord,
    matching_high_padding,
    resolve_padding,
    transposed_conv_size,
    transposed_output_padding,
)
from ..operators.blocking import Adjoint, Stencil
from .frameworks import require
from .torch_dtypes import result_tensor_dtype, tensor_to_numpy

__all__ = [
    "TorchCannotExpress",
    "conv_transpose_layer",
    "conv_transpose_record",
    "convolution_layer",
    "convolution_record",
    "torch_map",
]

#: PyTorch's padding_mode for each linop boundary it has.
TORCH_PADDING_MODE: dict[str, str] = {linop: torch for torch, linop in BOUNDARY_ALIASES.items()} | {
    "reflect": "reflect"
}
#: linop's boundary for each PyTorch padding_mode.
LINOP_BOUNDARY: dict[str, str] = {torch: linop for linop, torch in TORCH_PADDING_MODE.items()}


class TorchCannotExpress(LinopError, ValueError):
    """The linop operator has no exact PyTorch layer (the message says which parameter and why).

    Examples
    --------
    >>> from linop.interop import TorchCannotExpress
    >>> try:
    ...     linop.Convolution(np.ones(3), (8,), padding=[(0, 2)]).to_torch()
    ... except TorchCannotExpress as exc:
    ...     print(str(exc).split(":")[0])
    padding ((0, 2),) is asymmetric and it is not PyTorch's 'same' split (low = total // 2)
    """


def _torch():
    return require("torch", "torch")


def _spatial_dims(layer: Any, kinds: tuple[str, ...]) -> int:
    torch = _torch()
    for d, name in enumerate(kinds, start=1):
        if isinstance(layer, getattr(torch.nn, name)):
            return d
    raise TypeError(f"layer must be a torch.nn.{' / '.join(kinds)}; got {type(layer).__name__}")


def _check_bias(layer: Any, ignore_bias: bool) -> None:
    if not check_flag(ignore_bias, "ignore_bias") and layer.bias is not None:
        raise ValueError(
            f"the {type(layer).__name__} has a bias: it is affine, not linear, and a linop operator has no bias; "
            "pass ignore_bias=True to convert its linear part (the bias is then left out)"
        )


def _spatial_size(input_size: int | Sequence[int], ndim: int, layer: Any) -> tuple[int, ...]:
    """``input_size`` as ``ndim`` positive ints, or a TypeError (not ints) / ValueError (wrong count
    or value) naming it."""
    if is_integer(input_size):
        size: tuple | None = (input_size,)
    else:
        try:
            size = tuple(input_size)  # type: ignore[arg-type]
        except TypeError:
            size = None
    if size is None or isinstance(input_size, str) or not all(is_integer(s) for s in size):
        raise TypeError(f"input_size must be a positive int or a sequence of positive ints; got {input_size!r}")
    if len(size) != ndim or not all(s >= 1 for s in size):
        raise ValueError(
            f"input_size must be {ndim} positive spatial sizes for a {type(layer).__name__} "
            f"(channels are the layer's); got {input_size!r}"
        )
    return tuple(int(s) for s in size)


def _kernel_from_weight(weight: Any, *, conjugate: bool = False) -> np.ndarray:
    """``(a, b, k_1..k_d)`` weight -> ``(k_1..k_d, b, a)`` kernel (conjugated when ``conjugate``), as a NumPy copy.

    Weights of a dtype NumPy lacks (bfloat16, complex32) arrive in float32 or complex64,
    which hold them exactly.
    """
    w = tensor_to_numpy(weight)
    if conjugate:
        w = w.conj()
    return np.ascontiguousarray(np.moveaxis(np.moveaxis(w, 0, -1), 0, -2))


def _weight_from_kernel(kernel: np.ndarray, record: ConvRecord) -> np.ndarray:
    """linop's kernel (flipped when the record says ``flip``) as a torch weight ``(a, b, k_1..k_d)``."""
    g = record.geometry
    kernel = kernel.reshape(g.kernel_size + (g.in_per_group, g.out_channels))
    if record.flip:
        kernel = kernel[(slice(None, None, -1),) * g.ndim]
    return np.array(np.moveaxis(np.moveaxis(kernel, -1, 0), -1, 1), order="C", copy=True)  # writable for torch


def _layer_with_weight(name: str, arguments: dict, weight: Any):
    """A bias-free ``torch.nn.<name>`` holding ``weight``, built without drawing from torch's random stream.

    ``torch.nn.utils.skip_init`` skips the layer's ``reset_parameters`` (a Kaiming draw whose
    values would be overwritten anyway), so converting never changes what a seeded program
    draws next.
    """
    torch = _torch()
    layer = torch.nn.utils.skip_init(getattr(torch.nn, name), **arguments, bias=False, dtype=weight.dtype)
    with torch.no_grad():
        layer.weight.copy_(weight)
    return layer


# -- Conv*d ---------------------------------------------------------------------------------------
def convolution_record(
    layer: Any, input_size: int | Sequence[int], *, ignore_bias: bool = False
) -> tuple[np.ndarray, ConvRecord]:
    """The kernel and the parameter record of a ``torch.nn.Conv1d/2d/3d`` for inputs of spatial size ``input_size``.

    :meth:`linop.Convolution.from_torch` makes its operator from these.

    Parameters
    ----------
    layer : torch.nn.Conv1d, Conv2d or Conv3d
        The layer (not modified).
    input_size : int or tuple of int
        The spatial sizes ``(n_1..n_d)``; the input shape is ``(n_1..n_d, c_in)``.
    ignore_bias : bool, default False
        Convert a layer with a bias by leaving the bias out.

    Returns
    -------
    kernel : ndarray
        ``(k_1..k_d, c_in/G, c_out)``, the layer's weights channels last; float32 for a
        float16 or bfloat16 layer (which it holds exactly), complex64 for a complex32 one.
    record : ConvRecord
        Stride, padding (``"same"`` and ``padding_mode`` included), dilation and groups.

    Raises
    ------
    TypeError
        ``layer`` is not a ``Conv*d``, ``input_size`` is not an int or a sequence of ints,
        or ``ignore_bias`` is not a bool.
    ValueError
        The layer has a bias and ``ignore_bias`` is False, or ``input_size`` does not fit it.

    Examples
    --------
    >>> import torch
    >>> from linop.interop.torch_conversion import convolution_record
    >>> layer = torch.nn.Conv2d(3, 4, 3, padding="same", padding_mode="reflect", bias=False)
    >>> kernel, record = convolution_record(layer, (8, 8))
    >>> kernel.shape, record.output_shape, record.boundary
    ((3, 3, 3, 4), (8, 8, 4), 'reflect')
    """
    ndim = _spatial_dims(layer, ("Conv1d", "Conv2d", "Conv3d"))
    _check_bias(layer, ignore_bias)
    size = _spatial_size(input_size, ndim, layer)
    if isinstance(layer.padding, str):
        padding: Any = layer.padding  # "valid", or "same" (PyTorch allows it at stride 1 only, where it agrees)
    else:
        padding = [(int(p), int(p)) for p in layer.padding]
    kernel = _kernel_from_weight(layer.weight)
    record = ConvRecord.resolve(
        kernel.shape,
        size + (layer.in_channels,),
        stride=tuple(layer.stride),
        padding=padding,
        dilation=tuple(layer.dilation),
        groups=layer.groups,
        boundary=LINOP_BOUNDARY[layer.padding_mode],
    )
    return kernel, record


def _conv_torch_arguments(g: ConvGeometry) -> dict:
    """The keyword arguments of an equivalent ``Conv*d`` (without the weight), or :class:`TorchCannotExpress`."""
    if g.boundary not in TORCH_PADDING_MODE:
        raise TorchCannotExpress(
            f"boundary={g.boundary!r}: PyTorch's padding modes are zeros, reflect, replicate and circular "
            f"(no {g.boundary!r}, which repeats the edge sample)"
        )
    if g.boundary == "wrap" and any(max(lo, hi) > ax.n for ax, (lo, hi) in zip(g.axes, g.padding)):
        raise TorchCannotExpress(
            f"circular padding {g.padding} wraps around more than once on an axis of size "
            f"{g.input_size}: PyTorch pads circularly by at most the axis length"
        )
    if all(lo == hi for lo, hi in g.padding):
        padding: Any = tuple(lo for lo, _ in g.padding)
    elif all(s == 1 for s in g.stride) and g.padding == resolve_padding(
        "same", g.input_size, g.kernel_size, g.stride, g.dilation
    ):
        padding = "same"
    else:
        reason = (
            "PyTorch's 'same' exists at stride 1 only"
            if any(s > 1 for s in g.stride)
            else "it is not PyTorch's 'same' split (low = total // 2)"
        )
        raise TorchCannotExpress(
            f"padding {g.padding} is asymmetric and {reason}: a ConvNd pads both sides of an axis equally "
            "(pad with torch.nn.functional.pad first, as linop.interop.torch_conversion.torch_map does)"
        )
    return dict(
        in_channels=g.in_channels,
        out_channels=g.out_channels,
        kernel_size=g.kernel_size,
        stride=g.stride,
        padding=padding,
        dilation=g.dilation,
        groups=g.groups,
        padding_mode=TORCH_PADDING_MODE[g.boundary],
    )


def convolution_layer(kernel: np.ndarray, record: ConvRecord):
    """The ``torch.nn.Conv1d/2d/3d`` (no bias) of a kernel and a parameter record, channels first.

    What :meth:`linop.Convolution.to_torch` returns. A single-channel record (no channel
    axis) becomes a layer with one input and one output channel; the layer's dtype is the
    kernel's.

    Parameters
    ----------
    kernel : ndarray
        The kernel, of shape ``record.kernel_shape``.
    record : ConvRecord
        The convolution's parameters.

    Returns
    -------
    torch.nn.Conv1d, Conv2d or Conv3d

    Raises
    ------
    TorchCannotExpress
        ``symmetric`` boundary, circular padding wider than the axis, asymmetric padding
        other than PyTorch's ``"same"`` at stride 1, more than three spatial axes.

    Examples
    --------
    >>> from linop.geometry import ConvRecord
    >>> from linop.interop.torch_conversion import convolution_layer
    >>> convolution_layer(
    ...     np.ones((3, 3, 2, 4)), ConvRecord.resolve((3, 3, 2, 4), (8, 8, 2), padding=1, boundary="edge")
    ... )
    Conv2d(2, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), bias=False, padding_mode=replicate)
    """
    torch = _torch()
    g = record.geometry
    if not 1 <= g.ndim <= 3:
        raise TorchCannotExpress(f"PyTorch has Conv1d/2d/3d; this convolution has {g.ndim} spatial axes")
    arguments = _conv_torch_arguments(g)
    return _layer_with_weight(f"Conv{g.ndim}d", arguments, torch.from_numpy(_weight_from_kernel(kernel, record)))


# -- ConvTranspose*d -----------------------------------------------------------------------------
def conv_transpose_record(
    layer: Any, input_size: int | Sequence[int], *, ignore_bias: bool = False
) -> tuple[np.ndarray, ConvRecord]:
    """The kernel and record of the convolution whose adjoint a ``torch.nn.ConvTranspose1d/2d/3d`` is.

    The layer's output size per axis is
    ``n = (m - 1) s - 2 p + d (k - 1) + output_padding + 1``
    (:func:`linop.geometry.transposed_conv_size`); the layer is the adjoint of the
    convolution of ``n`` samples with pads ``(p, p_hi)``, ``p_hi`` chosen so that it has
    ``m`` outputs (:func:`linop.geometry.matching_high_padding`), with the *conjugated*
    kernel: PyTorch's layer is the transpose, not the adjoint, of the convolution with
    its weight (they differ for complex layers). :meth:`linop.ConvTranspose.from_torch`
    makes its operator from these.

    Parameters
    ----------
    layer : torch.nn.ConvTranspose1d, ConvTranspose2d or ConvTranspose3d
        The layer (not modified).
    input_size : int or tuple of int
        Spatial sizes ``(m_1..m_d)`` of the layer's input.
    ignore_bias : bool, default False
        Convert a layer with a bias by leaving the bias out.

    Returns
    -------
    kernel : ndarray
        ``conj(K)`` for the layer's kernel ``K``, ``(k_1..k_d, c_out/G, c_in)``.
    record : ConvRecord
        The convolution from ``(n_1..n_d, c_out)`` to ``(m_1..m_d, c_in)``.

    Raises
    ------
    TypeError
        ``layer`` is not a ``ConvTranspose*d``, ``input_size`` is not an int or a sequence
        of ints, or ``ignore_bias`` is not a bool.
    ValueError
        A bias without ``ignore_bias``, a non-zeros ``padding_mode``, or an
        ``output_padding`` whose last samples no input can reach (PyTorch fills them
        with zeros; a linop ConvTranspose has no such samples).

    Examples
    --------
    >>> import torch
    >>> from linop.interop.torch_conversion import conv_transpose_record
    >>> layer = torch.nn.ConvTranspose1d(4, 2, 3, stride=2, padding=1, output_padding=1, bias=False)
    >>> kernel, record = conv_transpose_record(layer, 5)
    >>> record.input_shape, record.output_shape
    ((10, 2), (5, 4))
    """
    ndim = _spatial_dims(layer, ("ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d"))
    _check_bias(layer, ignore_bias)
    if layer.padding_mode != "zeros":
        raise ValueError(f"padding_mode={layer.padding_mode!r}: PyTorch's transposed convolutions support 'zeros' only")
    m = _spatial_size(input_size, ndim, layer)
    kernel = _kernel_from_weight(layer.weight, conjugate=True)  # the layer is conv(W)^T = conv(conj W)^H
    sizes, pads = [], []
    for a in range(ndim):
        k, s, d, p, op = (
            layer.kernel_size[a],
            layer.stride[a],
            layer.dilation[a],
            layer.padding[a],
            layer.output_padding[a],
        )
        n = transposed_conv_size(m[a], k, s, d, p, op)
        if n < 1:
            raise ValueError(f"the layer's output would have size {n} on axis {a} for input size {m[a]}")
        high = matching_high_padding(n, k, s, d, p, m[a])
        if high is None:
            raise ValueError(
                f"output_padding={op} on axis {a} exceeds padding + stride - 1 = {p + s - 1}: its last "
                f"{op - p - s + 1} samples are zeros no input reaches, which a linop ConvTranspose cannot express"
            )
        sizes.append(n)
        pads.append((p, high))
    record = ConvRecord.resolve(
        kernel.shape,
        tuple(sizes) + (layer.out_channels,),
        stride=tuple(layer.stride),
        padding=pads,
        dilation=tuple(layer.dilation),
        groups=layer.groups,
    )
    return kernel, record


def _conv_transpose_torch_arguments(g: ConvGeometry) -> dict:
    if g.boundary != "constant":
        raise TorchCannotExpress(f"boundary={g.boundary!r}: PyTorch's ConvTranspose*d supports zero padding only")
    output_padding = tuple(transposed_output_padding(ax) for ax in g.axes)
    for a, (ax, op_a) in enumerate(zip(g.axes, output_padding)):
        if op_a < 0:
            raise TorchCannotExpress(
                f"padding {g.padding[a]} on axis {a} has a larger high pad than low pad: PyTorch's ConvTranspose "
                f"crops its padding from both sides equally and would need output_padding={op_a} < 0"
            )
        if op_a >= max(ax.stride, ax.dilation):
            raise TorchCannotExpress(
                f"axis {a} needs output_padding={op_a}, but PyTorch requires output_padding < max(stride, dilation) "
                f"= {max(ax.stride, ax.dilation)} (the high pad {ax.pad_high} adds samples no output reads)"
            )
    return dict(
        in_channels=g.out_channels,
        out_channels=g.in_channels,
        kernel_size=g.kernel_size,
        stride=g.stride,
        padding=tuple(ax.pad_low for ax in g.axes),
        output_padding=output_padding,
        dilation=g.dilation,
        groups=g.groups,
    )


def conv_transpose_layer(kernel: np.ndarray, record: ConvRecord):
    """The ``torch.nn.ConvTranspose1d/2d/3d`` (no bias) that is the adjoint of a convolution, channels first.

    What :meth:`linop.ConvTranspose.to_torch` returns, for the kernel and record of the
    convolution it transposes, with the ``output_padding`` that makes the sizes meet. The
    layer's weight is the conjugate of ``kernel`` (in PyTorch's layout): PyTorch's
    ``ConvTransposeNd`` with weight ``W`` is the transpose of ``convNd`` with ``W``.

    Parameters
    ----------
    kernel : ndarray
        The convolution's kernel, of shape ``record.kernel_shape``.
    record : ConvRecord
        The convolution's parameters.

    Returns
    -------
    torch.nn.ConvTranspose1d, ConvTranspose2d or ConvTranspose3d

    Raises
    ------
    TorchCannotExpress
        A boundary other than zeros, a high pad larger than the low pad, an
        ``output_padding`` PyTorch refuses (``>= max(stride, dilation)``), more than three
        spatial axes.

    Examples
    --------
    >>> from linop.geometry import ConvRecord
    >>> from linop.interop.torch_conversion import conv_transpose_layer
    >>> conv_transpose_layer(np.ones((3, 2, 4)), ConvRecord.resolve((3, 2, 4), (10, 2), stride=2, padding=1))
    ConvTranspose1d(4, 2, kernel_size=(3,), stride=(2,), padding=(1,), output_padding=(1,), bias=False)
    """
    torch = _torch()
    g = record.geometry
    if not 1 <= g.ndim <= 3:
        raise TorchCannotExpress(f"PyTorch has ConvTranspose1d/2d/3d; this operator has {g.ndim} spatial axes")
    arguments = _conv_transpose_torch_arguments(g)
    # op = conv(K)^H = conv(conj K)^T, and PyTorch's ConvTranspose(W) is conv(W)^T: W holds conj K.
    weight = torch.from_numpy(_weight_from_kernel(kernel, record).conj())
    return _layer_with_weight(f"ConvTranspose{g.ndim}d", arguments, weight)


# -- torch's own functions on any device ----------------------------------------------------------
def _convolution_parts(op: Any) -> tuple[np.ndarray, ConvRecord, bool] | None:
    """``(kernel, record, adjoint)`` when ``op`` computes a convolution (``adjoint=False``) or its
    adjoint (``True``), told by its block structure; ``None`` for anything else, a subclass that
    replaces the numerics included (its structure is ``None``)."""
    structure = op.block_structure() if hasattr(op, "block_structure") else None
    adjoint = False
    if isinstance(structure, Adjoint):
        structure, adjoint = structure.op.block_structure(), True
    if isinstance(structure, Stencil) and hasattr(structure.blocks, "record") and hasattr(structure.blocks, "kernel"):
        return structure.blocks.kernel, structure.blocks.record, adjoint
    return None


def torch_map(op: Any, *, adjoint: bool = False) -> Callable | None:
    """``t -> A t`` (or ``A^H t``) computed by torch's own convolution functions, for channels-last tensors.

    For a :class:`~linop.Convolution` (or a :class:`~linop.ConvTranspose`, whose forward
    is the convolution's adjoint) with a boundary PyTorch pads with: the forward map is
    ``convNd(pad(x))`` and the adjoint ``conv_transposeNd`` with the conjugated weight
    and ``output_padding = P - used_size`` on the padded grid, then the adjoint of the
    padding. Zero padding is ``F.pad`` and its adjoint a crop; the other boundaries copy,
    per axis, the input sample each padded position folds to
    (:meth:`linop.geometry.AxisGeometry.source_index`, any width, wrapping around as
    often as needed) and their adjoint adds each padded sample back onto that input
    sample (``index_add``). This is the path ``A.apply(t)`` takes for tensors on a GPU.
    The operator is recognised by its block structure
    (:meth:`linop.ShapedOperator.block_structure`), so a subclass with numerics of its
    own is not mistaken for its base.

    Parameters
    ----------
    op : ShapedOperator
        The operator.
    adjoint : bool, default False
        Map with ``A^H`` instead of ``A``.

    Returns
    -------
    callable or None
        A function of one tensor ``(..., *shape)`` returning a tensor of the same device
        and dtype, differentiable; ``None`` for any other operator (the caller then
        computes through NumPy).

    Raises
    ------
    TypeError
        ``adjoint`` is not a bool.

    Examples
    --------
    >>> import torch
    >>> from linop.interop.torch_conversion import torch_map
    >>> A = linop.Convolution(np.array([1.0, 2.0, 1.0]), (5,), padding=1, boundary="reflect")
    >>> torch_map(A)(torch.ones(5))
    tensor([4., 4., 4., 4., 4.])
    >>> torch_map(A, adjoint=True)(torch.ones(5))
    tensor([3., 5., 4., 5., 3.])
    """
    adjoint = check_flag(adjoint, "adjoint")
    parts = _convolution_parts(op)
    if parts is None:
        return None
    kernel, record, transposed = parts
    adjoint = adjoint != transposed
    g = record.geometry
    if g.boundary not in TORCH_PADDING_MODE or not 1 <= g.ndim <= 3:
        return None
    torch = _torch()
    functional = torch.nn.functional
    weight_np = _weight_from_kernel(kernel, record)
    dtype_name = kernel.dtype.name
    pad, unpad = _padding_maps(g)
    shape_in, shape_out = (g.output_shape, g.input_shape) if adjoint else (g.input_shape, g.output_shape)

    def channels_first(t):
        batch = tuple(t.shape[: t.dim() - len(shape_in)])
        t = t.reshape((-1,) + shape_in)
        return (t.movedim(-1, 1) if g.channels else t.unsqueeze(1)), batch

    def channels_last(t, batch):
        t = t.movedim(1, -1) if g.channels else t.squeeze(1)
        return t.reshape(batch + shape_out)

    def run(t):
        if tuple(t.shape[t.dim() - len(shape_in) :]) != shape_in:
            raise ValueError(f"expected shape (..., {', '.join(map(str, shape_in))}); got {tuple(t.shape)}")
        work_dtype = torch.promote_types(t.dtype, getattr(torch, dtype_name))
        weight = torch.from_numpy(weight_np).to(device=t.device, dtype=work_dtype)
        x, batch = channels_first(t.to(work_dtype))
        if not adjoint:
            out = getattr(functional, f"conv{g.ndim}d")(
                pad(x), weight, stride=g.stride, dilation=g.dilation, groups=g.groups
            )
        else:
            output_padding = tuple(ax.padded_size - ax.used_size for ax in g.axes)
            grid = getattr(functional, f"conv_transpose{g.ndim}d")(
                x, weight.conj(), stride=g.stride, output_padding=output_padding, dilation=g.dilation, groups=g.groups
            )
            out = unpad(grid)
        return channels_last(out, batch).to(result_tensor_dtype(t.dtype, out.dtype))

    return run


def _padding_maps(g: Any) -> tuple[Callable, Callable]:
    """``pad`` and its adjoint ``unpad`` on channels-first tensors ``(N, C, *spatial)``, for the boundary of ``g``.

    Zero padding is ``F.pad`` (any width) and its adjoint the crop. The other boundaries
    gather, per axis, the input sample each padded position copies
    (``AxisGeometry.source_index``), and their adjoint scatters each padded sample back
    onto it with ``index_add``: the fold, at any pad width (``F.pad`` refuses circular
    pads wider than the axis). Both are differentiable to every order.
    """
    torch = _torch()
    if not g.has_padding:
        return (lambda x: x), (lambda grid: grid)
    if g.boundary == "constant":
        flat_pads = [p for pair in reversed(g.padding) for p in pair]
        crop = (slice(None), slice(None)) + tuple(slice(lo, lo + ax.n) for ax, (lo, _) in zip(g.axes, g.padding))
        return (lambda x: torch.nn.functional.pad(x, flat_pads)), (lambda grid: grid[crop])
    sources = [torch.from_numpy(ax.source_index(g.boundary)) for ax in g.axes]

    def pad(x):
        for a, source in enumerate(sources):
            x = x.index_select(2 + a, source.to(x.device))
        return x

    def unpad(grid):
        for a, (ax, source) in enumerate(zip(g.axes, sources)):
            shape = grid.shape[: 2 + a] + (ax.n,) + grid.shape[3 + a :]
            grid = grid.new_zeros(shape).index_add(2 + a, source.to(grid.device), grid)
        return grid

    return pad, unpad
