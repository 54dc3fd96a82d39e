"""Printing proof certificates: Markdown with LaTeX math, and the exit status of a proof script.

A certificate is the statement of the lecture being proved, optional displays (a matrix,
a formula), and the :class:`~linop.symbolic.exact_checks.ProofResult` of every check, each with
its steps and verdict. :func:`print_certificate` prints it and returns ``0`` when every
check holds and ``1`` otherwise, for ``sys.exit``.
"""

from __future__ import annotations

from collections.abc import Sequence

from .exact_checks import ProofResult

__all__ = ["certificate", "print_certificate"]


def certificate(title: str, statement: str, results: Sequence[ProofResult], displays: Sequence[str] = ()) -> str:
    """The certificate as Markdown.

    Parameters
    ----------
    title : str
        The heading (``"Proof 1: a convolution layer without bias is linear"``).
    statement : str
        The lecture's statement in Markdown (LaTeX math between ``$...$``).
    results : sequence of ProofResult
        The checks; the certificate is ``proved`` when all of them hold.
    displays : sequence of str
        Markdown blocks shown before the checks (matrices, formulas).
    """
    proved = bool(results) and all(r.holds for r in results)
    blocks = [f"# {title}", statement, *displays, *(r.markdown() for r in results)]
    total = sum(r.seconds for r in results)
    verdict = "proved" if proved else "NOT proved"
    failing = [r.name for r in results if not r.holds]
    tail = f"**Verdict: {verdict}.** {len(results)} checks in exact arithmetic, {total:.2f} s"
    if failing:
        tail += f"; failing: {', '.join(failing)}"
    blocks.append(tail + ".")
    return "\n\n".join(blocks) + "\n"


def print_certificate(title: str, statement: str, results: Sequence[ProofResult], displays: Sequence[str] = ()) -> int:
    """Print :func:`certificate` and return the exit status (0 proved, 1 not)."""
    print(certificate(title, statement, results, displays), end="")
    return 0 if results and all(r.holds for r in results) else 1
