"""The size algebra of transposed convolutions written the PyTorch way.

PyTorch describes a transposed convolution by the padding it *crops* from the full
transposed result and an ``output_padding`` added at the high end, where linop describes
it as the adjoint of a convolution with a given input size. These functions convert
between the two descriptions; :mod:`linop.interop` uses them to convert layers.
"""

from __future__ import annotations

from .axis import AxisGeometry, kernel_extent

__all__ = ["matching_high_padding", "transposed_conv_size", "transposed_output_padding"]


def transposed_conv_size(
    m: int, k: int, stride: int = 1, dilation: int = 1, padding: int = 0, output_padding: int = 0
) -> int:
    """Output length of a transposed convolution written the PyTorch way (input length ``m``).

    .. math::

        n = (m - 1)\\,s - 2p + d\\,(k - 1) + \\mathrm{output\\_padding} + 1

    It is the input length ``n`` of the convolution it transposes; see
    :func:`transposed_output_padding` for the way back.

    Parameters
    ----------
    m : int
        The transposed convolution's input length (the convolution's output length).
    k : int
        The kernel length.
    stride, dilation : int, default 1
        As in the convolution.
    padding : int, default 0
        Cropped from both ends of the full transposed result.
    output_padding : int, default 0
        Extra samples at the high end.

    Returns
    -------
    int
        The output length ``n``.

    Examples
    --------
    >>> from linop.geometry import transposed_conv_size
    >>> transposed_conv_size(4, 3, stride=2, padding=1, output_padding=1)  # 4 -> 8, as in ConvTranspose1d
    8
    """
    return (m - 1) * stride - 2 * padding + kernel_extent(k, dilation) + output_padding


def matching_high_padding(n: int, k: int, stride: int, dilation: int, pad_low: int, output_size: int) -> int | None:
    """A high pad ``p_hi >= 0`` with which a convolution of an axis of length ``n`` has ``output_size`` outputs.

    ``floor((n + p_lo + p_hi - d (k-1) - 1) / s) + 1 = m`` holds for
    ``p_hi`` in ``[h, h + s - 1]`` with ``h = (m - 1) s + d (k-1) + 1 - n - p_lo``; the
    symmetric ``p_hi = p_lo`` is preferred when it lies in that range, else the smallest
    non-negative one.

    Parameters
    ----------
    n, k : int
        The input and kernel lengths.
    stride, dilation : int
        As in the convolution.
    pad_low : int
        The low pad ``p_lo``.
    output_size : int
        The number of outputs ``m`` wanted.

    Returns
    -------
    int or None
        The high pad, or ``None`` when the range holds no non-negative pad (the input is
        longer than ``m`` outputs can read).

    Examples
    --------
    >>> from linop.geometry import matching_high_padding
    >>> matching_high_padding(8, 3, stride=2, dilation=1, pad_low=1, output_size=4)
    1
    >>> matching_high_padding(9, 3, stride=2, dilation=1, pad_low=0, output_size=3) is None
    True
    """
    lowest = (output_size - 1) * stride + kernel_extent(k, dilation) - n - pad_low
    if lowest <= pad_low <= lowest + stride - 1:
        return pad_low
    candidate = max(0, lowest)
    return candidate if candidate <= lowest + stride - 1 else None


def transposed_output_padding(axis: AxisGeometry) -> int:
    """The ``output_padding`` with which PyTorch's transposed convolution is the adjoint on ``axis``.

    ``n + 2 p_lo - used_size``: the ``output_padding`` a transposed convolution that crops
    ``p_lo`` samples on both sides (PyTorch's ``ConvTranspose`` with ``padding=p_lo``) needs
    to return exactly the ``n`` input samples.

    That transposed convolution computes the ``used_size = s (m-1) + d (k-1) + 1``
    samples of the zero-inserted correlation, extends them with zeros to
    ``used_size + output_padding`` and drops ``p_lo`` at both ends; the adjoint
    keeps ``[p_lo, p_lo + n)`` of the same samples, so the two agree exactly when this
    number is used. It lies in ``[p_lo - p_hi, p_lo - p_hi + s - 1]`` (negative when the
    high pad exceeds the low one: then no such transposed convolution exists).

    Parameters
    ----------
    axis : AxisGeometry
        The convolution's axis.

    Returns
    -------
    int
        The ``output_padding`` (possibly negative, see above).

    Examples
    --------
    >>> from linop.geometry import AxisGeometry, transposed_output_padding
    >>> transposed_output_padding(AxisGeometry(n=8, k=3, stride=2, pad_low=1, pad_high=1))
    1
    """
    return axis.n + 2 * axis.pad_low - axis.used_size
