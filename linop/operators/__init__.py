"""Shaped linear operators: convolution, its transpose, the kernel operator and building blocks."""

from .base import (
    AdjointOperator,
    Composition,
    ScaledOperator,
    ShapedOperator,
    SumOperator,
    TransposeOperator,
)
from .convolution import Convolution, ConvTranspose
from .kernel_convolution import KernelConvolution
from .pad import Pad
from .sampling import Identity, Subsample

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
]
