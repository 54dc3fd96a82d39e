"""The operator of an index formula: both directions compiled from formulas, NumPy only at apply time.

:class:`FormulaOperator` runs the forward formula's compiled steps for ``A x`` and the
*derived* adjoint formula's compiled steps for ``A^H y`` (not a transpose of the forward
code). It keeps the formulas it was built from: ``.forward_formula`` and
``.adjoint_formula`` (SymPy :class:`~linop.symbolic.AffineSum` s, with the sizes as
symbols where possible), ``.symbolic()`` for the exact proofs, and pickles by its
formula (unpickling derives and compiles again).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..operators.base import ShapedOperator
from .program import Program

__all__ = ["FormulaOperator"]


class FormulaOperator(ShapedOperator):
    """A linear operator defined by an index formula; build it with :func:`linop.from_formula`.

    Parameters
    ----------
    forward, adjoint : Program
        The compiled steps of the forward formula and of the derived adjoint formula.
    dtype : numpy dtype
        Of the coefficients (float64 unless a coefficient is complex, or as requested).
    formulas : dict
        ``{"forward": AffineSum, "adjoint": AffineSum, "forward_numeric": ..., "adjoint_numeric": ...}``.
    spec : dict
        The arguments of :func:`linop.from_formula` (to pickle and to show).

    Attributes
    ----------
    forward_formula, adjoint_formula : AffineSum
        ``y[...] = ...`` as given and ``x[...] = ...`` as derived (sizes as symbols when
        the shapes follow from them).
    text : str or None
        The formula's text (``None`` when built from an ``AffineSum``).
    sizes, arrays : dict
        The sizes' values and the coefficient arrays (copies).

    Examples
    --------
    >>> import numpy as np, linop
    >>> A = linop.from_formula("y[2*i + r] = x[i] for r = 0..1", input_shape=3)
    >>> A.apply(np.array([1.0, 2.0, 3.0]))
    array([1., 1., 2., 2., 3., 3.])
    >>> print(A.adjoint_formula)
    Eq(x[i], Sum(y[2*i + r], (r, 0, 1)))
    >>> A.steps
    (2, 2)
    """

    def __init__(
        self, forward: Program, adjoint: Program, dtype: np.dtype, formulas: Mapping[str, Any], spec: Mapping[str, Any]
    ):
        self._programs = (forward, adjoint)
        self._formulas = dict(formulas)
        self._spec = dict(spec)
        super().__init__(forward.input_shape, forward.output_shape, dtype)

    # -- numeric ---------------------------------------------------------------------------
    def _forward(self, x: np.ndarray) -> np.ndarray:
        return self._programs[0].run(x)

    def _backward(self, y: np.ndarray) -> np.ndarray:
        return self._programs[1].run(y)

    # -- what it was built from ------------------------------------------------------------
    @property
    def text(self) -> str | None:
        formula = self._spec["formula"]
        return formula if isinstance(formula, str) else None

    @property
    def sizes(self) -> dict:
        return dict(self._spec.get("sizes") or {})

    @property
    def arrays(self) -> dict:
        return {k: np.array(v) for k, v in (self._spec.get("arrays") or {}).items()}

    @property
    def forward_formula(self):
        """The forward formula (SymPy ``AffineSum``; sizes as symbols where the shapes allow)."""
        return self._formulas["forward"]

    @property
    def adjoint_formula(self):
        """The adjoint formula derived from :attr:`forward_formula` by ``derive_adjoint``."""
        return self._formulas["adjoint"]

    @property
    def steps(self) -> tuple[int, int]:
        """Multiply-add steps of the forward and of the adjoint program."""
        return len(self._programs[0].steps), len(self._programs[1].steps)

    def symbolic(self):
        """The formulas with numeric sizes in exact arithmetic, with their proofs
        (``linop.formula.exact_twin.FormulaProofs``); the ``symbolic`` check of
        :func:`linop.verify` calls its ``check_adjoint_identity``. Imports SymPy."""
        from .exact_twin import FormulaProofs

        return FormulaProofs(
            self._formulas["forward_numeric"],
            self._formulas["adjoint_numeric"],
            self._spec.get("arrays") or {},
            numeric=self,
        )

    def __reduce__(self):
        return (_rebuild, (self._spec,))

    def __repr__(self) -> str:
        name = self.text if self.text is not None else str(self.forward_formula)
        if len(name) > 70:
            name = name[:67] + "..."
        return f"<FormulaOperator {name!r}: {self.input_shape} -> {self.output_shape}, dtype={self.dtype}>"


def _rebuild(spec: Mapping[str, Any]) -> FormulaOperator:
    from . import from_formula

    return from_formula(**spec)
