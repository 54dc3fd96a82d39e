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

:func:`apply_to_array` (:mod:`linop.interop.jax_arrays`) is what ``A.apply(a)`` does for a
JAX array ``a``: exact under every JAX transformation, to every order.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..arguments import as_shape
from ..operators.base import ShapedOperator
from .callback import CallbackOperator
from .frameworks import check_dtype, require
from .jax_arrays import apply_to_array

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
                raise ValueError(
                    f"fn fails on a {dt} array of shape {shape} (input_shape): {type(exc).__name__}: {exc}"
                ) from exc
        if not hasattr(out, "shape") or not hasattr(out, "dtype"):
            raise ValueError(f"fn must return one array; it returned {type(out).__name__}")
        if np.issubdtype(out.dtype, np.complexfloating) and dt.kind != "c":
            raise ValueError(
                f"fn returns complex arrays for {dt} input: pass a complex dtype (complex64 or complex128)"
            )
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
    """What :func:`linop.interop.adapt` does with a JAX object: a 2-D array is its matrix, a function
    needs ``input_shape``.

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
            raise ValueError(
                f"{type(obj).__name__} {getattr(obj, '__name__', '')} is a JAX function: its input "
                "shape cannot be read from it; pass input_shape=(...) (--input-shape on the command line)"
            )
        return from_jax(obj, input_shape, dtype=dtype)
    raise TypeError(
        f"cannot adapt a {type(obj).__module__}.{type(obj).__name__}: from JAX, linop accepts a function "
        "(jax.jit, custom_vjp, custom_jvp) or a 2-D array"
    )
