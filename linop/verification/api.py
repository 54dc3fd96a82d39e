"""``linop.verify``: run the verification checks on any scipy LinearOperator and return the report."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator, aslinearoperator

from .checks import CHECKS, run_check
from .operands import OperatorUnderTest
from .report import VerificationReport
from .tolerance import check_rtol

__all__ = ["CHECK_NAMES", "as_operator", "resolve_checks", "verify"]

#: Every check, in the order it runs.
CHECK_NAMES: tuple[str, ...] = tuple(CHECKS)


def resolve_checks(checks: str | Iterable[str]) -> tuple[str, ...]:
    """Turn the ``checks`` argument into check names in run order.

    ``"all"``, one name, or an iterable of names from :data:`CHECK_NAMES`.

    Raises
    ------
    ValueError
        An unknown or empty selection.
    TypeError
        Neither a string nor an iterable of strings.
    """
    if isinstance(checks, str):
        names = list(CHECK_NAMES) if checks == "all" else [checks]
    else:
        try:
            names = list(checks)
        except TypeError:
            raise TypeError(f"checks must be 'all', a check name or an iterable of names; got {checks!r}") from None
        if "all" in names:
            names = list(CHECK_NAMES)
    for n in names:
        if not isinstance(n, str) or n not in CHECKS:
            raise ValueError(f"checks: unknown check {n!r}; allowed: 'all', {', '.join(map(repr, CHECK_NAMES))}")
    if not names:
        raise ValueError(f"checks must name at least one check; allowed: 'all', {', '.join(map(repr, CHECK_NAMES))}")
    return tuple(n for n in CHECK_NAMES if n in names)


def as_operator(op: object) -> LinearOperator:
    """``op`` as a LinearOperator: operators as they are, arrays and sparse matrices wrapped.

    Raises
    ------
    TypeError
        For anything else.
    """
    if isinstance(op, LinearOperator):
        return op
    if isinstance(op, np.ndarray) or sp.issparse(op):
        if op.ndim != 2:
            raise TypeError(f"op must be a LinearOperator or a 2-D matrix; got an array of shape {op.shape}")
        return aslinearoperator(op)
    raise TypeError(
        f"op must be a scipy.sparse.linalg.LinearOperator (or a 2-D array or sparse matrix); got {type(op).__name__}"
    )


def _check_seed(seed: object) -> int:
    if seed is None:
        return int(np.random.SeedSequence().generate_state(1)[0])
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise TypeError(f"seed must be a non-negative int or None; got {seed!r}")
    return int(seed)


def verify(
    op: LinearOperator,
    *,
    checks: str | Iterable[str] = "all",
    trials: int = 3,
    seed: int | None = None,
    rtol: float | None = None,
) -> VerificationReport:
    """Check that ``op`` is linear, reverses shapes under the adjoint, and has the right adjoint.

    Parameters
    ----------
    op : scipy.sparse.linalg.LinearOperator
        Any operator: linop's shaped ones, ``LinearOperator(shape, matvec, rmatvec)``,
        ``aslinearoperator(matrix)``, compositions; real or complex, any precision. A
        2-D array or sparse matrix is wrapped with ``aslinearoperator``.
    checks : "all", a check name, or an iterable of names
        From ``"shapes"``, ``"linearity"``, ``"adjoint"``, ``"matrix"``, ``"probes"``,
        ``"symbolic"``, ``"purity"`` (run in that order).
    trials : int, default 3
        Random trials of the ``linearity`` and ``adjoint`` checks.
    seed : int, optional
        Seed of the random vectors; the report records the one used (a fresh one when
        ``None``) so a failure can be reproduced.
    rtol : float, optional
        Replaces the derived tolerance ``tau = 10 eps sqrt(max(M, N))`` in every check.

    Returns
    -------
    VerificationReport
        ``report.passed``, ``report["adjoint"]``, ``print(report)``, ``report.to_dict()``.

    Raises
    ------
    TypeError
        ``op`` is not an operator, or ``trials``/``seed``/``rtol`` have the wrong type.
    ValueError
        Unknown check names, ``trials < 1``, ``rtol`` outside ``(0, 1)``.

    Notes
    -----
    A problem *of the operator* (it raises, returns the wrong shape or NaN, is not
    linear, has a wrong adjoint) never raises here: it fails the check concerned and
    the report says what and where. The tolerance model is documented in
    :mod:`linop.verification.tolerance`.

    Examples
    --------
    >>> import numpy as np, linop
    >>> A = linop.Convolution([0.5, 1.0, 0.5], input_shape=(7,), stride=2)
    >>> linop.verify(A, seed=0).passed
    True
    """
    operator = as_operator(op)
    names = resolve_checks(checks)
    if isinstance(trials, bool) or not isinstance(trials, (int, np.integer)):
        raise TypeError(f"trials must be an int; got {trials!r}")
    if trials < 1:
        raise ValueError(f"trials must be >= 1; got {trials}")
    seed_used = _check_seed(seed)
    tolerance = check_rtol(rtol) if rtol is not None else None
    results = []
    for name in names:
        # One independent stream per check: selecting checks does not change the others' vectors.
        rng = np.random.default_rng([seed_used, CHECK_NAMES.index(name)])
        ut = OperatorUnderTest(operator, rng, trials=int(trials), rtol=tolerance)
        results.append(run_check(name, ut))
    ut = OperatorUnderTest(operator, np.random.default_rng(seed_used))
    return VerificationReport(
        operator=repr(op) if not isinstance(op, np.ndarray) else f"<{op.shape[0]}x{op.shape[1]} matrix of {op.dtype}>",
        checks=tuple(results),
        seed=seed_used,
        shape=(ut.rows, ut.cols),
        dtype=str(getattr(operator, "dtype", None)),
        input_shape=ut.input_shape if ut.shaped else None,
        output_shape=ut.output_shape if ut.shaped else None,
    )
