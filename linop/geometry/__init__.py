"""The index arithmetic of a convolution, stated once.

Everything in linop that needs to know which input pixel meets which kernel tap reads
it from here: the numeric kernels, the operators, the symbolic layer, the formula
catalogue, the Dask halo plan and the PyTorch conversion. One module per job:

* :mod:`linop.geometry.axis`: one spatial axis (:class:`AxisGeometry`): output size,
  the forward map ``i = s*j + d*t - p_lo`` and its inverse, polyphase taps;
* :mod:`linop.geometry.boundary`: the boundary modes, :func:`fold_index` and
  :func:`fold_pieces`;
* :mod:`linop.geometry.convolution`: the whole convolution (:class:`ConvGeometry`):
  channels, groups, :func:`resolve_padding`, the layouts (:func:`conv_geometry`);
* :mod:`linop.geometry.record`: the parameter record (:class:`ConvRecord`) every view of
  a convolution is made from;
* :mod:`linop.geometry.blocks`: chunks and halos of chunked arrays;
* :mod:`linop.geometry.transposed_sizes`: the size algebra of PyTorch's transposed
  convolutions.

Per spatial axis, with input length ``n``, kernel length ``k``, stride ``s``,
dilation ``d`` and padding ``(p_lo, p_hi)``: kernel extent ``e = d*(k - 1) + 1``, padded
length ``P = n + p_lo + p_hi``, output length ``m = floor((P - e) / s) + 1``; output
``j`` meets kernel tap ``t`` at input index ``i = s*j + d*t - p_lo``, folded back into
``[0, n)`` by the boundary mode. This package imports only NumPy and linop's argument
checks (:mod:`linop.arguments`).
"""

from __future__ import annotations

from ..deprecation import moved_names
from .axis import AxisGeometry
from .axis import kernel_extent as kernel_extent
from .blocks import block_bounds, block_input_range, input_block_bounds, output_block_bounds, window_centre
from .boundary import (
    BOUNDARY_ALIASES,
    BOUNDARY_MODES,
    FoldPiece,
    canonical_boundary,
    fold_index,
    fold_pieces,
    max_pad_width,
)
from .convolution import MAX_SAMPLES as MAX_SAMPLES
from .convolution import PADDING_DOMINANCE as PADDING_DOMINANCE
from .convolution import PADDING_SLACK as PADDING_SLACK
from .convolution import ConvGeometry, PaddingSpec, conv_geometry, pad_geometry, resolve_padding
from .record import METHODS as METHODS
from .record import ConvParameters, ConvRecord, register_numeric_view
from .transposed_sizes import matching_high_padding, transposed_conv_size, transposed_output_padding

__all__ = [
    "BOUNDARY_ALIASES",
    "BOUNDARY_MODES",
    "AxisGeometry",
    "ConvGeometry",
    "ConvParameters",
    "ConvRecord",
    "FoldPiece",
    "PaddingSpec",
    "block_bounds",
    "block_input_range",
    "canonical_boundary",
    "conv_geometry",
    "fold_index",
    "fold_pieces",
    "input_block_bounds",
    "matching_high_padding",
    "max_pad_width",
    "output_block_bounds",
    "pad_geometry",
    "register_numeric_view",
    "resolve_padding",
    "transposed_conv_size",
    "transposed_output_padding",
    "window_centre",
]

#: Argument checks that lived here before they moved to :mod:`linop.arguments`.
__getattr__ = moved_names(
    __name__, {"check_flag": "linop.arguments:check_flag", "per_axis": "linop.arguments:per_axis"}
)
