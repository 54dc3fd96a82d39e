"""A pair of functions ``(forward, adjoint)`` as a linop operator, on NumPy, torch or JAX arrays.

The plainest way to write an operator with a hand-written adjoint is two functions.
:class:`PairOperator` takes them as they are,

.. math::

    A x = \\mathrm{forward}(x), \\qquad A^H y = \\mathrm{adjoint}(y),

on arrays of ``input_shape`` (and of the shape ``forward`` returns). The functions may
take NumPy arrays, torch tensors or JAX arrays: the kind is the one ``arrays=`` names,
else the one ``dtype`` belongs to (``torch.float32``), else NumPy if ``forward`` takes a
NumPy array, else torch or JAX if already imported and ``forward`` takes their arrays.
No framework is imported to find out.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from ..arguments import as_shape, check_choice
from .callback import CallbackOperator
from .detect import framework_of
from .frameworks import check_dtype, require

__all__ = ["PairOperator", "from_pair"]

#: The kinds of arrays a pair of functions may take.
ARRAY_KINDS = ("numpy", "torch", "jax")


def _default_dtype(kind: str) -> str:
    if kind == "torch":
        return str(require("torch", "torch").get_default_dtype()).rpartition(".")[2]
    if kind == "jax":
        return "float64" if require("jax", "jax").config.jax_enable_x64 else "float32"
    return "float64"


def _precision(kind: str, dtype: np.dtype):
    """JAX computes in ``dtype``'s precision inside this context (nothing to do for NumPy and torch)."""
    import contextlib

    if kind == "jax":
        from .jax import _precision as jax_precision

        return jax_precision(dtype)
    return contextlib.nullcontext()


def _to_kind(kind: str, a: np.ndarray, dtype: np.dtype) -> Any:
    """``a`` as an array of ``kind`` (NumPy, a CPU torch tensor, a JAX array)."""
    a = np.ascontiguousarray(a, dtype=dtype)
    if kind == "torch":
        return require("torch", "torch").from_numpy(a)
    if kind == "jax":
        return require("jax", "jax").numpy.asarray(a)
    return a


def _to_numpy(value: Any) -> np.ndarray:
    if type(value).__module__.partition(".")[0] == "torch":
        from .torch_dtypes import tensor_to_numpy

        return tensor_to_numpy(value)
    return np.asarray(value)


