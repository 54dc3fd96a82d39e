"""The tolerance model of the verification checks: how far rounding lets a correct operator stray.

Every check compares two computations that agree in exact arithmetic (``<A x, y>`` and
``<x, A^H y>``, ``A(x + z)`` and ``A x + A z``, an entry of ``A`` and the conjugate of the
matching entry of ``A^H``) and passes when

.. math::

    |a - b| \\le \\tau \\cdot \\mathrm{scale}, \\qquad \\tau = C\\,\\varepsilon\\,\\sqrt{n}

where ``scale`` is a bound on the size of the quantities compared (each check states
its own), ``eps`` is the machine epsilon of the working precision, ``n = max(M, N)`` for
an ``M x N`` operator and ``C = 10``.

Why this tolerance
------------------
A floating point sum of ``k`` products ``s = sum_i a_i b_i`` satisfies
``|fl(s) - s| <= gamma_k sum_i |a_i b_i|`` with ``gamma_k = k u / (1 - k u)`` and
``u = eps / 2`` (Higham, *Accuracy and Stability of Numerical Algorithms*, Thm. 3.1).
Rounding errors that behave like independent random variables of either sign give the
typical error ``u sqrt(k)`` instead (Higham and Mary, *A new approach to probabilistic
rounding error analysis*, SIAM J. Sci. Comput. 2019); blocked and pairwise summation,
as in BLAS and NumPy, stay at or below it. No entry of ``A x`` or ``A^H y`` sums more
than ``n`` terms of a black-box ``M x N`` operator that does no worse than a dense
matrix product, hence ``sqrt(n)``.

For the dot test this gives, by Cauchy-Schwarz and without relying on any cancellation
between the random vectors,

.. math::

    |\\langle \\mathrm{fl}(Ax), y\\rangle - \\langle Ax, y\\rangle|
        \\le \\|\\mathrm{fl}(Ax) - Ax\\|\\,\\|y\\| \\lesssim \\varepsilon \\sqrt{n}\\,\\|Ax\\|\\,\\|y\\|

and the same for ``<x, A^H y>``, so a correct operator satisfies
``|<Ax, y> - <x, A^H y>| <= tau (||Ax|| ||y|| + ||x|| ||A^H y||)``. ``C = 10`` absorbs
the constant of the probabilistic bound and the ratio ``|| |A| |x| || / ||A x||`` (at
most ``sqrt(k)`` for random ``x``, near 1 in practice). The inner products themselves are
taken in float64 or complex128, so they add nothing visible.

What it can detect
------------------
An adjoint off by a relative ``rho`` (``(1 + rho) A^H``) moves ``<x, A^H y>`` by
``rho |<Ax, y>|``; for standard normal vectors ``|<Ax, y>| ~ ||Ax||`` while the scale
is ``~ ||Ax|| (sqrt(M) + sqrt(N))``, so the normalised error is ``rho / (2 sqrt(n))``
against ``tau = C eps sqrt(n)``: detected when ``rho > 2 C eps n``. In float64
(``eps = 2.2e-16``) that is ``rho = 1e-4`` for any ``n`` below ``2e10``. In float32
(``eps = 1.2e-7``) the same test can only resolve ``rho > 2.4e-6 n``: no tolerance that
never fails a correct float32 operator can do better with dense random vectors. Errors
in a few entries (boundaries, corners) are diluted further, by the number of entries;
the ``probes`` check compares such entries directly, with sparse vectors, and is not
diluted.

Entries that are sums with heavy cancellation carry rounding errors relative to their
terms, which no black-box scale sees; a comparison above ``tau`` therefore fails only if
it survives re-evaluation with perturbed inputs (:mod:`linop.verification.reproducibility`).

Weighted and real spaces
------------------------
In other inner products (:mod:`linop.verification.spaces`) the checks compare ``W_ran A``
with ``W_dom A*``, which agree exactly when ``A*`` is the adjoint in those spaces. The
weights scale each computed entry (or, for a Gram operator, mix a few neighbouring ones);
a rounding error of relative size ``eps sqrt(n)`` in ``A x`` stays one of that relative size
in ``W_ran A x``, so the bound above holds for the weighted images unchanged, with the
scale of each check taken from them (the dot test divides by
``||W_ran A x|| ||y|| + ||x|| ||W_dom A* y||``). The weights are applied in double
precision; a Gram operator that computes in lower precision lowers the working precision.
A real-linear map is checked through its real matrix (real and imaginary parts as separate
coordinates), whose sums are no longer than ``2 n`` terms.

``rtol`` (an argument of :func:`linop.verify`) replaces ``tau`` in every check.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

__all__ = [
    "SAFETY_FACTOR",
    "machine_epsilon",
    "relative_tolerance",
    "vector_dtype",
    "working_precision",
]

#: The constant ``C`` of ``tau = C * eps * sqrt(n)``.
SAFETY_FACTOR: float = 10.0


def vector_dtype(dtype: npt.DTypeLike | None) -> np.dtype:
    """The dtype of the random test vectors for an operator of ``dtype``.

    Floating and complex dtypes are kept (complex operators get complex vectors);
    integer, boolean, missing or non-numeric dtypes get float64.
    """
    try:
        dt = np.dtype(dtype) if dtype is not None else np.dtype(np.float64)
    except TypeError:
        return np.dtype(np.float64)
    if np.issubdtype(dt, np.inexact):
        return dt
    return np.dtype(np.float64)


def working_precision(*dtypes: npt.DTypeLike | None) -> np.dtype:
    """The least precise inexact dtype among ``dtypes`` (the precision the results carry).

    Non-inexact entries (integers, ``None``) are ignored; with none left, float64.
    """
    worst: np.dtype | None = None
    for d in dtypes:
        if d is None:
            continue
        try:
            dt = np.dtype(d)
        except TypeError:
            continue
        if not np.issubdtype(dt, np.inexact):
            continue
        if worst is None or np.finfo(dt).eps > np.finfo(worst).eps:
            worst = dt
    return worst if worst is not None else np.dtype(np.float64)


def machine_epsilon(dtype: npt.DTypeLike | None) -> float:
    """``numpy.finfo(dtype).eps`` of the working precision of ``dtype`` (float64 for integers)."""
    return float(np.finfo(working_precision(dtype)).eps)


def relative_tolerance(dtype: npt.DTypeLike | None, n: int, rtol: float | None = None) -> float:
    """``tau = C * eps(dtype) * sqrt(max(n, 1))``, or ``rtol`` when given.

    Parameters
    ----------
    dtype : numpy dtype
        The working precision (see ``working_precision``).
    n : int
        The longest sum involved: ``max(M, N)`` for an ``M x N`` operator.
    rtol : float, optional
        An explicit tolerance that overrides the model.

    Returns
    -------
    float
        The tolerance ``tau``.

    Raises
    ------
    ValueError
        If ``n`` is negative or ``rtol`` is not a finite number in ``(0, 1)``.

    Examples
    --------
    >>> from linop.verification import relative_tolerance
    >>> bool(relative_tolerance(np.float64, 100) == 10 * np.finfo(np.float64).eps * 10)
    True
    >>> relative_tolerance(np.float32, 100, rtol=1e-3)
    0.001
    """
    if rtol is not None:
        return check_rtol(rtol)
    if n < 0:
        raise ValueError(f"n must be >= 0; got {n}")
    return SAFETY_FACTOR * machine_epsilon(dtype) * math.sqrt(max(int(n), 1))


def check_rtol(rtol: object) -> float:
    """Validate an explicit ``rtol``: a finite real number with ``0 < rtol < 1``."""
    if isinstance(rtol, bool) or not isinstance(rtol, (int, float, np.integer, np.floating)):
        raise TypeError(f"rtol must be a real number or None; got {rtol!r}")
    value = float(rtol)
    if not (0.0 < value < 1.0):
        raise ValueError(f"rtol must satisfy 0 < rtol < 1; got {rtol!r}")
    return value
