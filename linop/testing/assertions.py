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


def assert_adjoint(
    op: LinearOperator, *, trials: int = 3, seed: int | None = None, rtol: float | None = None
) -> VerificationReport:
    """Assert that ``op.H`` is the adjoint of ``op``.

    Runs the dot test (``adjoint``), the entrywise comparison of the explicit matrices
    (``matrix``, small operators only: skipped otherwise) and the sampled entries at
    corners, edges and high-side ends (``probes``).

    Parameters
    ----------
    op : scipy.sparse.linalg.LinearOperator
        The operator to check (or a 2-D array or sparse matrix).
    trials : int, default 3
        Random trials of the ``linearity`` and ``adjoint`` checks.
    seed : int, optional
        Seed of the random vectors (a fresh one when ``None``).
    rtol : float, optional
        Replaces the derived tolerance (:func:`~linop.verification.relative_tolerance`).

    Returns
    -------
    VerificationReport
        The report of the checks that ran (for further inspection).

    Raises
    ------
    AssertionError
        With the failing check, its error and tolerance, and the worst entry.

    Examples
    --------
    >>> from linop.testing import assert_adjoint
    >>> blur = linop.Convolution(np.ones((3, 3)) / 9, (32, 32), padding="same", boundary="reflect")
    >>> assert_adjoint(blur, seed=0).passed
    True
    """
    __tracebackhide__ = True
    return _assert(op, ("adjoint", "matrix", "probes"), "the adjoint is wrong", trials=trials, seed=seed, rtol=rtol)


def assert_linear(
    op: LinearOperator, *, trials: int = 3, seed: int | None = None, rtol: float | None = None
) -> VerificationReport:
    """Assert that ``op`` and ``op.H`` are linear (additive, homogeneous, ``F 0 = 0``).

    Parameters
    ----------
    op : scipy.sparse.linalg.LinearOperator
        The operator to check (or a 2-D array or sparse matrix).
    trials : int, default 3
        Random trials of the ``linearity`` and ``adjoint`` checks.
    seed : int, optional
        Seed of the random vectors (a fresh one when ``None``).
    rtol : float, optional
        Replaces the derived tolerance (:func:`~linop.verification.relative_tolerance`).

    Returns
    -------
    VerificationReport
        The report of the checks that ran (for further inspection).

    Raises
    ------
    AssertionError
        Naming the map (``A`` or ``A^H``) and the law that failed.

    Examples
    --------
    >>> from linop.testing import assert_linear
    >>> assert_linear(linop.Pad((6,), 2, "wrap"), seed=0).passed
    True
    """
    __tracebackhide__ = True
    return _assert(op, ("linearity",), "the operator is not linear", trials=trials, seed=seed, rtol=rtol)


def assert_shape_reversal(
    op: LinearOperator, *, seed: int | None = None, rtol: float | None = None
) -> VerificationReport:
    """Assert that ``op.H`` maps the output space back to the input space, through every interface.

    Parameters
    ----------
    op : scipy.sparse.linalg.LinearOperator
        The operator to check (or a 2-D array or sparse matrix).
    seed : int, optional
        Seed of the random vectors (a fresh one when ``None``).
    rtol : float, optional
        Replaces the derived tolerance (:func:`~linop.verification.relative_tolerance`).

    Returns
    -------
    VerificationReport
        The report of the checks that ran (for further inspection).

    Raises
    ------
    AssertionError
        Naming the call whose shape or value disagreed.

    Examples
    --------
    >>> from linop.testing import assert_shape_reversal
    >>> assert_shape_reversal(linop.Subsample((9, 9), 2), seed=0).passed
    True
    """
    __tracebackhide__ = True
    return _assert(op, ("shapes",), "the adjoint does not reverse the shapes", seed=seed, rtol=rtol)


def assert_verified(
    op: LinearOperator,
    *,
    checks: str | Iterable[str] = "all",
    trials: int = 3,
    seed: int | None = None,
    rtol: float | None = None,
) -> VerificationReport:
    """Assert that every selected check of :func:`linop.verify` passes (skipped checks allowed).

    Parameters
    ----------
    op : scipy.sparse.linalg.LinearOperator
        The operator to check (or a 2-D array or sparse matrix).
    checks : "all", a check name, or an iterable of names
        As for :func:`linop.verify`.
    trials : int, default 3
        Random trials of the ``linearity`` and ``adjoint`` checks.
    seed : int, optional
        Seed of the random vectors (a fresh one when ``None``).
    rtol : float, optional
        Replaces the derived tolerance (:func:`~linop.verification.relative_tolerance`).

    Returns
    -------
    VerificationReport
        The report of the checks that ran (for further inspection).

    Raises
    ------
    AssertionError
        With the messages of all failed checks and the report's table.

    Examples
    --------
    >>> from scipy.sparse.linalg import LinearOperator
    >>> from linop.testing import assert_verified
    >>> k = np.array([1.0, -2.0, 0.5])
    >>> wrong = LinearOperator((8, 10), matvec=lambda x: np.convolve(np.ravel(x), k, mode="valid"),
    ...                        rmatvec=lambda y: np.convolve(np.ravel(y), k, mode="full"), dtype=np.float64)
    >>> try:
    ...     assert_verified(wrong, checks="matrix", seed=0)
    ... except AssertionError as failure:
    ...     print(str(failure).splitlines()[0][:60])
    ...
    the operator failed verification
    """
    __tracebackhide__ = True
    return _assert(op, checks, "the operator failed verification", trials=trials, seed=seed, rtol=rtol)
