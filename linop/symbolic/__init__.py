"""Exact, symbolic linear operators: matrices with the kernel's symbols, derived adjoints, proofs.

* :class:`Convolution`: a convolution layer in exact arithmetic (same keywords as
  :class:`linop.Convolution`): ``.matrix``, ``.adjoint_matrix``, ``.forward_formula``,
  ``.adjoint_formula`` and the checks ``check_linearity``, ``check_shape_reversal``,
  ``check_adjoint_identity``, ``check_adjoint_formula``, ``prove``;
  ``linop.Convolution(...).symbolic()`` gives the twin of a numeric operator.
* :class:`AffineSum` and :func:`derive_adjoint`: any linear map written as an
  affine-index sum (convolution, subsampling, zero insertion, padding, finite
  differences; :mod:`linop.symbolic.formulas`) and the derivation of its adjoint.
* :class:`ProofResult`: what every check returns (``holds``, the statement, the steps,
  a counterexample, ``.text()``, ``.latex()``, ``.markdown()``).
* :func:`prove_all_sizes`: the adjoint formula for symbolic sizes, stride, dilation and
  padding, by re-indexing the double sum.

Operators above :data:`MAX_SYMBOLIC_ENTRIES` structural entries raise
:class:`SymbolicSizeError` (a ``ValueError``); check those numerically with
:mod:`linop.verify`.
"""

from .affine_sum import AffineSum, SumTerm, index_symbols
from .all_sizes import prove_all_sizes
from .derive import derive_adjoint
from .evaluate import formula_entries, lambdify_formula, sparse_entries
from .exact_checks import Counterexample, ProofReport, ProofResult
from .formulas import (
    convolution_formula,
    finite_difference_formula,
    kernel_operator_formula,
    padding_formula,
    subsampling_formula,
    zero_insertion_formula,
)
from .kernels import exact_kernel, exact_number, kernel_symbols
from .limits import MAX_SYMBOLIC_ENTRIES, SymbolicSizeError
from .operators import Convolution
from .steps import Formula, Step

__all__ = [
    "MAX_SYMBOLIC_ENTRIES",
    "AffineSum",
    "Convolution",
    "Counterexample",
    "Formula",
    "ProofReport",
    "ProofResult",
    "Step",
    "SumTerm",
    "SymbolicSizeError",
    "convolution_formula",
    "derive_adjoint",
    "exact_kernel",
    "exact_number",
    "finite_difference_formula",
    "formula_entries",
    "index_symbols",
    "kernel_operator_formula",
    "kernel_symbols",
    "lambdify_formula",
    "padding_formula",
    "prove_all_sizes",
    "sparse_entries",
    "subsampling_formula",
    "zero_insertion_formula",
]
