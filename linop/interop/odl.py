"""ODL operators in linop: an ``odl.Operator`` and its ``adjoint``, in the inner products of its spaces.

An ODL operator maps elements of its ``domain`` to elements of its ``range``, and its
``adjoint`` is the adjoint *in those spaces*: a discretised ``L^2`` space weights its
inner product by the cell volume (``uniform_discr``: ``weighting.const``), a weighted
``rn``/``cn`` by an array, a product space by a weight per component on top of each
component's own. :class:`OdlOperator` runs the operator on NumPy arrays of the spaces'
shapes and tells :func:`linop.verify` these inner products (its ``inner_product_spaces``),
so that

.. math::

    \\langle A x, y\\rangle_{W_{ran}} = \\langle x, A^* y\\rangle_{W_{dom}}

is what gets checked, with ``A*`` ODL's ``op.adjoint``. A real space (``field`` the real
numbers) holds real vectors: a map between a real and a complex space is checked as a
real-linear map. ODL is imported when these are called, never by ``import linop``.

Array layout: a tensor or discretised space is an array of its ``shape``; a power space
(``ProductSpace(X, n)``) an array of shape ``(n, *X.shape)``; any other product space the
concatenation of its components, flattened, in order.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .callback import CallbackOperator
from .frameworks import require

__all__ = ["OdlOperator", "from_odl"]


def _to_numpy(a: Any) -> np.ndarray:
    """An ODL element's or backend array's values as a NumPy array."""
    if hasattr(a, "asarray"):
        a = a.asarray()
    if hasattr(a, "detach"):  # ODL's PyTorch backend
        a = a.detach().cpu().numpy()
    return np.asarray(a)


class _Layout:
    """How one ODL space is laid out as a NumPy array, and its inner product's weights or Gram matrix."""

    shape: tuple[int, ...]
    size: int
    real: bool
    dtype: np.dtype

    def __init__(self, space: Any, side: str):
        odl = require("odl", "odl")
        self.space = space
        self.side = side
        self.product = isinstance(space, odl.ProductSpace)
        if self.product:
            self.parts = [_Layout(component, side) for component in space.spaces]
            shapes = {p.shape for p in self.parts}
            self.power = len(shapes) == 1 and all(not p.product for p in self.parts)
            if self.power:
                self.shape = (len(self.parts),) + self.parts[0].shape
            else:
                self.shape = (sum(p.size for p in self.parts),)
            self.real = all(p.real for p in self.parts)
            self.dtype = np.result_type(*(p.dtype for p in self.parts))
        else:
            self.shape = tuple(int(s) for s in space.shape)
            self.real = bool(space.is_real)
            self.dtype = np.dtype(space.dtype)
        self.size = math.prod(self.shape)
        self.weights, self.gram, self.description = self._inner_product()

    # -- the inner product ---------------------------------------------------------------
    def _inner_product(self) -> tuple[Any, Any, str]:
        """``(weights, gram, text)``: one number or an array of ``shape`` (else ``None``), a Gram matrix, a label."""
        weighting = self.space.weighting
        exponent = float(getattr(weighting, "exponent", 2.0))
        name = type(weighting).__name__
        if exponent != 2.0:
            raise ValueError(
                f"the ODL operator's {self.side} {self.space!r} has a weighting of exponent {exponent}: "
                "it defines a norm but no inner product, so there is no adjoint to verify"
            )
        if self.product:
            return self._product_inner_product(weighting, name)
        if hasattr(weighting, "const"):
            return float(weighting.const), None, f"ODL {name}"
        if hasattr(weighting, "array"):
            w = _to_numpy(weighting.array).astype(np.float64)
            return np.broadcast_to(w, self.shape).copy(), None, f"ODL {name} of shape {w.shape}"
        if hasattr(weighting, "matrix"):
            matrix = weighting.matrix
            return None, matrix, f"ODL {name}"
        raise ValueError(
            f"the ODL operator's {self.side} {self.space!r} has a {name}: linop cannot read its inner product as "
            f"weights or a Gram matrix; declare it with linop.verify(op, {self.side}=linop.verification.Space(...))"
        )

    def _product_inner_product(self, weighting: Any, name: str) -> tuple[Any, Any, str]:
        if hasattr(weighting, "const"):
            factors = [float(weighting.const)] * len(self.parts)
        elif hasattr(weighting, "array"):
            factors = [float(v) for v in _to_numpy(weighting.array).ravel()]
        else:
            raise ValueError(
                f"the ODL operator's {self.side} is a product space with a {name}: linop cannot read its inner "
                f"product; declare it with linop.verify(op, {self.side}=linop.verification.Space(...))"
            )
        if any(p.gram is not None for p in self.parts):
            import scipy.sparse as sp

            blocks = []
            for factor, p in zip(factors, self.parts):
                block = p.gram if p.gram is not None else sp.diags(np.broadcast_to(p.weights, (p.size,)).ravel())
                blocks.append(factor * sp.csr_array(block))
            return None, sp.block_diag(blocks, format="csr"), f"ODL {name} over the components' Gram matrices"
        pieces = [factor * np.broadcast_to(p.weights, p.shape).ravel() for factor, p in zip(factors, self.parts)]
        weights = np.concatenate(pieces).reshape(self.shape)
        if np.all(weights == weights.ravel()[0]):
            return float(weights.ravel()[0]), None, f"ODL {name} over the components' weightings"
        return weights, None, f"ODL {name} over the components' weightings"

    def space_description(self) -> dict:
        """The space for :func:`linop.verify` (a mapping of :class:`linop.verification.Space` fields)."""
        description: dict[str, Any] = {"real": self.real, "name": self.description}
        if self.gram is not None:
            description["gram"] = self.gram
        else:
            description["weights"] = self.weights
        return description

    # -- arrays and elements -------------------------------------------------------------
    def element(self, a: np.ndarray) -> Any:
        """The element of the space with the values of ``a`` (of ``shape``; real part for a real space)."""
        a = np.asarray(a)
        if self.real and np.iscomplexobj(a):
            a = a.real
        if not self.product:
            return self.space.element(np.ascontiguousarray(a.reshape(self.shape), dtype=self.dtype))
        if self.power:
            return self.space.element([p.element(a[k]) for k, p in enumerate(self.parts)])
        flat, parts, start = a.ravel(), [], 0
        for p in self.parts:
            parts.append(p.element(flat[start : start + p.size]))
            start += p.size
        return self.space.element(parts)

    def array(self, element: Any) -> np.ndarray:
        """The values of an element of the space as an array of ``shape``."""
        if not self.product:
            return _to_numpy(element).reshape(self.shape)
        parts = [p.array(part) for p, part in zip(self.parts, element.parts)]
        if self.power:
            return np.stack(parts).reshape(self.shape)
        return np.concatenate([part.ravel() for part in parts]).reshape(self.shape)


