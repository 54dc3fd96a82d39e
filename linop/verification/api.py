"""``linop.verify``: run the verification checks on any scipy LinearOperator and return the report."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator, aslinearoperator

from ..arguments import is_integer
from .checks import CHECKS, run_check
from .operands import OperatorUnderTest
from .report import VerificationReport
from .spaces import Space, inner_products
from .tolerance import check_rtol, vector_dtype

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


def as_operator(op: object, *, input_shape: Sequence[int] | int | None = None, dtype: object = None) -> LinearOperator:
    """``op`` as a LinearOperator: operators as they are, arrays and sparse matrices wrapped,
    PyTorch, JAX and PyLops objects adapted by :func:`linop.interop.adapt`.

    The framework is recognised from the module names of ``op``'s type, so no framework
    is imported for anything else.

    Raises
    ------
    TypeError
        For anything else (the message lists what is accepted).
    ValueError
        ``input_shape`` or ``dtype`` given for a scipy operator or matrix (they only
        describe framework objects), or needed by a framework object and missing.
    """
    if isinstance(op, (LinearOperator, np.ndarray)) or sp.issparse(op):
        if input_shape is not None or dtype is not None:
            raise ValueError(
                "input_shape and dtype describe PyTorch/JAX objects; a scipy operator or matrix "
                "has its own shape and dtype: leave them out"
            )
        if isinstance(op, LinearOperator):
            return op
        matrix: Any = op  # a NumPy array or a SciPy sparse matrix (SciPy's types are not checked here)
        if matrix.ndim != 2:
            raise TypeError(f"op must be a LinearOperator or a 2-D matrix; got an array of shape {matrix.shape}")
        return aslinearoperator(matrix)
    from ..interop.detect import adapt  # no framework is imported unless op belongs to one

    return adapt(op, input_shape=input_shape, dtype=dtype)


def _label(op: object, operator: LinearOperator) -> str:
    """How the report names the operator: a matrix by its size, an adapted framework object by its adapter."""
    if isinstance(op, np.ndarray):
        return f"<{op.shape[0]}x{op.shape[1]} matrix of {op.dtype}>"
    if isinstance(op, LinearOperator) or sp.issparse(op):
        return repr(op)
    return repr(operator)


def _check_seed(seed: object) -> int:
    if seed is None:
        return int(np.random.SeedSequence().generate_state(1)[0])
    if not is_integer(seed) or seed < 0:
        raise TypeError(f"seed must be a non-negative int or None; got {seed!r}")
    return int(seed)


def verify(
    op: LinearOperator,
    *,
    checks: str | Iterable[str] = "all",
    trials: int = 3,
    seed: int | None = None,
    rtol: float | None = None,
    input_shape: Sequence[int] | int | None = None,
    dtype: object = None,
    domain: Space | float | None = None,
    range: Space | float | None = None,  # noqa: A002 - the mathematical name of the space
    scalars: str | None = None,
) -> VerificationReport:
    """Check that ``op`` is linear, reverses shapes under the adjoint, and has the right adjoint.

    Parameters
    ----------
    op : scipy.sparse.linalg.LinearOperator, matrix, or a framework's operator
        Any operator: linop's shaped ones, ``LinearOperator(shape, matvec, rmatvec)``,
        ``aslinearoperator(matrix)``, compositions; real or complex, any precision. A
        2-D array or sparse matrix is wrapped with ``aslinearoperator``. A
        ``torch.nn.Module``, a ``torch.autograd.Function`` subclass, a JAX
        ``custom_vjp``/``jit`` function or a ``pylops.LinearOperator`` is adapted by
        :func:`linop.interop.adapt` (its adjoint is autograd's, ``jax.vjp``'s conjugated,
        or PyLops' ``rmatvec``), and so is an ``odl.Operator`` (its ``adjoint``, in its
        spaces' inner products), a ``sigpy.linop.Linop`` (its ``H``), a physics object
        with ``A``/``A_adjoint`` (deepinv's) or a pair ``(forward, adjoint)`` of functions.
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
    input_shape : int or tuple of int, optional
        For a PyTorch module or Function, or a JAX function: the shape of one input
        (PyLops operators and ``nn.Linear`` know theirs).
    dtype : dtype, optional
        For framework objects: the dtype to verify in (default: the module's or the
        framework's).
    domain, range : Space, float or None
        The inner products of the domain and the range (:class:`linop.verification.Space`:
        positive weights, a Gram operator, real vectors; a number is a constant weight).
        The operator's ``rmatvec`` is then read as the adjoint in these spaces,
        ``A* = W_dom^{-1} A^H W_ran``, and every check uses them. By default the spaces
        the object tells (an ODL operator's weightings, the real domain of PyLops' real
        FFTs), else Euclidean ones.
    scalars : {"complex", "real"}, optional
        ``"real"``: check a complex operator as a real-linear map (real scalars, the
        real inner product ``Re<u, v>``), as is done anyway when a space is real.

    Returns
    -------
    VerificationReport
        ``report.passed``, ``report["adjoint"]``, ``print(report)``, ``report.to_dict()``.

    Raises
    ------
    TypeError
        ``op`` is not an operator, or ``trials``/``seed``/``rtol`` have the wrong type.
    ValueError
        Unknown check names, ``trials < 1``, ``rtol`` outside ``(0, 1)``, ``input_shape``
        missing for a framework object that does not determine it, weights or a Gram
        operator that do not fit the operator's shapes.

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

    The same convolution scaled by cell volumes: in ``L^2`` spaces of cell volume 0.5
    (input) and 1 (output, stride 2), the adjoint is ``2 A^H``:

    >>> from scipy.sparse.linalg import LinearOperator, aslinearoperator
    >>> B = aslinearoperator(A.to_dense())
    >>> scaled = LinearOperator(B.shape, matvec=B.matvec, rmatvec=lambda y: 2 * B.rmatvec(y), dtype=B.dtype)
    >>> linop.verify(scaled, domain=0.5, range=1.0, seed=0).passed
    True
    """
    operator = as_operator(op, input_shape=input_shape, dtype=dtype)
    names = resolve_checks(checks)
    if not is_integer(trials):
        raise TypeError(f"trials must be an int; got {trials!r}")
    if trials < 1:
        raise ValueError(f"trials must be >= 1; got {trials}")
    seed_used = _check_seed(seed)
    tolerance = check_rtol(rtol) if rtol is not None else None
    is_complex = bool(np.issubdtype(vector_dtype(getattr(operator, "dtype", None)), np.complexfloating))
    spaces = inner_products(operator, is_complex, domain=domain, range=range, scalars=scalars)
    ut = OperatorUnderTest(operator, np.random.default_rng(seed_used), spaces=spaces)
    ut.euclidean()  # weights and Gram operators must fit the operator: refused here, before any check runs
    results = []
    for name in names:
        # One independent stream per check: selecting checks does not change the others' vectors.
        rng = np.random.default_rng([seed_used, CHECK_NAMES.index(name)])
        check_ut = OperatorUnderTest(operator, rng, trials=int(trials), rtol=tolerance, spaces=spaces)
        results.append(run_check(name, check_ut))
    return VerificationReport(
        operator=_label(op, operator),
        checks=tuple(results),
        seed=seed_used,
        shape=(ut.rows, ut.cols),
        dtype=str(getattr(operator, "dtype", None)),
        input_shape=ut.input_shape if ut.shaped else None,
        output_shape=ut.output_shape if ut.shaped else None,
        inner_products=spaces.to_dict(),
    )
