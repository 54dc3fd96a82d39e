"""Assertions on linear operators: each runs checks of :func:`linop.verify` and raises ``AssertionError`` on failure.

The error message is the report's: which check failed, the measured error against its
tolerance, and where (the worst entry, the failing law). Each assertion returns the
:class:`~linop.verification.VerificationReport` when it passes.
"""

from __future__ import annotations

from collections.abc import Iterable

from scipy.sparse.linalg import LinearOperator

from ..verification import VerificationReport, verify

__all__ = ["assert_adjoint", "assert_linear", "assert_shape_reversal", "assert_verified"]


def _assert(op: LinearOperator, checks: str | Iterable[str], what: str, **options) -> VerificationReport:
    __tracebackhide__ = True  # pytest shows the caller's line
    report = verify(op, checks=checks, **options)
    if not report.passed:
        raise AssertionError(f"{what}\n{report.failure_message()}\n\n{report}")
    return report


def assert_adjoint(op: LinearOperator, *, trials: int = 3, seed: int | None = None,
                   rtol: float | None = None) -> VerificationReport:
    """Assert that ``op.H`` is the adjoint of ``op``.

    Runs the dot test (``adjoint``), the entrywise comparison of the explicit matrices
    (``matrix``, small operators only: skipped otherwise) and the sampled entries at
    corners, edges and high-side ends (``probes``).

    Raises
    ------
    AssertionError
        With the failing check, its error and tolerance, and the worst entry.
    """
    __tracebackhide__ = True
    return _assert(op, ("adjoint", "matrix", "probes"), "the adjoint is wrong", trials=trials, seed=seed, rtol=rtol)


def assert_linear(op: LinearOperator, *, trials: int = 3, seed: int | None = None,
                  rtol: float | None = None) -> VerificationReport:
    """Assert that ``op`` and ``op.H`` are linear (additive, homogeneous, ``F 0 = 0``).

    Raises
    ------
    AssertionError
        Naming the map (``A`` or ``A^H``) and the law that failed.
    """
    __tracebackhide__ = True
    return _assert(op, ("linearity",), "the operator is not linear", trials=trials, seed=seed, rtol=rtol)


def assert_shape_reversal(op: LinearOperator, *, seed: int | None = None,
                          rtol: float | None = None) -> VerificationReport:
    """Assert that ``op.H`` maps the output space back to the input space, through every interface.

    Raises
    ------
    AssertionError
        Naming the call whose shape or value disagreed.
    """
    __tracebackhide__ = True
    return _assert(op, ("shapes",), "the adjoint does not reverse the shapes", seed=seed, rtol=rtol)


def assert_verified(op: LinearOperator, *, checks: str | Iterable[str] = "all", trials: int = 3,
                    seed: int | None = None, rtol: float | None = None) -> VerificationReport:
    """Assert that every selected check of :func:`linop.verify` passes (skipped checks allowed).

    Raises
    ------
    AssertionError
        With the messages of all failed checks and the report's table.
    """
    __tracebackhide__ = True
    return _assert(op, checks, "the operator failed verification", trials=trials, seed=seed, rtol=rtol)
