"""Exact conversion between linop's convolutions and PyTorch's ``Conv*d`` / ``ConvTranspose*d`` layers.

The conversions of operators: each function here is the record-level conversion of
:mod:`linop.interop.torch_conversion` with the operator made from the record (or read
from it). ``Convolution.from_torch``, ``Convolution.to_torch``, ``ConvTranspose.from_torch``
and ``ConvTranspose.to_torch`` give the same results. See
:mod:`linop.interop.torch_conversion` for what PyTorch can express.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..operators.convolution import Convolution, ConvTranspose
from .torch_conversion import TorchCannotExpress as TorchCannotExpress
from .torch_conversion import torch_map as torch_map

__all__ = [
    "conv_from_torch",
    "conv_to_torch",
    "conv_transpose_from_torch",
    "conv_transpose_to_torch",
]


def _check_kind(op: object, kind: type) -> None:
    if not isinstance(op, kind):
        raise TypeError(f"op must be a linop.{kind.__name__}; got {type(op).__module__}.{type(op).__name__}")


def conv_from_torch(layer: Any, input_size: int | Sequence[int], *, ignore_bias: bool = False) -> Convolution:
    """The :class:`~linop.Convolution` of a ``torch.nn.Conv1d/2d/3d`` for inputs of spatial size ``input_size``.

    Parameters
    ----------
    layer : torch.nn.Conv1d, Conv2d or Conv3d
        The layer (not modified).
    input_size : int or tuple of int
        The spatial sizes ``(n_1..n_d)``; the operator's input shape is ``(n_1..n_d, c_in)``.
    ignore_bias : bool, default False
        Convert a layer with a bias by leaving the bias out.

    Returns
    -------
    Convolution
        Same weights, stride, padding (``"same"`` and ``padding_mode`` included), dilation
        and groups, channels last. The dtype is the layer's; a float16 or bfloat16 layer
        gives a float32 operator (which holds its weights exactly), a complex32 layer a
        complex64 one.

    Raises
    ------
    TypeError
        ``layer`` is not a ``Conv*d``, ``input_size`` is not an int or a sequence of ints,
        or ``ignore_bias`` is not a bool.
    ValueError
        The layer has a bias and ``ignore_bias`` is False, or ``input_size`` does not fit it.

    Examples
    --------
    >>> import torch, linop
    >>> layer = torch.nn.Conv2d(3, 4, 3, padding="same", padding_mode="reflect", bias=False)
    >>> A = linop.Convolution.from_torch(layer, (8, 8))
    >>> A.input_shape, A.output_shape, A.boundary
    ((8, 8, 3), (8, 8, 4), 'reflect')
    """
    return Convolution.from_torch(layer, input_size, ignore_bias=ignore_bias)


def conv_to_torch(op: Convolution):
    """The ``torch.nn.Conv1d/2d/3d`` (no bias) that computes ``op`` channels first.

    A single-channel operator (no channel axis) becomes a layer with one input and one
    output channel. The layer's dtype is the kernel's.

    Parameters
    ----------
    op : Convolution
        The convolution.

    Returns
    -------
    torch.nn.Conv1d, Conv2d or Conv3d

    Raises
    ------
    TypeError
        ``op`` is not a :class:`~linop.Convolution`.
    TorchCannotExpress
        ``symmetric`` boundary, circular padding wider than the axis, asymmetric padding
        other than PyTorch's ``"same"`` at stride 1, more than three spatial axes.

    Examples
    --------
    >>> import numpy as np, linop
    >>> A = linop.Convolution(np.ones((3, 3, 2, 4)), (8, 8, 2), padding=1, boundary="edge")
    >>> A.to_torch()
    Conv2d(2, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), bias=False, padding_mode=replicate)
    """
    _check_kind(op, Convolution)
    return op.to_torch()


def conv_transpose_from_torch(
    layer: Any, input_size: int | Sequence[int], *, ignore_bias: bool = False
) -> ConvTranspose:
    """The :class:`~linop.ConvTranspose` of a ``torch.nn.ConvTranspose1d/2d/3d`` for inputs of spatial
    size ``input_size``.

    The layer's output size per axis is
    ``n = (m - 1) s - 2 p + d (k - 1) + output_padding + 1``
    (:func:`linop.geometry.transposed_conv_size`); the result is the adjoint of the
    convolution of ``n`` samples with pads ``(p, p_hi)``, ``p_hi`` chosen so that it has
    ``m`` outputs (:func:`linop.geometry.matching_high_padding`).

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
    ConvTranspose
        Maps ``(m_1..m_d, c_in)`` to ``(n_1..n_d, c_out)``: ``ConvTranspose(conj(K))``
        for the layer's kernel ``K``, since PyTorch's layer is the transpose, not the
        adjoint, of the convolution with its weight (they differ for complex layers). The
        dtype follows the layer as for :func:`conv_from_torch`.

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
    >>> import torch, linop
    >>> layer = torch.nn.ConvTranspose1d(4, 2, 3, stride=2, padding=1, output_padding=1, bias=False)
    >>> T = linop.ConvTranspose.from_torch(layer, 5)
    >>> T.input_shape, T.output_shape
    ((5, 4), (10, 2))
    """
    return ConvTranspose.from_torch(layer, input_size, ignore_bias=ignore_bias)


def conv_transpose_to_torch(op: ConvTranspose):
    """The ``torch.nn.ConvTranspose1d/2d/3d`` (no bias) that computes ``op`` channels first, with its
    ``output_padding``.

    Parameters
    ----------
    op : ConvTranspose
        The transposed convolution.

    Returns
    -------
    torch.nn.ConvTranspose1d, ConvTranspose2d or ConvTranspose3d

    The layer's weight is the conjugate of ``op.kernel`` (in PyTorch's layout): PyTorch's
    ``ConvTransposeNd`` with weight ``W`` is the transpose of ``convNd`` with ``W``, and
    ``op`` is the adjoint of the convolution with ``op.kernel``.

    Raises
    ------
    TypeError
        ``op`` is not a :class:`~linop.ConvTranspose`.
    TorchCannotExpress
        A boundary other than zeros, a high pad larger than the low pad, an
        ``output_padding`` PyTorch refuses (``>= max(stride, dilation)``), more than three
        spatial axes.

    Examples
    --------
    >>> import numpy as np, linop
    >>> T = linop.ConvTranspose(np.ones((3, 2, 4)), (10, 2), stride=2, padding=1)
    >>> T.to_torch()
    ConvTranspose1d(4, 2, kernel_size=(3,), stride=(2,), padding=(1,), output_padding=(1,), bias=False)
    """
    _check_kind(op, ConvTranspose)
    return op.to_torch()
