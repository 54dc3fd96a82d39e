"""The result of a verification: one :class:`CheckResult` per check, gathered in a :class:`VerificationReport`."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["CheckResult", "VerificationReport", "jsonable"]


def jsonable(value: Any) -> Any:
    """``value`` with NumPy scalars, arrays and complex numbers turned into JSON types.

    Complex numbers become ``[real, imag]``; non-finite floats become the strings
    ``"nan"``, ``"inf"``, ``"-inf"``; tuples become lists.
    """
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [jsonable(v) for v in value.tolist()]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (complex, np.complexfloating)):
        return [jsonable(float(value.real)), jsonable(float(value.imag))]
    if isinstance(value, (float, np.floating)):
        v = float(value)
        return v if math.isfinite(v) else str(v)
    if value is None or isinstance(value, str):
        return value
    return repr(value)


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check.

    Parameters
    ----------
    name : str
        The check (``"adjoint"``, ``"linearity"``, ...).
    passed : bool
        ``True`` only when the check ran and its law held; ``False`` when it failed or
        was skipped.
    skipped : bool
        The check does not apply to this operator (``message`` says why).
    error : float or None
        The measured, normalised error (``None`` when nothing was measured).
    tolerance : float or None
        The tolerance ``error`` was compared with (``None`` for exact checks).
    message : str
        What was checked and, on failure, what differed and where.
    details : dict
        Check-specific data (the worst entry, the indices, the values), JSON-ready
        through ``to_dict()``.

    Examples
    --------
    >>> report = linop.verify(linop.Convolution([1.0, 2.0], (5,)), checks="adjoint", seed=0)
    >>> result = report["adjoint"]
    >>> result.name, result.passed, result.error <= result.tolerance
    ('adjoint', True, True)
    """

    name: str
    passed: bool
    skipped: bool = False
    error: float | None = None
    tolerance: float | None = None
    message: str = ""
    details: dict = field(default_factory=dict)

    @classmethod
    def skip(cls, name: str, reason: str, **details: Any) -> CheckResult:
        """A check that does not apply, with the reason."""
        return cls(name, passed=False, skipped=True, message=reason, details=dict(details))

    @property
    def status(self) -> str:
        """``"passed"``, ``"failed"`` or ``"skipped"``."""
        if self.skipped:
            return "skipped"
        return "passed" if self.passed else "failed"

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "status": self.status,
            "passed": self.passed,
            "skipped": self.skipped,
            "error": jsonable(self.error),
            "tolerance": jsonable(self.tolerance),
            "message": self.message,
            "details": jsonable(self.details),
        }


def _number(value: float | None) -> str:
    if value is None:
        return "-"
    if value == 0:
        return "0"
    return f"{value:.2e}"


