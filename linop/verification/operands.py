"""The operator under test as the checks see it: sizes, shapes, dtypes, random vectors, guarded calls.

Works on any :class:`scipy.sparse.linalg.LinearOperator`. Shapes are read by duck
typing: an operator with ``input_shape`` and ``output_shape`` attributes whose sizes
match its columns and rows is *shaped*, and the checks then name entries by their
multi-index; every other operator is treated as a map from ``(N,)`` to ``(M,)``.

Inner products are ``<u, v> = sum_i u_i conj(v_i)`` (linear in the first argument),
taken in float64 or complex128 whatever the operator's precision. An operator verified in
other inner products (:mod:`linop.verification.spaces`) is seen by the dot test, the
matrices and the probes through a :class:`SpaceView`: the pair ``(W_ran A, W_dom A*)``,
realified for a real-linear map, which obeys the Euclidean identity exactly when ``A*``
is the adjoint in the declared spaces.
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
from .spaces import InnerProducts, Weighting, inner_products
from .tolerance import relative_tolerance, vector_dtype, working_precision

__all__ = [
    "OperatorFailure",
    "OperatorUnderTest",
    "SpaceView",
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
    spaces : InnerProducts, optional
        The inner products of the domain and the range (Euclidean by default).
    """

    op: LinearOperator
    rng: np.random.Generator
    trials: int = 3
    rtol: float | None = None
    spaces: InnerProducts | None = None

    def __post_init__(self) -> None:
        self.rows, self.cols = (int(s) for s in self.op.shape)
        self.dtype = vector_dtype(getattr(self.op, "dtype", None))
        ishape, oshape, problem = declared_shapes(self.op)
        self.shaped = ishape is not None
        self.shape_problem = problem
        self.input_shape: tuple[int, ...] = ishape if ishape is not None else (self.cols,)
        self.output_shape: tuple[int, ...] = oshape if oshape is not None else (self.rows,)
        self._fallback: dict[str, bool] = {}
        if self.spaces is None:
            self.spaces = inner_products(None, self.is_complex)
        self._view: OperatorUnderTest | None = None

    # -- spaces --------------------------------------------------------------------------
    @property
    def inner(self) -> InnerProducts:
        assert self.spaces is not None
        return self.spaces

    @property
    def complex_scalars(self) -> bool:
        """Whether linearity is checked for complex scalars (a complex-linear map)."""
        return self.is_complex and not self.inner.real_linear

    def space_dtype(self, side: str) -> np.dtype:
        """The dtype of vectors of the domain (``side="A"``, what ``A`` takes) or of the range (``"A^H"``)."""
        real = self.inner.domain_real if side == "A" else self.inner.range_real
        return np.finfo(self.dtype).dtype if real else self.dtype

    def random_input(self, count: int | None = None) -> np.ndarray:
        """Random vectors of the domain: ``(N,)`` or ``(N, count)``, real for a real domain."""
        return self.random(self.cols, count, self.space_dtype("A"))

    def random_output(self, count: int | None = None) -> np.ndarray:
        """Random vectors of the range: ``(M,)`` or ``(M, count)``, real for a real range."""
        return self.random(self.rows, count, self.space_dtype("A^H"))

    def euclidean(self) -> OperatorUnderTest:
        """The operator as the Euclidean checks must see it: itself, or its :class:`SpaceView`."""
        if self.inner.euclidean:
            return self
        if self._view is None:
            self._view = SpaceView(self)
        return self._view

    # -- how the checks name things ------------------------------------------------------
    @property
    def adjoint_name(self) -> str:
        """``A^H`` (the Euclidean adjoint) or ``A*`` (the adjoint in the declared inner products)."""
        return self.inner.adjoint_name

    def inner_name(self, left: str, right: str) -> str:
        """``<left, right>``, with ``_W`` for weighted and ``Re`` for real inner products."""
        return self.inner.inner_name(left, right)

    def place(self, flat: int, side: str) -> tuple[int, tuple[int, ...], tuple[int, ...], str | None]:
        """``(row or column, multi-index, shape, part)`` of flat index ``flat`` on the output (``side="output"``)
        or input side; ``part`` (``"re"``/``"im"``) only for the realified coordinates of a :class:`SpaceView`."""
        if side == "output":
            return int(flat), self.output_index(flat), self.output_shape, None
        return int(flat), self.input_index(flat), self.input_shape, None

    def entry_text(self, i: int, j: int, forward: complex | float, adjoint: complex | float) -> str:
        """What a disagreement of entry ``(i, j)`` says: both values and what the adjoint's should be."""
        return f"A[{i}, {j}] = {_fmt(forward)} but A^H[{j}, {i}] = {_fmt(adjoint)} (should be its conjugate)"

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


