"""The verification suite: linearity, shape reversal and the adjoint identity for any scipy LinearOperator.

:func:`~linop.verify` runs the checks of :mod:`linop.verification.checks` and returns a
:class:`~linop.VerificationReport`; the tolerance model is in :mod:`linop.verification.tolerance`,
the probing of corners and edges in :mod:`linop.verification.probes`, the inner products
of an operator's spaces (weights, Gram operators, real spaces) in
:mod:`linop.verification.spaces`. Nothing here
depends on linop's own operator classes (only :mod:`linop.verification.builtin`,
the examples behind ``linop verify``, builds them).
"""

from .api import CHECK_NAMES, verify
from .report import CheckResult, VerificationReport
from .spaces import Space
from .tolerance import relative_tolerance

__all__ = ["CHECK_NAMES", "CheckResult", "Space", "VerificationReport", "relative_tolerance", "verify"]
