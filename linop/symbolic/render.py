"""Output for people: a symbolic convolution's matrix, its transpose and its formulas as text, LaTeX, Markdown.

Matrices larger than :data:`MAX_PRINTED` rows or columns are summarised (shape and
number of non-zero entries) instead of printed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sympy

from .affine_sum import AffineSum
from .steps import latex_text

if TYPE_CHECKING:  # pragma: no cover
    from .operators import Convolution

__all__ = [
    "MAX_PRINTED",
    "convolution_latex",
    "convolution_markdown",
    "convolution_text",
    "formula_latex",
    "formula_text",
    "matrix_latex",
    "matrix_text",
]

#: Largest number of rows or columns of a matrix that is printed in full.
MAX_PRINTED = 24


def _too_large(matrix: sympy.MatrixBase) -> bool:
    return matrix.rows > MAX_PRINTED or matrix.cols > MAX_PRINTED


def _summary(matrix: sympy.MatrixBase) -> str:
    nnz = len(matrix.todok()) if hasattr(matrix, "todok") else sum(1 for v in matrix if v != 0)
    return (
        f"a {matrix.rows} x {matrix.cols} matrix with {nnz} non-zero entries "
        f"(larger than {MAX_PRINTED} rows or columns: not printed)"
    )


def matrix_text(matrix: sympy.MatrixBase) -> str:
    """``sympy.pretty`` of the matrix, or a one-line summary when it is large."""
    if _too_large(matrix):
        return _summary(matrix)
    return sympy.pretty(sympy.Matrix(matrix), use_unicode=True, wrap_line=False)


def matrix_latex(matrix: sympy.MatrixBase) -> str:
    """LaTeX of the matrix, or ``\\text{...}`` with a summary when it is large."""
    if _too_large(matrix):
        return r"\text{" + latex_text(_summary(matrix)) + "}"
    return sympy.latex(sympy.Matrix(matrix))


def formula_text(formula: AffineSum) -> str:
    """``sympy.pretty`` of the formula's equation."""
    return sympy.pretty(formula.equation, use_unicode=True, wrap_line=False)


def formula_latex(formula: AffineSum) -> str:
    """LaTeX of the formula's equation."""
    return formula.latex()


def _sections(conv: Convolution) -> list[tuple[str, sympy.MatrixBase | AffineSum]]:
    m, n = conv.shape
    note = "A^H = A^T: the kernel is real" if conv.kernel_is_real else "the adjoint A^H is its complex conjugate"
    return [
        (f"A: {m} x {n} matrix, maps {n} entries to {m}", conv.matrix),
        (f"A^T: {n} x {m} matrix, maps {m} entries to {n} ({note})", conv.transpose_matrix),
        ("forward formula", conv.forward_formula),
        ("adjoint formula (derived)", conv.adjoint_formula),
    ]


def _matrix_or_none(conv: Convolution) -> bool:
    """Whether the matrices can be built (within the size limit)."""
    from .limits import SymbolicSizeError

    try:
        conv._require_small("the matrix")
    except SymbolicSizeError:
        return False
    return True


def convolution_text(conv: Convolution) -> str:
    """Plain-text (Unicode) rendering: the matrix, its adjoint and both formulas."""
    blocks = [conv.describe()]
    small = _matrix_or_none(conv)
    for title, obj in _sections(conv) if small else _formula_sections(conv):
        body = matrix_text(obj) if isinstance(obj, sympy.MatrixBase) else formula_text(obj)
        blocks.append(f"{title}:\n{body}")
    return "\n\n".join(blocks)


def _formula_sections(conv: Convolution) -> list[tuple[str, AffineSum]]:
    return [("forward formula", conv.forward_formula), ("adjoint formula (derived)", conv.adjoint_formula)]


def convolution_latex(conv: Convolution) -> str:
    """LaTeX rendering: one display per matrix and formula, each after a short heading."""
    blocks = [rf"\paragraph{{{latex_text(conv.describe())}}}"]
    small = _matrix_or_none(conv)
    for title, obj in _sections(conv) if small else _formula_sections(conv):
        body = matrix_latex(obj) if isinstance(obj, sympy.MatrixBase) else formula_latex(obj)
        blocks.append(f"{latex_text(title)}:\n\\[\n{body}\n\\]")
    return "\n\n".join(blocks)


def convolution_markdown(conv: Convolution) -> str:
    """Markdown rendering with ``$$...$$`` display math."""
    blocks = [f"## {conv.describe()}"]
    small = _matrix_or_none(conv)
    for title, obj in _sections(conv) if small else _formula_sections(conv):
        body = matrix_latex(obj) if isinstance(obj, sympy.MatrixBase) else formula_latex(obj)
        blocks.append(f"**{title}**\n\n$$\n{body}\n$$")
    return "\n\n".join(blocks)
