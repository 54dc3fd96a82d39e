"""One step of a derivation or a proof: a sentence and, optionally, the formulas it is about."""

from __future__ import annotations

from dataclasses import dataclass

import sympy

__all__ = ["Formula", "Step", "latex_text"]


def latex_text(text: str) -> str:
    """Plain text made safe inside LaTeX (special characters escaped)."""
    out = []
    for ch in text:
        if ch in "&%$#_{}":
            out.append("\\" + ch)
        elif ch == "~":
            out.append(r"\textasciitilde{}")
        elif ch == "^":
            out.append(r"\textasciicircum{}")
        elif ch == "\\":
            out.append(r"\textbackslash{}")
        else:
            out.append(ch)
    return "".join(out)


@dataclass(frozen=True)
class Formula:
    r"""A formula written by hand, in plain text and in LaTeX.

    Parameters
    ----------
    text : str
        The formula in plain text.
    latex : str
        The same formula in LaTeX.

    Examples
    --------
    >>> from linop import symbolic
    >>> statement = symbolic.Formula("<A x, y> = <x, A^H y>", r"\langle A x, y\rangle = \langle x, A^H y\rangle")
    >>> statement.text
    '<A x, y> = <x, A^H y>'
    """

    text: str
    latex: str


@dataclass(frozen=True)
class Step:
    """A sentence ``description`` with optional formulas ``math``.

    ``math`` is one SymPy object or :class:`Formula`, or a tuple of them read as a chain
    (``a => b``). ``text()`` renders formulas with :func:`sympy.sstr`; ``latex()`` with
    :func:`sympy.latex` between ``$...$`` (Markdown with LaTeX math).

    Parameters
    ----------
    description : str
        The sentence.
    math : object, optional
        A SymPy object or :class:`Formula`, or a tuple of them read as a chain.

    Examples
    --------
    >>> import sympy
    >>> from linop import symbolic
    >>> i, j = symbolic.index_symbols("i j")
    >>> print(symbolic.Step("solve for i", (sympy.Eq(2 * j + i, 4), sympy.Eq(i, 4 - 2 * j))).text())
    solve for i: Eq(i + 2*j, 4) => Eq(i, 4 - 2*j)
    """

    description: str
    math: object = None

    def _parts(self) -> tuple:
        if self.math is None:
            return ()
        return self.math if isinstance(self.math, tuple) else (self.math,)

    def text(self) -> str:
        parts = self._parts()
        if not parts:
            return self.description
        return f"{self.description}: " + " => ".join(_text(p) for p in parts)

    def latex(self) -> str:
        parts = self._parts()
        if not parts:
            return latex_text(self.description)
        return f"{latex_text(self.description)}: $" + r" \Rightarrow ".join(_latex(p) for p in parts) + "$"

    def markdown(self) -> str:
        """Like ``latex()`` but with the sentence left as Markdown text."""
        parts = self._parts()
        if not parts:
            return self.description
        return f"{self.description}: $" + r" \Rightarrow ".join(_latex(p) for p in parts) + "$"

    def __str__(self) -> str:
        return self.text()


def _text(part: object) -> str:
    if isinstance(part, Formula):
        return part.text
    return sympy.sstr(part)


def _latex(part: object) -> str:
    if isinstance(part, Formula):
        return part.latex
    return sympy.latex(part)
