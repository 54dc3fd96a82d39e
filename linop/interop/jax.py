"""JAX in and out: a JAX function as a linop operator, and JAX arrays through linop's operators.

:func:`linop.interop.from_jax` turns ``fn`` into a :class:`JaxOperator` with

.. math::

    A x = \\mathrm{fn}(x), \\qquad
    A^H y = \\overline{\\mathrm{vjp}_{\\mathrm{fn}}(0)\\big(\\overline{y}\\big)}

``jax.vjp`` (like ``jax.linear_transpose``) returns the *transpose* ``y -> A^T y``: JAX
does not conjugate (for ``x -> M x`` its VJP with cotangent ``v`` is ``M^T v``). The
two conjugations make it the adjoint ``A^H y = conj(A^T conj(y))``; for real operators
they do nothing. A ``jax.custom_vjp`` function's own ``bwd`` is what gets verified.

64-bit dtypes: JAX computes in 32 bits unless ``jax_enable_x64`` is set. A float64 or
complex128 operator runs its calls inside ``jax.enable_x64(True)``, leaving the global
setting alone.

:func:`apply_to_array` is what ``A.apply(a)`` does for a JAX array ``a``: a JAX array of
``a``'s dtype comes back on ``a``'s device. The call is a linear JAX primitive computed
by NumPy (through a ``jax.pure_callback`` under ``jax.jit``); its JVP is ``A`` and its transpose ``conj(A^H conj(g))``,
the same primitive again, so ``jax.jit``, ``jax.vmap``, ``jax.grad``, ``jax.jvp`` and
their compositions (``jax.hessian``) are exact to every order.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..arguments import as_shape, check_flag
from ..operators.base import ShapedOperator
from ._common import CallbackOperator, check_dtype, check_operator, require, returned_dtype

__all__ = ["JaxOperator", "apply_to_array", "from_jax"]


def _jax():
    return require("jax", "jax")


def _precision(dtype: np.dtype):
    """A context in which JAX computes in ``dtype``'s precision (``jax.enable_x64`` for 64-bit types)."""
    jax = _jax()
    if np.finfo(dtype).bits == 64 and not jax.config.jax_enable_x64:
        return jax.enable_x64(True)
    return contextlib.nullcontext()


class JaxOperator(CallbackOperator):
    """A linear map written in JAX: forward ``fn``, adjoint the conjugated vector-Jacobian product.

    Parameters
    ----------
    fn : callable
        Maps a JAX array of shape ``input_shape`` to one array (a plain function, a
        ``jax.jit``, ``jax.custom_vjp`` or ``jax.custom_jvp`` function). Batches run
        through ``jax.vmap`` and ``jax.jit``.
    input_shape : int or tuple of int
        The shape of the arrays ``fn`` takes.
    dtype : float32, float64, complex64 or complex128, optional
        Default float64 when ``jax_enable_x64`` is set, else float32.

    Raises
    ------
    ValueError
        ``fn`` fails on a zero array of ``input_shape``, does not return one array, or
        returns complex values for a real ``dtype``.
    TypeError
        ``fn`` is not callable or ``dtype`` is not a float or complex dtype.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> from linop.interop.jax import JaxOperator
    >>> matrix = jnp.array([[1.0, 2.0j], [0.0, 1.0]], dtype=jnp.complex64)
    >>> A = JaxOperator(lambda x: matrix @ x, (2,), dtype="complex64")
    >>> M = np.asarray(matrix)
    >>> np.array_equal(A.H.to_dense(), M.conj().T)  # jax.vjp gives M^T; the adapter conjugates it
    True
    """

    def __init__(self, fn: Callable, input_shape: int | Sequence[int], *, dtype: Any = None):
        jax = _jax()
        if not callable(fn):
            raise TypeError(f"fn must be callable; got {fn!r}")
        self.fn = fn
        shape = as_shape(input_shape, "input_shape")
        dt = check_dtype(dtype if dtype is not None else ("float64" if jax.config.jax_enable_x64 else "float32"))
        with _precision(dt):
            probe = jax.numpy.zeros(shape, dtype=dt)
            try:
                out = jax.eval_shape(fn, probe)
            except Exception as exc:
                raise ValueError(f"fn fails on a {dt} array of shape {shape} (input_shape): "
                                 f"{type(exc).__name__}: {exc}") from exc
        if not hasattr(out, "shape") or not hasattr(out, "dtype"):
            raise ValueError(f"fn must return one array; it returned {type(out).__name__}")
        if np.issubdtype(out.dtype, np.complexfloating) and dt.kind != "c":
            raise ValueError(f"fn returns complex arrays for {dt} input: pass a complex dtype (complex64 or complex128)")
        super().__init__(shape, tuple(out.shape) or (1,), dt)
        batched = jax.vmap(fn)
        self._forward_batch = jax.jit(lambda x: batched(x).reshape((x.shape[0],) + self.output_shape))

        def adjoint_batch(y):
            x0 = jax.numpy.zeros((y.shape[0],) + self.input_shape, dtype=self.dtype)
            out, vjp = jax.vjp(batched, x0)
            (grad,) = vjp(jax.numpy.conj(y).reshape(out.shape).astype(out.dtype))
            return jax.numpy.conj(grad)

        self._adjoint_batch = jax.jit(adjoint_batch)

    def _run_forward(self, x: np.ndarray) -> np.ndarray:
        with _precision(self.dtype):
            return np.asarray(self._forward_batch(x))

    def _run_adjoint(self, y: np.ndarray) -> np.ndarray:
        with _precision(self.dtype):
            return np.asarray(self._adjoint_batch(y))

    def __repr__(self) -> str:
        name = getattr(self.fn, "__name__", None) or type(self.fn).__name__
        return f"<JaxOperator {name}: {self.input_shape} -> {self.output_shape}, dtype={self.dtype}>"


