"""The operator under test as the checks see it: sizes, shapes, dtypes, random vectors, guarded calls.

Works on any :class:`scipy.sparse.linalg.LinearOperator`. Shapes are read by duck
typing: an operator with ``input_shape`` and ``output_shape`` attributes whose sizes
match its columns and rows is *shaped*, and the checks then name entries by their
multi-index; every other operator is treated as a map from ``(N,)`` to ``(M,)``.

Inner products are ``<u, v> = sum_i u_i conj(v_i)`` (linear in the first argument),
taken in float64 or complex128 whatever the operator's precision.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.sparse.linalg import LinearOperator

from ..errors import LinopError
from .tolerance import relative_tolerance, vector_dtype, working_precision

__all__ = [
    "OperatorFailure",
    "OperatorUnderTest",
    "declared_shapes",
    "double",
    "inner",
    "norm",
    "relative_difference",
]


class OperatorFailure(LinopError):
    """The operator raised, or returned something unusable, while a check called it."""

    def __init__(self, what: str, problem: str):
        super().__init__(f"{what}: {problem}")
        self.what = what
        self.problem = problem


def double(a: np.ndarray) -> np.ndarray:
    """``a`` as float64 (real) or complex128 (complex), for exact-enough reductions."""
    a = np.asarray(a)
    return a.astype(np.complex128 if np.iscomplexobj(a) else np.float64, copy=False)


def inner(u: np.ndarray, v: np.ndarray) -> complex | float:
    """``<u, v> = sum_i u_i conj(v_i)`` in double precision."""
    return np.vdot(double(v).ravel(), double(u).ravel()).item()


def norm(u: np.ndarray) -> float:
    """Euclidean norm in double precision."""
    return float(np.linalg.norm(double(u).ravel()))


def relative_difference(a: np.ndarray, b: np.ndarray) -> float:
    """``||a - b|| / (||a|| + ||b||)``, in ``[0, 1]``; ``0`` when both are zero."""
    da, db = double(a), double(b)
    scale = norm(da) + norm(db)
    diff = norm(da - db)
    if scale == 0.0:
        return 0.0 if diff == 0.0 else math.inf
    return diff / scale


def _shape_tuple(value: object) -> tuple[int, ...] | None:
    try:
        shape = tuple(int(s) for s in value)  # type: ignore[attr-defined]  # anything; TypeError if not iterable
    except (TypeError, ValueError):
        return None
    return shape if all(s >= 0 for s in shape) else None


def declared_shapes(op: LinearOperator) -> tuple[tuple[int, ...] | None, tuple[int, ...] | None, str | None]:
    """``(input_shape, output_shape, problem)`` of a shaped operator, by duck typing.

    Both shapes are ``None`` for an operator without them; ``problem`` describes shapes
    that are present but do not match ``op.shape`` (the ``shapes`` check reports it).
    """
    if not (hasattr(op, "input_shape") and hasattr(op, "output_shape")):
        return None, None, None
    ishape = _shape_tuple(op.input_shape)
    oshape = _shape_tuple(op.output_shape)
    if ishape is None or oshape is None:
        return (
            None,
            None,
            (f"input_shape {op.input_shape!r} / output_shape {op.output_shape!r} are not sequences of sizes"),
        )
    rows, cols = op.shape
    problems = []
    if math.prod(ishape) != cols:
        problems.append(f"input_shape {ishape} has {math.prod(ishape)} entries but the operator has {cols} columns")
    if math.prod(oshape) != rows:
        problems.append(f"output_shape {oshape} has {math.prod(oshape)} entries but the operator has {rows} rows")
    if problems:
        return None, None, "; ".join(problems)
    return ishape, oshape, None


@dataclass
class OperatorUnderTest:
    """The operator, its sizes and shapes, the random generator and the tolerance settings.

    Attributes
    ----------
    op : LinearOperator
        The operator, ``M x N``.
    rng : numpy.random.Generator
    trials : int
        Random trials of the dot-test-like checks.
    rtol : float or None
        An explicit tolerance overriding the model of :mod:`linop.verification.tolerance`.
    """

    op: LinearOperator
    rng: np.random.Generator
    trials: int = 3
    rtol: float | None = None

    def __post_init__(self) -> None:
        self.rows, self.cols = (int(s) for s in self.op.shape)
        self.dtype = vector_dtype(getattr(self.op, "dtype", None))
        ishape, oshape, problem = declared_shapes(self.op)
        self.shaped = ishape is not None
        self.shape_problem = problem
        self.input_shape: tuple[int, ...] = ishape if ishape is not None else (self.cols,)
        self.output_shape: tuple[int, ...] = oshape if oshape is not None else (self.rows,)
        self._fallback: dict[str, bool] = {}

    # -- sizes and tolerance -------------------------------------------------------------
    @property
    def n(self) -> int:
        """``max(M, N)``: the longest sum a row or column of the operator can hold."""
        return max(self.rows, self.cols)

    @property
    def is_complex(self) -> bool:
        return bool(np.issubdtype(self.dtype, np.complexfloating))

    def tolerance(self, *result_dtypes: npt.DTypeLike | None) -> float:
        """``tau`` for the least precise of the operator's dtype and the results' dtypes."""
        return relative_tolerance(working_precision(self.dtype, *result_dtypes), self.n, self.rtol)

    # -- multi-indices -------------------------------------------------------------------
    def input_index(self, j: int) -> tuple[int, ...]:
        """Multi-index in ``input_shape`` of flat column ``j``."""
        return tuple(int(v) for v in np.unravel_index(int(j), self.input_shape))

    def output_index(self, i: int) -> tuple[int, ...]:
        """Multi-index in ``output_shape`` of flat row ``i``."""
        return tuple(int(v) for v in np.unravel_index(int(i), self.output_shape))

    def describe_entry(self, i: int, j: int) -> str:
        """``row i, column j`` plus, for shaped operators, the output and input multi-indices."""
        text = f"row {int(i)}, column {int(j)}"
        if self.shaped:
            text += f" (output index {self.output_index(i)}, input index {self.input_index(j)})"
        return text

    # -- random vectors ------------------------------------------------------------------
    def random(self, size: int, count: int | None = None, dtype: np.dtype | None = None) -> np.ndarray:
        """Standard normal vectors ``(size,)`` or ``(size, count)`` (complex: ``(a + i b)/sqrt(2)``)."""
        dt = np.dtype(dtype) if dtype is not None else self.dtype
        shape = (size,) if count is None else (size, count)
        a = self.rng.standard_normal(shape)
        if np.issubdtype(dt, np.complexfloating):
            a = (a + 1j * self.rng.standard_normal(shape)) / math.sqrt(2.0)
        return a.astype(dt)

    def random_scalar(self, complex_: bool = False) -> float | complex:
        """A scalar of modulus in ``[0.5, 2]`` with a random sign (or phase when ``complex_``)."""
        r = float(self.rng.uniform(0.5, 2.0))
        if complex_:
            return complex(r * np.exp(1j * self.rng.uniform(0, 2 * np.pi)))
        return r if self.rng.random() < 0.5 else -r

    # -- guarded calls -------------------------------------------------------------------
    def call(self, what: str, fn: Callable[..., Any], *args: Any, copy: bool = True) -> np.ndarray:
        """``fn(*args)`` as an array; any exception or non-numeric result becomes :class:`OperatorFailure`.

        Array arguments are passed as copies (``copy=True``), so an operator that writes
        into its input cannot corrupt the checks' own vectors (the ``purity`` check
        passes its arrays themselves, with ``copy=False``, to catch exactly that).
        """
        if copy:
            args = tuple(np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args)
        try:
            out = fn(*args)
        except Exception as exc:  # the operator under test may raise anything
            raise OperatorFailure(what, f"raised {type(exc).__name__}: {exc}") from exc
        try:
            arr = np.asarray(out)
        except Exception as exc:
            raise OperatorFailure(what, f"returned {type(out).__name__}, not an array ({exc})") from exc
        if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_):
            raise OperatorFailure(what, f"returned an array of dtype {arr.dtype}, not numbers")
        return arr

    def expect_shape(self, what: str, arr: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        if arr.shape != shape:
            raise OperatorFailure(what, f"returned shape {arr.shape}, expected {shape}")
        if not np.all(np.isfinite(arr)):
            raise OperatorFailure(what, "returned NaN or inf for finite input")
        return arr

    def _columns(self, what: str, fn: Callable[[np.ndarray], Any], X: np.ndarray, rows: int) -> np.ndarray:
        """``fn`` applied to each column of ``X`` as a 1-D vector, stacked: the fallback for a failing ``matmat``."""
        return np.stack(
            [self.expect_shape(what, self.call(what, fn, X[:, k]), (rows,)) for k in range(X.shape[1])], axis=1
        )

    def _batched(self, side: str, what: str, X: np.ndarray, copy: bool = True) -> np.ndarray:
        """``matmat``/``rmatmat`` of ``X``, falling back to 1-D ``matvec``/``rmatvec`` per column.

        scipy calls a user's ``matvec`` with ``(N, 1)`` columns from its default
        ``matmat``; an operator that only handles 1-D vectors breaks that contract (the
        ``shapes`` check reports it) but its adjoint can still be verified through the
        1-D interface, which is what solvers call.
        """
        batched, single = (self.op.matmat, self.op.matvec) if side == "A" else (self.op.rmatmat, self.op.rmatvec)
        rows = self.rows if side == "A" else self.cols
        if self._fallback.get(side):
            return self._columns(what, single, X, rows)
        try:
            out = self.call(what, batched, X, copy=copy)
            return self.expect_shape(what, out, (rows, X.shape[1]))
        except OperatorFailure as failure:
            try:
                out = self._columns(what.replace("matmat", "matvec per column"), single, X, rows)
            except OperatorFailure:
                raise failure from None
            self._fallback[side] = True
            return out

    def forward(self, X: np.ndarray, what: str = "A X (matmat)", copy: bool = True) -> np.ndarray:
        """``A X`` for ``X`` of shape ``(N, k)`` through ``matmat``; checked ``(M, k)`` and finite.

        ``copy=False`` hands ``X`` itself to the operator: only for a temporary the caller
        does not read again.
        """
        return self._batched("A", what, X, copy)

    def adjoint(self, Y: np.ndarray, what: str = "A^H Y (rmatmat)", copy: bool = True) -> np.ndarray:
        """``A^H Y`` for ``Y`` of shape ``(M, k)`` through ``rmatmat``; checked ``(N, k)`` and finite.

        When ``rmatmat`` fails because the operator defines no adjoint at all (scipy's
        ``rmatvec`` raises ``NotImplementedError``), the failure says so.
        """
        try:
            return self._batched("A^H", what, Y, copy)
        except OperatorFailure as failure:
            try:
                self.op.rmatvec(np.zeros(self.rows, dtype=self.dtype))
            except NotImplementedError as exc:
                raise OperatorFailure(
                    what, f"the operator defines no adjoint (rmatvec raised NotImplementedError: {exc})"
                ) from failure
            except Exception:
                pass
            raise