class PairOperator(CallbackOperator):
    """Two functions, ``forward`` and its hand-written ``adjoint``, as a shaped linop operator.

    Parameters
    ----------
    forward, adjoint : callable
        ``forward`` maps an array of ``input_shape`` to one array; ``adjoint`` maps an
        array of that shape back to ``input_shape``.
    input_shape : int or tuple of int
        The shape of the arrays ``forward`` takes.
    dtype : float32, float64, complex64 or complex128 (NumPy, torch or JAX dtype), optional
        Default float64 for NumPy, the framework's default for torch and JAX.
    arrays : {"numpy", "torch", "jax"}, optional
        The kind of arrays the functions take (default: detected, see the module).

    Raises
    ------
    TypeError
        ``forward`` or ``adjoint`` is not callable, a bad ``dtype`` or ``arrays``.
    ValueError
        ``forward`` fails on a zero array of ``input_shape`` of every kind tried (the
        message gives NumPy's error), or returns complex values for a real ``dtype``.

    Examples
    --------
    >>> import numpy as np, linop
    >>> from linop.interop.pair import PairOperator
    >>> k = np.array([1.0, -2.0, 0.5])
    >>> A = PairOperator(
    ...     lambda x: np.convolve(x, k, mode="valid"),
    ...     lambda y: np.convolve(y, k[::-1], mode="full"),
    ...     (10,),
    ... )
    >>> A.output_shape, linop.verify(A, seed=0).passed
    ((8,), True)
    """

    def __init__(
        self,
        forward: Callable,
        adjoint: Callable,
        input_shape: Any,
        *,
        dtype: Any = None,
        arrays: str | None = None,
    ):
        for name, fn in (("forward", forward), ("adjoint", adjoint)):
            if not callable(fn):
                raise TypeError(f"{name} must be callable; got {fn!r}")
        self.forward_function, self.adjoint_function = forward, adjoint
        shape = as_shape(input_shape, "input_shape")
        if arrays is not None:
            arrays = check_choice(arrays, ARRAY_KINDS, "arrays")
        elif dtype is not None and framework_of(dtype) in ("torch", "jax"):
            arrays = framework_of(dtype)
        kind, out = self._probe(forward, shape, dtype, arrays)
        self.arrays = kind
        dt = check_dtype(dtype if dtype is not None else _default_dtype(kind))
        if np.iscomplexobj(out) and dt.kind != "c":
            raise ValueError(f"forward returns complex arrays for {dt} input: pass a complex dtype")
        super().__init__(shape, tuple(out.shape) or (1,), dt)

    @staticmethod
    def _probe(forward: Callable, shape: tuple[int, ...], dtype: Any, arrays: str | None) -> tuple[str, np.ndarray]:
        """The kind of arrays ``forward`` takes and its result on zeros (as NumPy)."""
        kinds = [arrays] if arrays is not None else ["numpy"]
        if arrays is None:
            kinds += [k for k in ("torch", "jax") if k in sys.modules]
        first_error: Exception | None = None
        for kind in kinds:
            dt = check_dtype(dtype if dtype is not None else _default_dtype(kind))
            try:
                with _precision(kind, dt):
                    out = forward(_to_kind(kind, np.zeros(shape), dt))
            except Exception as exc:
                first_error = first_error or exc
                continue
            found = framework_of(out)
            if kind == "numpy" and found in ("torch", "jax"):
                kind = found  # a JAX function takes NumPy arrays and returns its own
            return kind, _to_numpy(out)
        tried = ", ".join(kinds)
        raise ValueError(
            f"forward fails on a zero array of shape {shape} ({tried} tried; pass arrays= to choose): "
            f"{type(first_error).__name__}: {first_error}"
        ) from first_error

    def _each(self, fn: Callable, a: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        with _precision(self.arrays, self.dtype):
            return np.stack([_to_numpy(fn(_to_kind(self.arrays, sample.reshape(shape), self.dtype))) for sample in a])

    def _run_forward(self, x: np.ndarray) -> np.ndarray:
        return self._each(self.forward_function, x, self.input_shape)

    def _run_adjoint(self, y: np.ndarray) -> np.ndarray:
        return self._each(self.adjoint_function, y, self.output_shape)

    def __repr__(self) -> str:
        name = getattr(self.forward_function, "__name__", type(self.forward_function).__name__)
        return f"<PairOperator {name} ({self.arrays}): {self.input_shape} -> {self.output_shape}, dtype={self.dtype}>"


def from_pair(
    forward: Callable, adjoint: Callable, input_shape: Any, *, dtype: Any = None, arrays: str | None = None
) -> PairOperator:
    """Two functions ``(forward, adjoint)`` as a shaped linop operator whose adjoint is ``adjoint``.

    Parameters
    ----------
    forward, adjoint : callable
        The forward map and its hand-written adjoint, on NumPy, torch or JAX arrays.
    input_shape : int or tuple of int
        The shape of the arrays ``forward`` takes.
    dtype, arrays : optional
        See :class:`PairOperator`.

    Returns
    -------
    PairOperator

    Raises
    ------
    TypeError, ValueError
        See :class:`PairOperator`.

    Examples
    --------
    >>> import torch
    >>> from linop.interop.pair import from_pair
    >>> A = from_pair(torch.fft.fft, lambda y: torch.fft.ifft(y) * 4, 4, dtype=torch.complex128)
    >>> A.arrays, linop.verify(A, seed=0).passed
    ('torch', True)
    """
    return PairOperator(forward, adjoint, input_shape, dtype=dtype, arrays=arrays)


def adapt_pair(obj: Any, *, input_shape: Any = None, dtype: Any = None) -> PairOperator:
    """What :func:`linop.interop.adapt` does with a pair ``(forward, adjoint)`` (``input_shape`` is needed).

    Raises
    ------
    ValueError
        ``input_shape`` is missing.
    """
    if input_shape is None:
        raise ValueError(
            "a pair (forward, adjoint) of functions does not tell the shape of its input: pass input_shape=(...) "
            "(--input-shape on the command line)"
        )
    forward, adjoint = obj
    return from_pair(forward, adjoint, input_shape, dtype=dtype)