def from_jax(fn: Callable, input_shape: int | Sequence[int], *, dtype: Any = None) -> JaxOperator:
    """A JAX function as a shaped linear operator; its adjoint is the conjugated ``jax.vjp``.

    ``A x = fn(x)`` and ``A^H y = conj(vjp(conj(y)))`` at ``x = 0`` (for a
    ``jax.custom_vjp`` function, its own ``bwd``).

    Parameters
    ----------
    fn : callable
        Maps a JAX array of shape ``input_shape`` to one array.
    input_shape : int or tuple of int
        The shape of the arrays ``fn`` takes.
    dtype : float32, float64, complex64 or complex128, optional
        Default float64 when ``jax_enable_x64`` is set, else float32; 64-bit operators
        compute in 64 bits either way.

    Returns
    -------
    JaxOperator
        The operator, ``input_shape -> output_shape`` (the shape ``fn`` returns).

    Raises
    ------
    ValueError
        ``fn`` fails on a zero array of ``input_shape`` (see :class:`~linop.interop.jax.JaxOperator`).
    TypeError
        ``fn`` is not callable or ``dtype`` is not a float or complex dtype.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> from linop.interop import from_jax
    >>> A = from_jax(lambda x: jnp.convolve(x, jnp.array([1.0, 2.0, 1.0]), mode="valid"), (8,))
    >>> A.output_shape, A.dtype
    ((6,), dtype('float32'))
    >>> linop.verify(A, seed=0).passed
    True
    """
    return JaxOperator(fn, input_shape, dtype=dtype)


def adapt_jax_object(obj: object, *, input_shape: Any = None, dtype: Any = None) -> ShapedOperator:
    """What :func:`linop.interop.adapt` does with a JAX object: a 2-D array is its matrix, a function needs ``input_shape``.

    Raises
    ------
    ValueError
        ``input_shape`` is missing for a function, or differs from a matrix's columns.
    TypeError
        A JAX object that is neither a 2-D array nor callable.
    """
    jax = _jax()
    if isinstance(obj, jax.Array):
        if obj.ndim != 2:
            raise TypeError(f"a JAX array to verify must be a 2-D matrix; got shape {obj.shape}")
        if input_shape is not None and as_shape(input_shape, "input_shape") != (obj.shape[1],):
            raise ValueError(f"input_shape={input_shape!r} differs from the matrix's ({obj.shape[1]},) columns")
        matrix = obj
        return from_jax(lambda x: matrix @ x, (obj.shape[1],), dtype=obj.dtype if dtype is None else dtype)
    if callable(obj):
        if input_shape is None:
            raise ValueError(f"{type(obj).__name__} {getattr(obj, '__name__', '')} is a JAX function: its input "
                             "shape cannot be read from it; pass input_shape=(...) (--input-shape on the command line)")
        return from_jax(obj, input_shape, dtype=dtype)
    raise TypeError(f"cannot adapt a {type(obj).__module__}.{type(obj).__name__}: from JAX, linop accepts a function "
                    "(jax.jit, custom_vjp, custom_jvp) or a 2-D array")


# -- JAX arrays through linop's operators -------------------------------------------------------
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


def _numpy_map(op: ShapedOperator, adjoint: bool, dtype: np.dtype) -> Callable:
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

    def __init__(self, op: ShapedOperator):
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
        return jax.pure_callback(_numpy_map(op.op, adjoint, dtype), jax.ShapeDtypeStruct(out.shape, dtype), a,
                                 vmap_method="expand_dims")

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


def apply_to_array(op: ShapedOperator, a: Any, *, adjoint: bool = False):
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
    shape_in = op.output_shape if adjoint else op.input_shape
    nd = len(shape_in)
    if a.ndim < nd or tuple(a.shape[a.ndim - nd:]) != shape_in:
        raise ValueError(f"{'y' if adjoint else 'x'} must have shape (..., {', '.join(map(str, shape_in))}) "
                         f"(leading batch axes allowed); got {tuple(a.shape)}")
    host = _host_dtype(a.dtype)
    computed = np.result_type(host if np.issubdtype(host, np.inexact) else np.float64, op.dtype)
    returned = returned_dtype(host, computed)
    if returned == host != np.dtype(a.dtype):
        returned = np.dtype(a.dtype)  # bfloat16 in, bfloat16 out (computed in float32 or wider)
    dtype = np.dtype(jax.dtypes.canonicalize_dtype(returned))
    out = _apply_primitive().bind(a, op=_Operator(op), adjoint=adjoint, dtype=dtype)
    if not isinstance(out, jax.core.Tracer) and hasattr(a, "sharding"):
        out = jax.device_put(out, a.sharding)
    return out
