"""linop: linear operators, above all convolutions, that a person can see, use and trust.

* :class:`Convolution`, :class:`ConvTranspose`, :class:`KernelConvolution` and the building
  blocks :class:`Pad`, :class:`Subsample`, :class:`Identity` are shaped
  :class:`scipy.sparse.linalg.LinearOperator` s with exact adjoints.
* :mod:`linop.geometry` states the index arithmetic of a convolution once.
* :func:`from_formula` builds an operator from its forward index formula
  (``"y[i] = x[i + 1] - x[i] for i = 0..n-2"``): the adjoint is derived, proved and compiled
  (:mod:`linop.formula`; SymPy is imported when it is called, not with :mod:`linop`).
* :func:`verify` checks linearity, shape reversal and the adjoint of any scipy
  LinearOperator and returns a :class:`VerificationReport`; :mod:`linop.testing` has
  the matching assertions and hypothesis strategies.
* :mod:`linop.interop` adapts PyTorch, JAX and PyLops operators (``verify`` takes them
  directly), converts convolution layers to and from PyTorch, and passes their arrays
  through linop's operators; each framework is imported only when used.
"""

from ._version import __version__
from .errors import LinopError
from .formula import FormulaError, from_formula
from .operators import (
    AdjointOperator,
    Composition,
    Convolution,
    ConvTranspose,
    Identity,
    KernelConvolution,
    Pad,
    ScaledOperator,
    ShapedOperator,
    Subsample,
    SumOperator,
    TransposeOperator,
)
from .verification import VerificationReport, verify

__all__ = [
    "AdjointOperator",
    "Composition",
    "ConvTranspose",
    "Convolution",
    "FormulaError",
    "Identity",
    "KernelConvolution",
    "LinopError",
    "Pad",
    "ScaledOperator",
    "ShapedOperator",
    "Subsample",
    "SumOperator",
    "TransposeOperator",
    "VerificationReport",
    "__version__",
    "from_formula",
    "verify",
]
