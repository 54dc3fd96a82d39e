"""The shaped linear operator: a scipy LinearOperator that knows the arrays it maps.

A :class:`ShapedOperator` ``A`` maps arrays of shape ``input_shape`` to arrays of
shape ``output_shape``; as a matrix (C-order flattening) it has
``shape == (prod(output_shape), prod(input_shape))``. Subclasses implement two hooks
on batched arrays (batch axis first)::

    _forward(x)   # x.shape == (B, *input_shape)  -> (B, *output_shape)
    _backward(y)  # y.shape == (B, *output_shape) -> (B, *input_shape), the adjoint A^H

and everything else follows: ``apply``/``apply_adjoint`` with any leading batch axes,
scipy's ``matvec``/``matmat``/``rmatvec``/``rmatmat`` (``matmat`` columns are samples,
handled as one batch), ``A.H``, ``A.T``, ``A @ B``, ``A + B``, ``c * A``, ``-A``,
``to_dense()`` and ``to_sparse()``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import TypeGuard

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator

from ..arguments import check_operand
from ..deprecation import moved_names
from ..immutable import immutable
from .blocking import NUMERIC_HOOKS, Adjoint, BlockStructure, Composed, Scaled, Summed, Transposed, numerics_inherited

__all__ = [
    "AdjointOperator",
    "Composition",
    "ScaledOperator",
    "ShapedOperator",
    "SumOperator",
    "TransposeOperator",
]

#: ``as_shape`` moved to :mod:`linop.arguments`.
__getattr__ = moved_names(__name__, {"as_shape": "linop.arguments:as_shape"})

#: Largest matrix (entries) that ``to_dense`` builds without ``force=True``.
DENSE_LIMIT = 50_000_000

#: Array libraries whose arrays ``apply`` hands to :mod:`linop.interop`, known by the
#: package their type comes from (so that none of them is imported to tell).
FOREIGN_ARRAY_PACKAGES = ("torch", "jax", "jaxlib", "cupy")

#: What :meth:`ShapedOperator._hand_up` returns when the operand is an ordinary array.
_NOT_FOREIGN = object()


def _array_kind(a: object) -> str | None:
    """``"dask"`` for a Dask array, ``"foreign"`` for a PyTorch, JAX, CuPy or other
    array-API array, ``None`` for NumPy arrays and anything else; told by the type's
    module, never by importing a framework."""
    if isinstance(a, np.ndarray):
        return None
    cls = type(a)
    package = cls.__module__.partition(".")[0]
    if package == "dask":
        return "dask" if cls.__name__ == "Array" else None
    if package in FOREIGN_ARRAY_PACKAGES or (hasattr(a, "__array_namespace__") and package != "numpy"):
        return "foreign"
    return None


def _is_number(x: object) -> TypeGuard[complex | np.number]:
    """Whether ``A * x`` scales ``A`` by ``x``: a Python or NumPy number."""
    return bool(np.isscalar(x)) and isinstance(x, numbers.Number)


class ShapedOperator(LinearOperator):
    """A :class:`scipy.sparse.linalg.LinearOperator` between arrays of given shapes.

    Parameters
    ----------
    input_shape, output_shape : tuple of int
        Shapes of the arrays ``A`` maps from and to.
    dtype : numpy dtype
        The operator's dtype (of its matrix entries).

    Examples
    --------
    >>> class Doubling(linop.ShapedOperator):
    ...     # x -> 2 x on arrays of shape (2, 3)
    ...     def __init__(self):
    ...         super().__init__((2, 3), (2, 3), np.float64)
    ...     def _forward(self, x):
    ...         return 2 * x
    ...     def _backward(self, y):
    ...         return 2 * y
    ...
    >>> D = Doubling()
    >>> D.apply(np.ones((2, 3)))[0]
    array([2., 2., 2.])
    >>> D.shape, D.H.input_shape
    ((6, 6), (2, 3))
    """

    #: The methods that make this class's map on NumPy: a subclass that overrides one
    #: computes another map, and loses the block structure its base offers
    #: (:func:`~linop.operators.blocking.numerics_inherited`).
    _numeric_hooks: tuple[str, ...] = NUMERIC_HOOKS

    def __init__(self, input_shape: Sequence[int], output_shape: Sequence[int], dtype: np.dtype | type):
        self.input_shape: tuple[int, ...] = tuple(int(s) for s in input_shape)
        self.output_shape: tuple[int, ...] = tuple(int(s) for s in output_shape)
        super().__init__(np.dtype(dtype), (math.prod(self.output_shape), math.prod(self.input_shape)))

    # -- pickling and copying ----------------------------------------------------------------
    def __getstate__(self) -> dict:
        """The attributes, with the names of the read-only arrays among them.

        An operator holds no cache and no compiled plan itself (those live in
        :mod:`linop.backends`, keyed by the arrays and geometry, and are rebuilt on the
        other side); its backend is held by name. A pickled or deep-copied array comes
        back writeable, so :meth:`__setstate__` makes the arrays that were read-only
        immutable again (the kernel stays a private copy nobody can change).
        """
        state = self.__dict__.copy()
        state["_read_only_arrays"] = tuple(
            name for name, value in state.items() if isinstance(value, np.ndarray) and not value.flags.writeable
        )
        return state

    def __setstate__(self, state: dict) -> None:
        state = dict(state)
        refrozen: dict[int, np.ndarray] = {}  # arrays shared by two attributes stay shared
        for name in state.pop("_read_only_arrays", ()):
            array = state[name]
            if id(array) not in refrozen:
                refrozen[id(array)] = immutable(array)
            state[name] = refrozen[id(array)]
        self.__dict__.update(state)

    # -- hooks for subclasses ------------------------------------------------------------
    def _forward(self, x: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _backward(self, y: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    # -- array interface -----------------------------------------------------------------
    def _result_dtype(self, x: np.ndarray) -> np.dtype:
        dt = np.result_type(x.dtype, self.dtype)
        if not np.issubdtype(dt, np.inexact):
            dt = np.dtype(np.float64)
        return dt

    def _batched(self, arr: object, shape: tuple[int, ...], name: str) -> tuple[np.ndarray, tuple[int, ...]]:
        a = np.asarray(arr)
        batch = check_operand(a.shape, a.dtype, shape, name)
        a = a.astype(self._result_dtype(a), copy=False).reshape((-1,) + shape)
        return a, batch

    def _hand_up(self, operand: object, how: str) -> object:
        """The one dispatch point for arrays that are not NumPy's.

        A Dask array goes to :mod:`linop.dask` (lazily, block by block), a PyTorch, JAX or
        other array-API array to :mod:`linop.interop` (an array of its own kind back); each
        extra is imported here, when such an array arrives, never with the operators.
        ``how`` is ``"apply"``, ``"apply_adjoint"``, ``"matvec"``, ``"rmatvec"`` or ``"dot"``.
        Returns ``_NOT_FOREIGN`` for everything else (the NumPy path runs).
        """
        kind = _array_kind(operand)
        if kind == "dask":
            from ..dask.dispatch import run as run_blocked

            return run_blocked(self, operand, how)
        if kind == "foreign" and how in ("apply", "apply_adjoint"):
            from ..interop.foreign import apply_foreign

            return apply_foreign(self, operand, adjoint=how == "apply_adjoint")
        return _NOT_FOREIGN

    def _apply(self, operand: object, adjoint: bool) -> np.ndarray:
        """``A x`` (``adjoint=False``) or ``A^H y`` on ``(..., *shape)``: validation and batching, once."""
        handed = self._hand_up(operand, "apply_adjoint" if adjoint else "apply")
        if handed is not _NOT_FOREIGN:
            return handed  # type: ignore[return-value]
        source, target = (self.output_shape, self.input_shape) if adjoint else (self.input_shape, self.output_shape)
        batched, batch = self._batched(operand, source, "y" if adjoint else "x")
        if batched.shape[0] == 0:
            return np.zeros(batch + target, dtype=batched.dtype)
        result = self._backward(batched) if adjoint else self._forward(batched)
        return result.reshape(batch + target)

    def apply(self, x: object) -> np.ndarray:
        """``A x`` for ``x`` of shape ``(..., *input_shape)``; returns ``(..., *output_shape)``.

        An empty batch (a batch axis of length 0) gives an empty result of the right
        shape and dtype without calling the numerics. A Dask array gives a lazy Dask
        array (:mod:`linop.dask`); a PyTorch tensor, JAX array or other array-API array
        gives an array of its own kind back (:mod:`linop.interop`).
        """
        return self._apply(x, adjoint=False)

    def apply_adjoint(self, y: object) -> np.ndarray:
        """``A^H y`` for ``y`` of shape ``(..., *output_shape)``; returns ``(..., *input_shape)``.

        An empty batch gives an empty result of the right shape and dtype; Dask and
        foreign arrays as in :meth:`apply`.
        """
        return self._apply(y, adjoint=True)

    __call__ = apply

    # -- scipy hooks ---------------------------------------------------------------------
    def matvec(self, x: object):
        handed = self._hand_up(x, "matvec")  # a Dask vector stays lazy (scipy would pull it into memory)
        return super().matvec(x) if handed is _NOT_FOREIGN else handed

    def rmatvec(self, x: object):
        handed = self._hand_up(x, "rmatvec")
        return super().rmatvec(x) if handed is _NOT_FOREIGN else handed

    def _matvec(self, x: np.ndarray) -> np.ndarray:
        return self.apply(np.reshape(x, self.input_shape)).reshape(-1)

    def _rmatvec(self, y: np.ndarray) -> np.ndarray:
        return self.apply_adjoint(np.reshape(y, self.output_shape)).reshape(-1)

    def _matmat(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X)
        out = self.apply(X.T.reshape((X.shape[1],) + self.input_shape))
        return out.reshape(X.shape[1], self.shape[0]).T

    def _rmatmat(self, Y: np.ndarray) -> np.ndarray:
        Y = np.asarray(Y)
        out = self.apply_adjoint(Y.T.reshape((Y.shape[1],) + self.output_shape))
        return out.reshape(Y.shape[1], self.shape[1]).T

    def _adjoint(self) -> ShapedOperator:
        return AdjointOperator(self)

    def _transpose(self) -> ShapedOperator:
        return TransposeOperator(self)

    # -- algebra that keeps shapes -------------------------------------------------------
    def __matmul__(self, other: object):
        if isinstance(other, ShapedOperator):
            return Composition(self, other)
        return super().__matmul__(other)

    def __rmatmul__(self, other: object):
        if isinstance(other, ShapedOperator):
            return Composition(other, self)
        return super().__rmatmul__(other)

    def dot(self, x: object):
        if isinstance(x, ShapedOperator):
            return Composition(self, x)
        handed = self._hand_up(x, "dot")  # A @ x, A.dot(x), A * x on a Dask array: lazily
        return super().dot(x) if handed is _NOT_FOREIGN else handed

    # -- chunked arrays --------------------------------------------------------------------
    def block_structure(self) -> BlockStructure | None:
        """How this operator decomposes into blocks of a chunked array
        (:mod:`linop.operators.blocking`); ``None``: no decomposition, a scheduler runs
        :meth:`apply` on whole spatial extents. linop's operators override it."""
        return None

    def __mul__(self, x: object):
        if isinstance(x, ShapedOperator):
            return Composition(self, x)
        if _is_number(x):
            return ScaledOperator(self, x)
        return super().__mul__(x)

    def __rmul__(self, x: object):
        if _is_number(x):
            return ScaledOperator(self, x)
        return super().__rmul__(x)

    def __neg__(self):
        return ScaledOperator(self, -1)

    def __add__(self, other: object):
        if isinstance(other, ShapedOperator):
            return SumOperator(self, other)
        return super().__add__(other)

    def __sub__(self, other: object):
        if isinstance(other, ShapedOperator):
            return SumOperator(self, ScaledOperator(other, -1))
        return super().__sub__(other)

    # -- explicit matrices ---------------------------------------------------------------
    def to_dense(self, *, force: bool = False) -> np.ndarray:
        """The explicit matrix (C-order flattening), built by applying ``A`` to the identity.

        Raises ``ValueError`` when the matrix has more than 5e7 entries unless ``force=True``.
        """
        rows, cols = self.shape
        if rows * cols > DENSE_LIMIT and not force:
            raise ValueError(
                f"to_dense would build a {rows} x {cols} matrix ({rows * cols:.3g} entries, limit "
                f"{DENSE_LIMIT:.0e}); use to_sparse() or pass force=True"
            )
        eye = np.eye(cols, dtype=self.dtype).reshape((cols,) + self.input_shape)
        return self.apply(eye).reshape(cols, rows).T.copy()

    def to_sparse(self) -> sp.csr_array:
        """The explicit matrix as a scipy CSR array.

        The generic version probes ``A`` with blocks of unit vectors (whole columns at
        once, never entry by entry); convolution-like operators override it with an
        exact construction from their index map.
        """
        rows, cols = self.shape
        block = max(1, min(cols, 2_000_000 // max(rows, 1)))
        parts = []
        for start in range(0, cols, block):
            stop = min(cols, start + block)
            eye = np.zeros((stop - start, cols), dtype=self.dtype)
            eye[np.arange(stop - start), np.arange(start, stop)] = 1
            dense = self.apply(eye.reshape((stop - start,) + self.input_shape)).reshape(stop - start, rows)
            parts.append(sp.csr_array(dense.T))
        return sp.hstack(parts, format="csr") if len(parts) > 1 else parts[0]

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self.input_shape} -> {self.output_shape}, dtype={self.dtype}>"


def _require_shaped(op: object, name: str) -> ShapedOperator:
    if not isinstance(op, ShapedOperator):
        raise TypeError(f"{name} must be a ShapedOperator; got {type(op).__name__}")
    return op


class AdjointOperator(ShapedOperator):
    """``A^H`` of a shaped operator: input and output shapes swap. ``(A^H)^H`` is ``A``.

    Parameters
    ----------
    op : ShapedOperator
        The operator ``A`` whose adjoint this is.

    Raises
    ------
    TypeError
        If ``op`` is not a :class:`ShapedOperator`.

    Examples
    --------
    >>> A = linop.Convolution([1.0, 2.0], (4,)) @ linop.Pad((3,), [(0, 1)])
    >>> B = linop.AdjointOperator(A)
    >>> B.input_shape, B.output_shape
    ((3,), (3,))
    >>> B.H is A
    True
    """

    def __init__(self, op: ShapedOperator):
        self.op = _require_shaped(op, "op")
        super().__init__(op.output_shape, op.input_shape, op.dtype)

    def _forward(self, x: np.ndarray) -> np.ndarray:
        return self.op._backward(x)

    def _backward(self, y: np.ndarray) -> np.ndarray:
        return self.op._forward(y)

    def _adjoint(self) -> ShapedOperator:
        return self.op

    def to_sparse(self) -> sp.csr_array:
        return sp.csr_array(self.op.to_sparse().conj().T)

    def block_structure(self) -> Adjoint | None:
        """``A^H`` of a chunked array: the adjoint of ``A``'s blocks (``None`` for a subclass
        that replaces the numerics)."""
        return Adjoint(self.op) if numerics_inherited(self, AdjointOperator) else None


class TransposeOperator(ShapedOperator):
    """``A^T = conj(A^H conj(.))``: the transpose without conjugation.

    Parameters
    ----------
    op : ShapedOperator
        ``A``.

    Raises
    ------
    TypeError
        If ``op`` is not a :class:`ShapedOperator`.

    Examples
    --------
    >>> A = linop.Convolution([1j, 2.0], (3,))
    >>> np.allclose(A.T.to_dense(), A.to_dense().T)
    True
    >>> np.allclose(A.H.to_dense(), A.to_dense().conj().T)
    True
    """

    def __init__(self, op: ShapedOperator):
        self.op = _require_shaped(op, "op")
        super().__init__(op.output_shape, op.input_shape, op.dtype)

    def _forward(self, x: np.ndarray) -> np.ndarray:
        if np.iscomplexobj(x) or np.iscomplexobj(np.empty(0, self.dtype)):
            return self.op._backward(x.conj()).conj()
        return self.op._backward(x)

    def _backward(self, y: np.ndarray) -> np.ndarray:
        if np.iscomplexobj(y) or np.iscomplexobj(np.empty(0, self.dtype)):
            return self.op._forward(y.conj()).conj()
        return self.op._forward(y)

    def _transpose(self) -> ShapedOperator:
        return self.op

    def to_sparse(self) -> sp.csr_array:
        return sp.csr_array(self.op.to_sparse().T)

    def block_structure(self) -> Transposed | None:
        """``A^T`` of a chunked array (``None`` for a subclass that replaces the numerics)."""
        return Transposed(self.op) if numerics_inherited(self, TransposeOperator) else None


class Composition(ShapedOperator):
    """``A @ B``: apply ``B`` then ``A``; requires ``A.input_shape == B.output_shape``.

    Parameters
    ----------
    outer : ShapedOperator
        ``A``, applied second.
    inner : ShapedOperator
        ``B``, applied first; its ``output_shape`` must equal ``A.input_shape``.

    Raises
    ------
    TypeError
        If ``outer`` or ``inner`` is not a :class:`ShapedOperator`.
    ValueError
        If the shapes do not meet.

    Examples
    --------
    >>> P = linop.Pad((5,), 1)
    >>> C = linop.Convolution([1.0, 2.0, 1.0], P.output_shape)
    >>> A = C @ P                                    # a Composition
    >>> type(A).__name__, A.input_shape, A.output_shape
    ('Composition', (5,), (5,))
    """

    def __init__(self, outer: ShapedOperator, inner: ShapedOperator):
        self.outer = _require_shaped(outer, "outer")
        self.inner = _require_shaped(inner, "inner")
        if outer.input_shape != inner.output_shape:
            raise ValueError(
                f"cannot compose: the left operator takes shape {outer.input_shape} but the right "
                f"one returns {inner.output_shape}"
            )
        super().__init__(inner.input_shape, outer.output_shape, np.result_type(outer.dtype, inner.dtype))

    def _forward(self, x: np.ndarray) -> np.ndarray:
        return self.outer._forward(self.inner._forward(x))

    def _backward(self, y: np.ndarray) -> np.ndarray:
        return self.inner._backward(self.outer._backward(y))

    def _adjoint(self) -> ShapedOperator:
        return Composition(self.inner.H, self.outer.H)

    def _transpose(self) -> ShapedOperator:
        return Composition(self.inner.T, self.outer.T)

    def to_sparse(self) -> sp.csr_array:
        return sp.csr_array(self.outer.to_sparse() @ self.inner.to_sparse())

    def block_structure(self) -> Composed | None:
        """``A @ B`` of a chunked array: ``B``'s blocks, then ``A``'s (``None`` for a subclass
        that replaces the numerics)."""
        return Composed(self.outer, self.inner) if numerics_inherited(self, Composition) else None

    def __repr__(self) -> str:
        return f"<Composition: {self.outer!r} @ {self.inner!r}>"


class SumOperator(ShapedOperator):
    """``A + B`` for operators with equal input and equal output shapes.

    Parameters
    ----------
    left, right : ShapedOperator
        ``A`` and ``B``, with equal input shapes and equal output shapes.

    Raises
    ------
    TypeError
        If ``left`` or ``right`` is not a :class:`ShapedOperator`.
    ValueError
        If the shapes differ.

    Examples
    --------
    >>> A = linop.Convolution([1.0, -1.0], (5,))
    >>> B = linop.Convolution([0.5, 0.5], (5,))
    >>> (A + B).apply(np.arange(5.0))
    array([-0.5,  0.5,  1.5,  2.5])
    >>> (A - B).to_dense()[0]
    array([ 0.5, -1.5,  0. ,  0. ,  0. ])
    """

    def __init__(self, left: ShapedOperator, right: ShapedOperator):
        self.left = _require_shaped(left, "left")
        self.right = _require_shaped(right, "right")
        if left.input_shape != right.input_shape or left.output_shape != right.output_shape:
            raise ValueError(
                f"cannot add operators {left.input_shape} -> {left.output_shape} and "
                f"{right.input_shape} -> {right.output_shape}: shapes differ"
            )
        super().__init__(left.input_shape, left.output_shape, np.result_type(left.dtype, right.dtype))

    def _forward(self, x: np.ndarray) -> np.ndarray:
        return self.left._forward(x) + self.right._forward(x)

    def _backward(self, y: np.ndarray) -> np.ndarray:
        return self.left._backward(y) + self.right._backward(y)

    def _adjoint(self) -> ShapedOperator:
        return SumOperator(self.left.H, self.right.H)

    def _transpose(self) -> ShapedOperator:
        return SumOperator(self.left.T, self.right.T)

    def to_sparse(self) -> sp.csr_array:
        return sp.csr_array(self.left.to_sparse() + self.right.to_sparse())

    def block_structure(self) -> Summed | None:
        """``A + B`` of a chunked array (``None`` for a subclass that replaces the numerics)."""
        return Summed(self.left, self.right) if numerics_inherited(self, SumOperator) else None


class ScaledOperator(ShapedOperator):
    """``c * A`` for a scalar ``c``; its adjoint is ``conj(c) * A^H``.

    Parameters
    ----------
    op : ShapedOperator
        ``A``.
    scalar : number
        ``c``; complex for complex operators.

    Raises
    ------
    TypeError
        If ``op`` is not a :class:`ShapedOperator`.
    ValueError
        If ``scalar`` is not finite.

    Examples
    --------
    >>> A = linop.Convolution([1.0, 2.0], (3,))
    >>> (3 * A).apply(np.ones(3))
    array([9., 9.])
    >>> (-A).H.apply([1.0, 1.0])
    array([-1., -3., -2.])
    """

    def __init__(self, op: ShapedOperator, scalar: complex | np.number):
        self.op = _require_shaped(op, "op")
        if not np.isfinite(scalar):
            raise ValueError(f"scalar must be finite; got {scalar!r}")
        # Python scalars are "weak" in NumPy's promotion: 2 * (float32 operator) stays float32.
        self.scalar = scalar.item() if isinstance(scalar, np.generic) else scalar
        self._conj_scalar = self.scalar.conjugate()
        super().__init__(op.input_shape, op.output_shape, np.result_type(op.dtype, self.scalar))

    def _forward(self, x: np.ndarray) -> np.ndarray:
        return self.scalar * self.op._forward(x)

    def _backward(self, y: np.ndarray) -> np.ndarray:
        return self._conj_scalar * self.op._backward(y)

    def _adjoint(self) -> ShapedOperator:
        return ScaledOperator(self.op.H, self._conj_scalar)

    def _transpose(self) -> ShapedOperator:
        return ScaledOperator(self.op.T, self.scalar)

    def to_sparse(self) -> sp.csr_array:
        return sp.csr_array(self.scalar * self.op.to_sparse())

    def block_structure(self) -> Scaled | None:
        """``c A`` of a chunked array (``None`` for a subclass that replaces the numerics)."""
        return Scaled(self.op, self.scalar, self._conj_scalar) if numerics_inherited(self, ScaledOperator) else None
