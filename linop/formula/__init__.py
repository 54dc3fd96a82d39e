"""Operators from index formulas: write the forward, get the adjoint derived, proved and compiled.

``linop.from_formula("y[i, j] = sum(m=0..1, n=0..1) x[2*i + m, 2*j + n] / 4", input_shape=(8, 8))``
is 2 x 2 average pooling: the adjoint formula is derived symbolically
(:func:`linop.symbolic.derive_adjoint`), both formulas are compiled to strided-slice
NumPy (:mod:`linop.formula.compiler`, :mod:`linop.formula.program`), and
``A.symbolic().prove()`` proves in exact arithmetic that the derived formula is the
adjoint. The grammar is in :mod:`linop.formula.grammar`; the catalogue of operators
defined this way is :mod:`linop.formula.catalogue`.

Importing this package imports neither SymPy nor the compiler: ``from_formula`` does,
when called.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .grammar import FormulaError
from .limits import (
    MAX_DEPTH,
    MAX_ENTRIES,
    MAX_FACTORS,
    MAX_NESTING,
    MAX_POWER_BITS,
    MAX_STEPS,
    MAX_TERMS,
    MAX_VARIABLES,
)
from .operator import FormulaOperator

__all__ = [
    "MAX_DEPTH",
    "MAX_ENTRIES",
    "MAX_FACTORS",
    "MAX_NESTING",
    "MAX_POWER_BITS",
    "MAX_STEPS",
    "MAX_TERMS",
    "MAX_VARIABLES",
    "FormulaError",
    "FormulaOperator",
    "from_formula",
]


def from_formula(
    formula: Any,
    *,
    sizes: Mapping[str, int] | None = None,
    arrays: Mapping[str, Any] | None = None,
    input_shape: int | Sequence[int] | None = None,
    output_shape: int | Sequence[int] | None = None,
    dtype: Any = None,
):
    """A linear operator from its forward index formula; the adjoint is derived, not written.

    .. math::

        y[t(f)] = \\sum_{\\text{terms}} \\sum_{s} [\\text{conditions}]\\; c(f, s)\\; x[a(f, s)]
        \\quad\\Longrightarrow\\quad
        (A^H y)[i] = \\sum_{(f, s):\\ a(f, s) = i} \\overline{c(f, s)}\\; y[t(f)]

    Parameters
    ----------
    formula : str or linop.symbolic.AffineSum
        The forward map, e.g. ``"y[i] = x[i + 1] - x[i] for i = 0..n-2"`` (grammar:
        :mod:`linop.formula.grammar` and the guide), or an ``AffineSum`` built in Python.
    sizes : dict, optional
        Values of the size names the formula uses, ``{"n": 7}``.
    arrays : dict, optional
        Coefficient arrays by name, ``{"k": kernel}`` (copied; real or complex).
    input_shape, output_shape : int or tuple of int, optional
        Shapes of ``x`` and ``y``. Each axis not given is inferred: the output from the
        ranges of the output's index variables, the input from the largest index read.
    dtype : numpy dtype, optional
        Of the operator (float64, or complex128 when a coefficient is complex);
        float32 and complex64 are allowed.

    Returns
    -------
    FormulaOperator
        A shaped scipy ``LinearOperator``: ``A @ x``, ``A.H``, ``A.apply(x)`` with batch
        axes, ``A.forward_formula``, ``A.adjoint_formula``, ``A.symbolic().prove()``.

    Raises
    ------
    FormulaError
        (a ``ValueError``) for every problem of the formula: one that cannot be read, a
        non-affine index, an unknown name or array, an index outside the declared shapes,
        unbalanced brackets, a range that holds no integer, a part that is not a finite
        number, work beyond the limits of :mod:`linop.formula.limits`; the message shows
        the formula with a caret under the offending part.
    TypeError, ValueError
        For arguments of the wrong type or value (named in the message).

    Notes
    -----
    A range ``v = lo..hi`` holds the integers ``lo <= v <= hi``: ``i = n/2..n-1`` with
    ``n = 7`` is ``i = 4, 5, 6`` in the forward map, the derived adjoint and the proofs.

    Examples
    --------
    >>> import numpy as np, linop
    >>> A = linop.from_formula("y[i] = x[i + 1] - x[i] for i = 0..n-2", sizes={"n": 5})
    >>> A @ np.array([1.0, 2.0, 4.0, 7.0, 11.0])
    array([1., 2., 3., 4.])
    >>> print(A.adjoint_formula)
    Eq(x[u], Piecewise((y[u - 1], u >= 1), (0, True)) + Piecewise((-y[u], n - u >= 2), (0, True)))
    >>> A.symbolic().prove().holds
    True
    """
    from .assembly import make_operator

    return make_operator(
        formula, sizes=sizes, arrays=arrays, input_shape=input_shape, output_shape=output_shape, dtype=dtype
    )
