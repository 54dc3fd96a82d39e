"""Exact proofs for a formula operator: the derived adjoint formula is the adjoint, for every coefficient.

:class:`FormulaProofs` is what :meth:`FormulaOperator.symbolic` returns. It evaluates the
forward formula and the derived adjoint formula (numeric sizes) entry by entry in exact
arithmetic (:func:`linop.symbolic.sparse_entries`), with the coefficient arrays as
*symbols* ``k[0], k[1], ...`` (real when the numeric array is real), so the statements
hold for every value of the coefficients, and runs the checks of
:mod:`linop.symbolic.exact_checks`: linearity, shape reversal, the adjoint identity
``<A x, y> = <x, A^H y>`` as a polynomial identity, and the adjoint formula against the
conjugate transpose (and, numerically, against the compiled ``A.H``).
:func:`check_negative_adjoint` proves relations such as ``div = -grad^H`` the same way.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from functools import cached_property
from typing import Any

import numpy as np
import sympy

from ..symbolic.affine_sum import AffineSum
from ..symbolic.evaluate import formula_entries, sparse_entries
from ..symbolic.exact_checks import (
    Counterexample,
    ProofReport,
    ProofResult,
    check_adjoint_formula,
    check_adjoint_identity,
    check_linearity,
    check_shape_reversal,
    index_text,
)
from ..symbolic.limits import check_size
from ..symbolic.matrix import conjugate_transpose, first_difference
from ..symbolic.steps import Formula, Step

__all__ = ["FormulaProofs", "check_negative_adjoint"]


def _structural_size(formula: AffineSum) -> int:
    """An upper bound of the index tuples the exact evaluation of a formula enumerates: per term,
    the product of its variables' ranges (free and summation variables, after the bounds and
    conditions have narrowed them, as the compiler does)."""
    from .compiler import CompileError, _prepare

    total = 0
    for t in formula.terms:
        try:
            term = _prepare(t)
        except CompileError:  # the compiler cannot read a bound: the box of the free variables, times x
            size = math.prod(max(int(hi) - int(lo) + 1, 0) for _, lo, hi in t.free)
            total += size * max(1, math.prod(int(n) for n in formula.source_shape) if t.sums else 1)
            continue
        if not term.empty:
            total += math.prod(hi - lo + 1 for lo, hi in term.ranges.values())
    return total


class FormulaProofs:
    """The exact twin of a formula operator: matrices from the formulas, and the proofs.

    Parameters
    ----------
    forward, adjoint : AffineSum
        The forward formula and the derived adjoint, with numeric sizes.
    arrays : dict
        The numeric coefficient arrays (their symbols are used; real arrays give real symbols).
    numeric : LinearOperator, optional
        The compiled operator, compared with the lambdified adjoint formula.
    max_entries : int, optional
        Override :data:`linop.symbolic.MAX_SYMBOLIC_ENTRIES`.
    """

    def __init__(
        self,
        forward: AffineSum,
        adjoint: AffineSum,
        arrays: Mapping[str, Any],
        *,
        numeric: Any = None,
        max_entries: int | None = None,
    ):
        self.forward_formula = forward
        self.adjoint_formula = adjoint
        self.arrays = {k: np.asarray(v) for k, v in arrays.items()}
        self.numeric = numeric
        self.max_entries = max_entries
        self.input_shape = tuple(int(n) for n in forward.source_shape)
        self.output_shape = tuple(int(n) for n in forward.target_shape)

    def _require_small(self, what: str) -> None:
        size = max(_structural_size(self.forward_formula), _structural_size(self.adjoint_formula))
        check_size(size, f"{what} of the formula {self.forward_formula}", self.max_entries)

    @cached_property
    def forward_entries(self) -> dict:
        """Exact entries ``{(row, column): value}`` of ``A`` from the forward formula (symbolic coefficients)."""
        self._require_small("the matrix")
        return sparse_entries(self.forward_formula)

    @cached_property
    def adjoint_entries(self) -> dict:
        """Exact entries of ``A^H`` from the derived adjoint formula."""
        self._require_small("the adjoint matrix")
        return sparse_entries(self.adjoint_formula)

    def check_linearity(self) -> ProofResult:
        """``A(a x + b y) = a A x + b A y`` with symbolic scalars and vectors."""
        return check_linearity(self.forward_entries, self.input_shape, self.output_shape)

    def check_adjoint_identity(self) -> ProofResult:
        """``<A x, y> = <x, A^H y>`` for all ``x``, ``y`` and all coefficient values, exactly."""
        return check_adjoint_identity(self.forward_entries, self.adjoint_entries, self.input_shape, self.output_shape)

    def check_shape_reversal(self) -> ProofResult:
        """``A: C^N -> C^M`` and ``A^H: C^M -> C^N``, and the adjoint formula stays inside the shapes."""
        m, n = math.prod(self.output_shape), math.prod(self.input_shape)
        self._require_small("the shape check")
        entries = formula_entries(self.adjoint_formula)
        return check_shape_reversal((m, n), (n, m), self.adjoint_formula, self.input_shape, self.output_shape, entries)

    def check_adjoint_formula(self, seed: int = 0) -> ProofResult:
        """The derived formula against the conjugate transpose of ``A``'s matrix, entry by entry, and
        (when the compiled operator is known) its lambdified values against the compiled ``A.H``."""
        numeric = None
        if self.numeric is not None:
            rng = np.random.default_rng(seed)
            y = rng.standard_normal(self.output_shape)
            if np.issubdtype(self.numeric.dtype, np.complexfloating):
                y = y + 1j * rng.standard_normal(self.output_shape)
            read = {str(b.label) for b in self.adjoint_formula.coefficient_arrays}  # not arrays=... it never reads
            numeric = (
                lambda v: self.numeric.H.apply(v.astype(np.complex128)),
                {k: v for k, v in self.arrays.items() if k in read},
                y,
            )
        return check_adjoint_formula(
            self.adjoint_formula,
            conjugate_transpose(self.forward_entries),
            {},
            numeric=numeric,
            tolerance=1e-5 if self._single() else 1e-9,
        )

    def _single(self) -> bool:
        return self.numeric is not None and np.dtype(self.numeric.dtype) in (np.float32, np.complex64)

    def prove(self) -> ProofReport:
        """Linearity, shape reversal, the adjoint identity and the adjoint formula, all exact."""
        return ProofReport(
            f"Proofs for {self.forward_formula}",
            (
                self.check_linearity(),
                self.check_shape_reversal(),
                self.check_adjoint_identity(),
                self.check_adjoint_formula(),
            ),
        )


def check_negative_adjoint(
    first: AffineSum, second: AffineSum, *, first_name: str = "B", second_name: str = "A"
) -> ProofResult:
    """Prove ``first = -second^H`` exactly (e.g. divergence = -gradient^H), entry by entry.

    Parameters
    ----------
    first, second : AffineSum
        Formulas with numeric sizes; ``first`` maps the output space of ``second`` back.
    first_name, second_name : str
        How they are called in the statement.
    """
    start = time.perf_counter()
    statement = Formula(f"{first_name} = -{second_name}^H", rf"{first_name} = -{second_name}^{{H}}")
    b = sparse_entries(first)
    a = sparse_entries(second)
    expected = {k: -v for k, v in conjugate_transpose(a).items()}
    steps = [
        Step(
            f"evaluated {second_name} ({len(a)} non-zero entries) and {first_name} ({len(b)}) "
            f"exactly from their formulas"
        ),
    ]
    shape_ok = (tuple(first.source_shape), tuple(first.target_shape)) == (
        tuple(second.target_shape),
        tuple(second.source_shape),
    )
    if not shape_ok:
        ce = Counterexample(
            "the shapes",
            str((first.source_shape, first.target_shape)),
            str((second.target_shape, second.source_shape)),
            first_name,
            f"{second_name}^H",
        )
        return ProofResult("negative adjoint", statement, False, tuple(steps), ce, time.perf_counter() - start)
    diff = first_difference(b, expected)
    if diff is not None:
        (r, c), lv, rv = diff
        ce = Counterexample(
            f"entry (row {index_text(r, first.target_shape)}, column {index_text(c, first.source_shape)})",
            lv,
            rv,
            first_name,
            f"-{second_name}^H",
        )
        return ProofResult("negative adjoint", statement, False, tuple(steps), ce, time.perf_counter() - start)
    steps.append(
        Step(
            f"{first_name} equals -conj({second_name})^T in all {len(expected)} non-zero entries (exact comparison)",
            sympy.Eq(sympy.Symbol(first_name), -sympy.Symbol(f"{second_name}^H")),
        )
    )
    return ProofResult("negative adjoint", statement, True, tuple(steps), None, time.perf_counter() - start)