class OdlOperator(CallbackOperator):
    """An ``odl.Operator`` as a shaped linop operator, adjoint ``op.adjoint``, with its spaces' inner products.

    Parameters
    ----------
    op : odl.Operator
        A linear ODL operator; its ``adjoint`` is looked up when first applied, so an
        operator without one fails the check that needs it (not the construction).

    Attributes
    ----------
    odl_operator : odl.Operator
    inner_product_spaces : dict
        The domain's and the range's inner products (weights, Gram matrix, real vectors),
        which :func:`linop.verify` uses unless told otherwise.

    Raises
    ------
    TypeError
        ``op`` is not an ``odl.Operator``.
    ValueError
        A space whose inner product cannot be read (a custom inner product, an exponent
        other than 2): declare it with ``domain=``/``range=`` instead.

    Examples
    --------
    >>> import odl, linop
    >>> from linop.interop.odl import OdlOperator
    >>> space = odl.uniform_discr([0, 0], [1, 1], (8, 8))
    >>> G = OdlOperator(odl.Gradient(space))
    >>> G.input_shape, G.output_shape, G.inner_product_spaces["domain"]["weights"]
    ((8, 8), (2, 8, 8), 0.015625)
    >>> linop.verify(G, seed=0).passed
    True
    """

    def __init__(self, op: Any):
        odl = require("odl", "odl")
        if not isinstance(op, odl.Operator):
            raise TypeError(f"op must be an odl.Operator; got {type(op).__name__}")
        self.odl_operator = op
        self._domain = _Layout(op.domain, "domain")
        self._range = _Layout(op.range, "range")
        values = np.result_type(self._domain.dtype, self._range.dtype)
        dtype = values if np.issubdtype(values, np.inexact) else np.dtype(np.float64)
        super().__init__(self._domain.shape, self._range.shape, dtype)
        self.inner_product_spaces = {
            "domain": self._domain.space_description(),
            "range": self._range.space_description(),
        }

    def _run_forward(self, x: np.ndarray) -> np.ndarray:
        op = self.odl_operator
        return np.stack([self._range.array(op(self._domain.element(sample))) for sample in x])

    def _run_adjoint(self, y: np.ndarray) -> np.ndarray:
        adjoint = self.odl_operator.adjoint
        return np.stack([self._domain.array(adjoint(self._range.element(sample))) for sample in y])

    def __repr__(self) -> str:
        name = type(self.odl_operator).__name__
        return f"<OdlOperator {name}: {self.input_shape} -> {self.output_shape}, dtype={self.dtype}>"


def from_odl(op: Any) -> OdlOperator:
    """An ``odl.Operator`` as a shaped linop operator that knows its spaces' inner products.

    Parameters
    ----------
    op : odl.Operator
        A linear operator; ``op.adjoint`` is the adjoint that :func:`linop.verify` checks,
        in the inner products of ``op.domain`` and ``op.range``.

    Returns
    -------
    OdlOperator

    Raises
    ------
    TypeError, ValueError
        See :class:`OdlOperator`.

    Examples
    --------
    >>> import odl, linop
    >>> from linop.interop.odl import from_odl
    >>> fine = odl.uniform_discr(0, 1, 8)
    >>> A = from_odl(odl.ScalingOperator(fine, 2.0))
    >>> A.inner_product_spaces["range"]["weights"]
    0.125
    """
    return OdlOperator(op)


def adapt_odl_object(obj: object, *, input_shape: Any = None, dtype: Any = None) -> OdlOperator:
    """What :func:`linop.interop.adapt` does with an ODL operator (shapes and dtype come from its spaces).

    Raises
    ------
    ValueError
        ``input_shape`` or ``dtype`` given: an ODL operator's spaces determine both.
    """
    if input_shape is not None or dtype is not None:
        raise ValueError("an ODL operator's spaces give its shapes and dtype: leave out input_shape and dtype")
    return from_odl(obj)
