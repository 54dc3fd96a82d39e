"""JAX arrays through linop's operators: a JAX array in, a JAX array of the same dtype and device out.

:func:`apply_to_array` is what ``A.apply(a)`` does for a JAX array ``a``. The call is a
linear JAX primitive computed by NumPy (through a ``jax.pure_callback`` under
``jax.jit``); its JVP is ``A`` and its transpose ``conj(A^H conj(g))``, the same primitive
again, so ``jax.jit``, ``jax.vmap``, ``jax.grad``, ``jax.jvp`` and their compositions
(``jax.hessian``) are exact to every order. This module knows an operator only by what
it offers, never by its class.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from ..arguments import check_flag, check_operand
from .frameworks import check_operator, require, returned_dtype

__all__ = ["apply_to_array"]


def _jax():
    return require("jax", "jax")


def _host_dtype(dtype: Any) -> np.dtype:
    """The NumPy dtype a JAX array is computed in on the host: float32 for the floating types NumPy lacks.

    bfloat16 and the float8 types (``ml_dtypes``, NumPy kind ``"V"``) are widened to
    float32, which holds their values exactly; every other dtype is kept.
    """
    jnp = _jax().numpy
    dt = np.dtype(dtype)
    if dt.kind not in "biufc" and jnp.issubdtype(dt, jnp.floating):
        return np.dtype(np.float32)
    return dt


def _numpy_map(op: Any, adjoint: bool, dtype: np.dtype) -> Callable:
    """The host callback: ``A`` or ``A^H`` on a NumPy array, returned in ``dtype``.

    A real ``dtype`` with a complex result happens only for the gradient of a real input,
    which is the real part (JAX's convention for real primals). Arrays of a dtype NumPy
    lacks (bfloat16) are computed in float32 and returned in ``dtype``.
    """

    def run(a: np.ndarray) -> np.ndarray:
        a = np.asarray(a)
        a = a.astype(_host_dtype(a.dtype), copy=False)
        out = op.apply_adjoint(a) if adjoint else op.apply(a)
        if np.iscomplexobj(out) and dtype.kind != "c":
            out = out.real
        return np.asarray(out, dtype=dtype)

    return run


class _Operator:
    """An operator as a parameter of the primitive: JAX hashes and compares parameters, and an
    operator need not be hashable (a subclass may define ``__eq__``), so it is held by identity."""

    __slots__ = ("op",)

    def __init__(self, op: Any):
        self.op = op

    def __hash__(self) -> int:
        return id(self.op)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Operator) and other.op is self.op


@functools.cache
def _apply_primitive():
    """The JAX primitive ``linop_apply``: ``A a`` (``adjoint``: ``A^H a``) computed on the host, in ``dtype``.

    A linear primitive with its own rules, so that every transformation composes with
    every other and derivatives of every order are exact:

    * JVP: the primitive itself on the tangent (``d(A a) = A da``);
    * transpose (reverse mode): JAX's cotangent convention is the *transpose*,
      ``A^T g = conj(A^H conj(g))``, so the transpose binds the primitive with the
      other map between two conjugations, in the input's dtype (the real part for a real
      input); being the primitive again, it has a JVP and a transpose itself
      (``jax.grad`` of ``jax.grad``, ``jax.hessian``, ``jax.jvp`` of a gradient);
    * batching: the batch axis moves to the front, where the operator takes leading
      batch axes;
    * evaluation: NumPy on the array's values; under ``jax.jit``, a ``jax.pure_callback``
      to NumPy.
    """
    jax = _jax()
    from jax.extend.core import Primitive
    from jax.interpreters import ad, batching, mlir

    primitive = Primitive("linop_apply")

    def abstract(a, *, op, adjoint, dtype):
        shapes = (op.op.input_shape, op.op.output_shape)
        shape_in, shape_out = shapes[::-1] if adjoint else shapes
        return jax.core.ShapedArray(tuple(a.shape[: len(a.shape) - len(shape_in)]) + shape_out, dtype)

    def evaluate(a, *, op, adjoint, dtype):
        # Eagerly the values are at hand: no callback to compile for each call.
        return jax.numpy.asarray(_numpy_map(op.op, adjoint, dtype)(np.asarray(a)))

    def staged(a, *, op, adjoint, dtype):
        out = abstract(a, op=op, adjoint=adjoint, dtype=dtype)
        return jax.pure_callback(
            _numpy_map(op.op, adjoint, dtype), jax.ShapeDtypeStruct(out.shape, dtype), a, vmap_method="expand_dims"
        )

    def transpose(g, a, *, op, adjoint, dtype):
        conj = jax.numpy.conj
        return [conj(primitive.bind(conj(g), op=op, adjoint=not adjoint, dtype=np.dtype(a.aval.dtype)))]

    def batch(arguments, axes, *, op, adjoint, dtype):
        (a,), (axis,) = arguments, axes
        return primitive.bind(jax.numpy.moveaxis(a, axis, 0), op=op, adjoint=adjoint, dtype=dtype), 0

    primitive.def_impl(evaluate)
    primitive.def_abstract_eval(abstract)
    mlir.register_lowering(primitive, mlir.lower_fun(staged, multiple_results=False))
    ad.deflinear2(primitive, transpose)
    batching.primitive_batchers[primitive] = batch
    return primitive


def apply_to_array(op: Any, a: Any, *, adjoint: bool = False):
    """``A a`` (or ``A^H a``) for a JAX array of shape ``(..., *input_shape)``; a JAX array comes back.

    Works eagerly and under every JAX transformation: ``jax.jit``, ``jax.vmap``,
    ``jax.grad``/``jax.vjp`` (the derivative of ``A.apply`` is ``A^T``, JAX's unconjugated
    convention: ``conj(A^H conj(g))``), ``jax.jvp``/``jax.jacfwd`` (``A`` itself), and
    their compositions to any order (``jax.hessian``, ``jax.grad`` of ``jax.grad``), all
    exact: the call is a linear JAX primitive whose transpose is the same primitive with
    the other map. Without ``jax_enable_x64`` a float64 result is returned in float32,
    as JAX does. bfloat16 and float8 arrays are computed in float32 (or wider) and
    returned in their own dtype. This is what ``A.apply(a)`` calls.

    Parameters
    ----------
    op : ShapedOperator
        The operator.
    a : jax.Array
        Of shape ``(..., *op.input_shape)`` (``(..., *op.output_shape)`` when ``adjoint``).
    adjoint : bool, default False
        Apply ``A^H`` instead of ``A``.

    Returns
    -------
    jax.Array
        ``A a`` or ``A^H a``, in ``a``'s dtype (complex when the operator is), on its device.

    Raises
    ------
    ValueError
        ``a`` does not end in the operator's input shape.
    TypeError
        ``op`` is not a linop operator, or ``adjoint`` is not a bool.

    Examples
    --------
    >>> import jax, jax.numpy as jnp
    >>> A = linop.Convolution(np.array([1.0, 2.0, 1.0]), (5,))
    >>> A.apply(jnp.ones(5))
    Array([4., 4., 4.], dtype=float32)
    >>> jax.grad(lambda x: A.apply(x).sum())(jnp.ones(5))  # A^H applied to ones
    Array([1., 3., 4., 3., 1.], dtype=float32)
    >>> jax.hessian(lambda x: (A.apply(x) ** 2).sum())(jnp.ones(5))[0]  # 2 A^H A, first row
    Array([2., 4., 2., 0., 0.], dtype=float32)
    """
    check_operator(op)
    adjoint = check_flag(adjoint, "adjoint")
    jax = _jax()
    host = _host_dtype(a.dtype)
    check_operand(tuple(a.shape), host, op.output_shape if adjoint else op.input_shape, "y" if adjoint else "x")
    computed = np.result_type(host if np.issubdtype(host, np.inexact) else np.float64, op.dtype)
    returned = returned_dtype(host, computed)
    if returned == host != np.dtype(a.dtype):
        returned = np.dtype(a.dtype)  # bfloat16 in, bfloat16 out (computed in float32 or wider)
    dtype = np.dtype(jax.dtypes.canonicalize_dtype(returned))
    out = _apply_primitive().bind(a, op=_Operator(op), adjoint=adjoint, dtype=dtype)
    if not isinstance(out, jax.core.Tracer) and hasattr(a, "sharding"):
        out = jax.device_put(out, a.sharding)
    return out
