"""linop: linear operators, above all convolutions, that a person can see, use and trust.

* :class:`Convolution`, :class:`ConvTranspose`, :class:`KernelConvolution` and the building
  blocks :class:`Pad`, :class:`Subsample`, :class:`Identity` are shaped
  :class:`scipy.sparse.linalg.LinearOperator` s with exact adjoints.
* :mod:`linop.geometry` states the index arithmetic of a convolution once.
"""

from ._version import __version__
from .operators import (
    AdjointOperator,
    Composition,
    ConvTranspose,
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

__all__ = [
    "AdjointOperator",
    "Composition",
    "ConvTranspose",
    "Convolution",
    "Identity",
    "KernelConvolution",
    "Pad",
    "ScaledOperator",
    "ShapedOperator",
    "Subsample",
    "SumOperator",
    "TransposeOperator",
    "__version__",
]
