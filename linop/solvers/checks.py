"""Checks of the solvers' keywords: each error names the keyword, the value received and what is allowed.

Numbers are taken as scipy takes them: any real (``numbers.Real``: Python, NumPy and
other scalars) for a tolerance or a damping, any integer (``numbers.Integral``) for an
iteration limit; ``bool`` is refused (``True`` is not a count), and so is NaN or inf
where a finite number is needed.
"""

from __future__ import annotations

import math
import numbers
from typing import TypeGuard

import numpy as np

from ..arguments import is_integer

__all__ = ["check_condition_limit", "check_iteration_limit", "check_nonnegative", "check_tolerance", "iteration_limit"]


def _is_real(value: object) -> TypeGuard[float | np.floating | np.integer]:
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def check_nonnegative(value: object, name: str) -> float:
    """A finite real number ``>= 0`` (``damp``, ``shift``, ``atol`` and ``rtol`` of :func:`~linop.solvers.cg`).

    Raises
    ------
    TypeError
        ``value`` is not a real number (or is a bool), naming ``name``.
    ValueError
        ``value`` is negative, NaN or infinite, naming ``name``.
    """
    if not _is_real(value):
        raise TypeError(f"{name} must be a finite number >= 0; got {type(value).__name__} {value!r}")
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0; got {value!r}")
    return float(value)


def check_tolerance(value: object, name: str) -> float:
    """A relative tolerance in ``[0, 1)`` (``atol`` and ``btol`` of LSQR, ``rtol`` of CGLS).

    Raises
    ------
    TypeError
        ``value`` is not a real number (or is a bool), naming ``name``.
    ValueError
        ``value`` is outside ``[0, 1)`` or NaN, naming ``name``.
    """
    if not _is_real(value):
        raise TypeError(f"{name} must be a number in [0, 1); got {type(value).__name__} {value!r}")
    if not 0 <= value < 1:
        raise ValueError(f"{name} must be a number in [0, 1); got {value!r}")
    return float(value)


def check_condition_limit(value: object, name: str = "conlim") -> float:
    """A condition-number limit: a real ``>= 0``, where ``0`` and ``inf`` mean no limit.

    Raises
    ------
    TypeError
        ``value`` is not a real number (or is a bool), naming ``name``.
    ValueError
        ``value`` is negative or NaN, naming ``name``.
    """
    if not _is_real(value):
        raise TypeError(f"{name} must be a number >= 0 (0 or inf: no limit); got {type(value).__name__} {value!r}")
    if not value >= 0:
        raise ValueError(f"{name} must be a number >= 0 (0 or inf: no limit); got {value!r}")
    return float(value)


def check_iteration_limit(value: object, name: str) -> int | None:
    """A positive integer or ``None`` (``maxiter``, ``iter_lim``).

    Raises
    ------
    TypeError
        ``value`` is not an integer (or is a bool), naming ``name``.
    ValueError
        ``value`` is below 1, naming ``name``.
    """
    if value is None:
        return None
    if not is_integer(value):
        raise TypeError(f"{name} must be a positive int or None; got {type(value).__name__} {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be a positive int or None; got {value!r}")
    return int(value)


def iteration_limit(maxiter: object, iter_lim: object) -> int | None:
    """The iteration limit given as ``maxiter`` (scipy's ``cg``, ``lsmr``...) or ``iter_lim`` (scipy's ``lsqr``).

    Raises
    ------
    TypeError
        Both are given (they are the same limit), or either is not an integer.
    ValueError
        The one given is below 1.
    """
    if maxiter is not None and iter_lim is not None:
        raise TypeError(
            f"give maxiter or iter_lim, not both (they name the same limit); "
            f"got maxiter={maxiter!r} and iter_lim={iter_lim!r}"
        )
    if iter_lim is not None:
        return check_iteration_limit(iter_lim, "iter_lim")
    return check_iteration_limit(maxiter, "maxiter")
