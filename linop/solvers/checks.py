"""Checks of the solvers' keywords: each error names the keyword, the value received and what is allowed."""

from __future__ import annotations

import math

__all__ = ["check_iteration_limit", "check_nonnegative", "check_tolerance"]


def check_nonnegative(value: object, name: str) -> float:
    """A finite real number ``>= 0`` (``damp``, ``shift``, ``atol``).

    Raises
    ------
    ValueError
        Naming ``name``.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0; got {value!r}")
    return float(value)


def check_tolerance(value: object, name: str) -> float:
    """A relative tolerance in ``[0, 1)`` (``rtol``, ``atol``, ``btol``).

    Raises
    ------
    ValueError
        Naming ``name``.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
        raise ValueError(f"{name} must be a number in [0, 1); got {value!r}")
    return float(value)


def check_iteration_limit(value: object, name: str) -> int | None:
    """A positive int or ``None`` (``iter_lim``, ``maxiter``).

    Raises
    ------
    ValueError
        Naming ``name``.
    """
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise ValueError(f"{name} must be a positive int or None; got {value!r}")
    return value