@dataclass(frozen=True)
class VerificationReport:
    """All check results for one operator.

    ``passed`` is ``True`` when no check failed and at least one check ran and passed
    (skipped checks neither pass nor fail a report, but a report of skips only does not
    pass). Index by check name: ``report["adjoint"]``.

    Parameters
    ----------
    operator : str
        A description of the operator checked.
    checks : tuple of CheckResult
        The result of every check, in the order they ran.
    seed : int, optional
        The seed the random vectors were drawn from.
    shape : (int, int), optional
        The operator's matrix shape ``(M, N)``.
    dtype : str, optional
        The operator's dtype.
    input_shape, output_shape : tuple of int, optional
        The array shapes of a shaped operator.
    inner_products : dict, optional
        The inner products the checks used (:class:`linop.verification.spaces.InnerProducts`
        as data): the domain's and the range's, real or complex scalars, and whether they
        were declared, detected from the object or the Euclidean default; its ``"text"``
        is the line ``str(report)`` prints.

    Examples
    --------
    >>> A = linop.Convolution([0.5, 1.0, 0.5], input_shape=(7,), stride=2)
    >>> report = linop.verify(A, checks=("adjoint", "matrix"), seed=0)
    >>> report.passed, report.seed
    (True, 0)
    >>> report["matrix"].message
    'all 21 entries of A and A^H agree (A^H = conj(A)^T)'
    >>> sorted(report.to_dict())
    ['checks', 'dtype', 'inner_products', 'input_shape', 'operator', 'output_shape', 'passed', 'seed', 'shape']
    >>> report.to_dict()["inner_products"]["scalars"]
    'real'
    """

    operator: str
    checks: tuple[CheckResult, ...]
    seed: int | None = None
    shape: tuple[int, int] | None = None
    dtype: str | None = None
    input_shape: tuple[int, ...] | None = None
    output_shape: tuple[int, ...] | None = None
    inner_products: dict | None = None

    @property
    def passed(self) -> bool:
        ran = [c for c in self.checks if not c.skipped]
        return bool(ran) and all(c.passed for c in ran)

    @property
    def failed(self) -> tuple[CheckResult, ...]:
        """The checks that ran and failed."""
        return tuple(c for c in self.checks if not c.skipped and not c.passed)

    @property
    def skipped(self) -> tuple[CheckResult, ...]:
        return tuple(c for c in self.checks if c.skipped)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.checks)

    def __getitem__(self, name: str) -> CheckResult:
        for c in self.checks:
            if c.name == name:
                return c
        raise KeyError(f"no check named {name!r} in this report; it has {', '.join(self.names) or 'none'}")

    def __contains__(self, name: object) -> bool:
        return any(c.name == name for c in self.checks)

    def __iter__(self) -> Iterator[CheckResult]:
        return iter(self.checks)

    def __len__(self) -> int:
        return len(self.checks)

    def __bool__(self) -> bool:
        return self.passed

    def summary(self) -> str:
        """One line: verdict, counts, seed."""
        n_pass = sum(1 for c in self.checks if c.status == "passed")
        n_fail = len(self.failed)
        n_skip = len(self.skipped)
        verdict = "PASSED" if self.passed else "FAILED"
        seed = f"; seed {self.seed}" if self.seed is not None else ""
        return f"{verdict}: {n_pass} passed, {n_fail} failed, {n_skip} skipped{seed}"

    def failure_message(self) -> str:
        """The messages of the failed checks (or why nothing passed), one paragraph each."""
        if not any(not c.skipped for c in self.checks):
            return f"{self.operator}: no check ran (" + "; ".join(f"{c.name}: {c.message}" for c in self.checks) + ")"
        lines = [f"{self.operator}: {self.summary()}"]
        for c in self.failed:
            lines.append(f"[{c.name}] {c.message}")
        return "\n".join(lines)

    def table(self, columns: Sequence[str] = ("check", "result", "error", "tolerance", "message")) -> str:
        """The plain-text table of ``str(report)`` (first line of each message)."""
        rows = [list(columns)]
        for c in self.checks:
            cells = {
                "check": c.name,
                "result": c.status.upper() if c.status == "failed" else c.status,
                "error": _number(c.error),
                "tolerance": _number(c.tolerance),
                "message": (c.message.splitlines() or [""])[0],
            }
            rows.append([cells[col] for col in columns])
        widths = [max(len(r[i]) for r in rows) for i in range(len(columns) - 1)]
        out = []
        for r in rows:
            out.append("  " + "  ".join(cell.ljust(w) for cell, w in zip(r, widths)) + "  " + r[-1])
        return "\n".join(line.rstrip() for line in out)

    def __str__(self) -> str:
        head = f"Verification of {self.operator}: {self.summary()}"
        parts = [head]
        if self.inner_products is not None:
            parts.append(f"  inner products: {self.inner_products['text']}")
        parts.append(self.table())
        multi = [c for c in self.checks if c.status == "failed" and "\n" in c.message]
        for c in multi:
            parts.append(f"{c.name}:\n" + "\n".join("  " + line for line in c.message.splitlines()))
        return "\n".join(parts)

    def to_dict(self) -> dict:
        """A JSON-ready dictionary of the whole report."""
        return {
            "operator": self.operator,
            "passed": self.passed,
            "seed": self.seed,
            "shape": jsonable(self.shape),
            "dtype": self.dtype,
            "input_shape": jsonable(self.input_shape),
            "output_shape": jsonable(self.output_shape),
            "inner_products": jsonable(self.inner_products),
            "checks": [c.to_dict() for c in self.checks],
        }
