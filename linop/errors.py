"""linop's own errors: one family, :class:`LinopError`, that every specific error joins.

Each specific error also derives from the built-in exception a caller would expect
(``ValueError`` for a value linop cannot use), so ``except ValueError`` keeps working while
``except linop.LinopError`` catches every problem linop reports about its own inputs:

* :class:`linop.FormulaError`: an index formula linop cannot read or build;
* ``linop.interop.TorchCannotExpress``: a linop operator PyTorch has no layer for;
* ``linop.symbolic.SymbolicSizeError``: an operator too large for exact arithmetic.
"""

from __future__ import annotations

__all__ = ["LinopError"]


class LinopError(Exception):
    """Base of the errors linop raises about its own inputs and limits.

    Examples
    --------
    >>> try:
    ...     linop.from_formula("y[i] = x[i] for i = 0..")
    ... except linop.LinopError as error:
    ...     print(type(error).__name__)
    FormulaError
    """