def _fmt(v: complex | float) -> str:
    v = complex(v)
    if v.imag == 0:
        return f"{v.real:.6g}"
    return f"{v.real:.6g}{v.imag:+.6g}j"


class SpaceView(OperatorUnderTest):
    """The operator in its own spaces, as a pair the Euclidean checks can verify.

    With ``W_dom``, ``W_ran`` the weightings of the domain and the range (diagonal weights
    or Gram operators), the view's forward map is ``x -> W_ran A x`` and its adjoint
    ``y -> W_dom A* y``, where ``A*`` is the operator's own ``rmatvec``. The Euclidean
    identity of the pair,

    .. math::

        \\langle W_{ran} A x, y\\rangle = \\langle x, W_{dom} A^* y\\rangle
        \\iff \\langle A x, y\\rangle_{W_{ran}} = \\langle x, A^* y\\rangle_{W_{dom}},

    holds exactly when ``A*`` is the adjoint in those inner products. For a real-linear
    map of a complex operator, the view is *realified*: each complex coordinate of a
    complex space becomes two real ones (real, imaginary; a trailing axis of 2 in the
    shape), so that the Euclidean real inner product of the view is
    ``Re <u, v>_W``. A map into a real space must return real vectors: an imaginary part
    above the tolerance is reported as a failure of the call.
    """

    def __init__(self, parent: OperatorUnderTest):
        self.parent = parent
        self.op, self.rng, self.trials, self.rtol = parent.op, parent.rng, parent.trials, parent.rtol
        self.spaces = parent.inner
        self.domain_weighting = Weighting(self.inner.domain, parent.input_shape, "domain")
        self.range_weighting = Weighting(self.inner.range, parent.output_shape, "range")
        self.realified = parent.is_complex and self.inner.real_linear
        self.input_parts = 2 if self.realified and not self.inner.domain_real else 1
        self.output_parts = 2 if self.realified and not self.inner.range_real else 1
        self.dtype = np.finfo(parent.dtype).dtype if self.realified else parent.dtype
        self.rows, self.cols = parent.rows * self.output_parts, parent.cols * self.input_parts
        self.input_shape = parent.input_shape + ((2,) if self.input_parts == 2 else ())
        self.output_shape = parent.output_shape + ((2,) if self.output_parts == 2 else ())
        self.shaped = parent.shaped
        self.shape_problem = None
        self._fallback = {}
        self._view = self

    def euclidean(self) -> OperatorUnderTest:
        return self

    def tolerance(self, *result_dtypes: npt.DTypeLike | None) -> float:
        """``tau`` for the least precise of the operator, the results and a Gram operator's dtype."""
        return relative_tolerance(
            working_precision(
                self.dtype, *result_dtypes, self.domain_weighting.precision, self.range_weighting.precision
            ),
            self.n,
            self.rtol,
        )

    # -- the maps ------------------------------------------------------------------------
    def _combine(self, X: np.ndarray, parts: int, real_side: bool) -> np.ndarray:
        """View coordinates ``(parts * n, k)`` as the operator's vectors ``(n, k)``."""
        if parts == 2:
            pairs = X.reshape(X.shape[0] // 2, 2, X.shape[1])
            return (pairs[:, 0] + 1j * pairs[:, 1]).astype(self.parent.dtype)
        return X

    def _landed(self, F: np.ndarray, real_side: bool, side: str, what: str) -> np.ndarray:
        """``F`` as real vectors when it must lie in a real space (its imaginary part must be rounding noise)."""
        if not (self.realified and real_side) or not np.iscomplexobj(F):
            return F
        size = norm(F)
        imaginary = norm(F.imag)
        tau = self.tolerance(F.dtype)
        if imaginary > tau * size:
            raise OperatorFailure(
                what,
                f"returned complex vectors for the real {side}: their imaginary part is {imaginary / size:.3g} of "
                f"their size (> {tau:.3g}); a map into a real space must return real vectors",
            )
        return F.real

    def _split(self, F: np.ndarray, parts: int) -> np.ndarray:
        """The operator's vectors ``(n, k)`` as view coordinates ``(parts * n, k)``."""
        if parts == 2:
            F = double(F)
            return np.stack([F.real, F.imag], axis=1).reshape(2 * F.shape[0], F.shape[1])
        return F

    def forward(self, X: np.ndarray, what: str = "A X (matmat)", copy: bool = True) -> np.ndarray:
        """``W_ran A X`` in view coordinates."""
        inputs = self._combine(X, self.input_parts, self.inner.domain_real)
        F = self.parent.forward(inputs, what, copy=copy if inputs is X else False)
        F = self._landed(F, self.inner.range_real, "range", what)
        return self._split(self.range_weighting.apply(F), self.output_parts)

    def adjoint(self, Y: np.ndarray, what: str = "A* Y (rmatmat)", copy: bool = True) -> np.ndarray:
        """``W_dom A* Y`` in view coordinates."""
        inputs = self._combine(Y, self.output_parts, self.inner.range_real)
        R = self.parent.adjoint(inputs, what.replace("A^H", "A*"), copy=copy if inputs is Y else False)
        R = self._landed(R, self.inner.domain_real, "domain", what.replace("A^H", "A*"))
        return self._split(self.domain_weighting.apply(R), self.input_parts)

    # -- naming --------------------------------------------------------------------------
    def place(self, flat: int, side: str) -> tuple[int, tuple[int, ...], tuple[int, ...], str | None]:
        parts = self.output_parts if side == "output" else self.input_parts
        shape = self.parent.output_shape if side == "output" else self.parent.input_shape
        index, part = divmod(int(flat), parts)
        label = None if parts == 1 else ("re", "im")[part]
        return index, tuple(int(v) for v in np.unravel_index(index, shape)), shape, label

    def _coordinate(self, flat: int, side: str) -> str:
        index, _, _, part = self.place(flat, side)
        return f"{index} {part}" if part else f"{index}"

    def describe_entry(self, i: int, j: int) -> str:
        row, out_index, _, out_part = self.place(i, "output")
        column, in_index, _, in_part = self.place(j, "input")
        text = f"row {row}{' (' + _PART[out_part] + ')' if out_part else ''}, column {column}"
        text += f" ({_PART[in_part]})" if in_part else ""
        if self.shaped:
            text += f" (output index {out_index}, input index {in_index})"
        return text

    def entry_text(self, i: int, j: int, forward: complex | float, adjoint: complex | float) -> str:
        out, into = self._coordinate(i, "output"), self._coordinate(j, "input")
        a_name, s_name = f"A[{out}, {into}]", f"A*[{into}, {out}]"
        conj = "conj" if self.is_complex else ""
        if self.domain_weighting.gram is not None or self.range_weighting.gram is not None:
            return (
                f"(W_range A)[{out}, {into}] = {_fmt(forward)} but (W_domain A*)[{into}, {out}] = {_fmt(adjoint)} "
                f"(should be {'its conjugate' if conj else 'equal'}: W_domain A* = (W_range A)^H)"
            )
        row, column = self.place(i, "output")[0], self.place(j, "input")[0]
        w_ran = _weight(self.range_weighting, row)
        w_dom = _weight(self.domain_weighting, column)
        a, b = complex(forward) / w_ran, complex(adjoint) / w_dom
        expected = (a.conjugate() if conj else a) * w_ran / w_dom
        if w_ran == 1.0 and w_dom == 1.0:
            rule = f"{conj}({a_name})" if conj else f"equal to {a_name}"
        else:
            rule = f"{conj}({a_name})" if conj else a_name
            rule += f" w_range[{row}] / w_domain[{column}] = {_fmt(expected)}"
        return f"{a_name} = {_fmt(a)} but {s_name} = {_fmt(b)} (should be {rule})"


_PART = {"re": "real part", "im": "imaginary part"}


def _weight(weighting: Weighting, index: int) -> float:
    w = weighting.diagonal
    if w is None:
        return 1.0
    return float(w) if np.ndim(w) == 0 else float(np.asarray(w)[index])
