"""Physics objects in linop: ``A(x)`` and ``A_adjoint(y)`` on torch tensors (deepinv's protocol).

deepinv describes a measurement process by a *physics* object whose ``A`` is the forward
operator and ``A_adjoint`` its adjoint, both on batched torch tensors (``(B, C, H, W)``
images). Any object with these two methods is accepted, deepinv's or not.
:class:`PhysicsOperator` wraps it as a shaped linop operator,

.. math::

    A x = \\mathrm{physics.A}(x), \\qquad A^H y = \\mathrm{physics.A\\_adjoint}(y),

with ``input_shape`` the shape of one ``x`` *as the physics takes it*, batch axis
included (``(1, 3, 32, 32)``). Each vector is applied on its own (a physics object may
hold per-sample parameters, so samples are never stacked into its batch axis). A physics
whose ``A`` returns several tensors (deepinv's ``TensorList``, a tuple or a list: a
pan-sharpening pair) maps into the concatenation of their flattened entries, and
``A_adjoint`` receives them as the same kind of list. PyTorch is imported when these are
called, never by ``import linop``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..arguments import as_shape
from .callback import CallbackOperator
from .frameworks import check_dtype, require
from .torch_dtypes import tensor_to_numpy

__all__ = ["PhysicsOperator", "from_physics"]


def _first_tensor(obj: Any):
    """The first floating or complex parameter or buffer of a torch module, else ``None``."""
    torch = require("torch", "torch")
    if isinstance(obj, torch.nn.Module):
        for t in list(obj.parameters()) + list(obj.buffers()):
            if t.is_floating_point() or t.is_complex():
                return t
    return None


class PhysicsOperator(CallbackOperator):
    """A physics object (``A``, ``A_adjoint`` on torch tensors) as a shaped linop operator.

    Parameters
    ----------
    physics : object
        With callable ``A`` and ``A_adjoint`` (a ``deepinv.physics.LinearPhysics``).
    input_shape : int or tuple of int
        The shape of one input as ``physics.A`` takes it, batch axis included.
    dtype : float32, float64, complex64 or complex128 (NumPy or torch dtype), optional
        Default: the dtype of the physics' first floating parameter or buffer, else
        ``torch.get_default_dtype()``.
    device : str or torch.device, optional
        Default: the device of that parameter, else the CPU.

    Raises
    ------
    TypeError
        ``physics`` has no callable ``A`` and ``A_adjoint``, or a bad ``dtype``.
    ValueError
        ``physics.A`` fails on a zero tensor of ``input_shape`` (the message says how),
        or returns complex tensors for a real ``dtype``.

    Examples
    --------
    >>> import torch, linop
    >>> from linop.interop.physics import PhysicsOperator
    >>> class Downsampling:  # a physics object written like deepinv's
    ...     def A(self, x):
    ...         return x[..., ::2, ::2]
    ...
    ...     def A_adjoint(self, y):
    ...         x = torch.zeros(y.shape[:-2] + (2 * y.shape[-2], 2 * y.shape[-1]), dtype=y.dtype)
    ...         x[..., ::2, ::2] = y
    ...         return x
    >>> A = PhysicsOperator(Downsampling(), (1, 1, 8, 8))
    >>> A.output_shape
    (1, 1, 4, 4)
    >>> linop.verify(A, seed=0).passed
    True
    """

    def __init__(self, physics: Any, input_shape: Any, *, dtype: Any = None, device: Any = None):
        torch = require("torch", "torch")
        if not (callable(getattr(physics, "A", None)) and callable(getattr(physics, "A_adjoint", None))):
            raise TypeError(f"physics must have callable A(x) and A_adjoint(y) methods; got {type(physics).__name__}")
        self.physics = physics
        shape = as_shape(input_shape, "input_shape")
        reference = _first_tensor(physics)
        if dtype is None:
            dtype = reference.dtype if reference is not None else torch.get_default_dtype()
        dt = check_dtype(dtype)
        self._torch_dtype = getattr(torch, dt.name)
        self.device = (
            torch.device(device)
            if device is not None
            else (reference.device if reference is not None else torch.device("cpu"))
        )
        probe = torch.zeros(shape, dtype=self._torch_dtype, device=self.device)
        try:
            with torch.no_grad():
                out = physics.A(probe)
        except Exception as exc:
            raise ValueError(
                f"physics.A fails on a {dt} tensor of shape {shape} (input_shape, batch axis included): "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        if isinstance(out, torch.Tensor):
            parts = [out]
        else:
            try:
                parts = list(out)  # deepinv's TensorList, a tuple or a list of tensors
            except TypeError:
                parts = []
        if not parts or not all(isinstance(t, torch.Tensor) for t in parts):
            raise ValueError(f"physics.A must return a tensor or a list of tensors; it returned {type(out).__name__}")
        if any(t.is_complex() for t in parts) and dt.kind != "c":
            raise ValueError(f"physics.A returns complex tensors for {dt} input: pass a complex dtype")
        #: the shapes of the tensors A returns, and the kind of list they come in (None: one tensor)
        self.output_parts = [tuple(t.shape) for t in parts]
        self._list_kind = None if isinstance(out, torch.Tensor) else type(out)
        output_shape = tuple(out.shape) if isinstance(out, torch.Tensor) else (sum(t.numel() for t in parts),)
        super().__init__(shape, output_shape or (1,), dt)

    def _to_tensors(self, sample: np.ndarray, shape: tuple[int, ...], split: bool) -> Any:
        """One sample as the tensor (or, for a list-valued ``A``, the list of tensors) the physics takes."""
        torch = require("torch", "torch")
        t = torch.from_numpy(np.ascontiguousarray(sample)).to(self.device)
        if not split or self._list_kind is None:
            return t.reshape(shape)
        pieces, start = [], 0
        for part in self.output_parts:
            size = int(np.prod(part))
            pieces.append(t[start : start + size].reshape(part))
            start += size
        return self._list_kind(pieces)

    def _to_numpy(self, out: Any) -> np.ndarray:
        if self._list_kind is not None and not isinstance(out, require("torch", "torch").Tensor):
            return np.concatenate([tensor_to_numpy(t).ravel() for t in out])
        return tensor_to_numpy(out)

    def _each(self, fn: Any, a: np.ndarray, shape: tuple[int, ...], split: bool) -> np.ndarray:
        torch = require("torch", "torch")
        with torch.no_grad():
            return np.stack([self._to_numpy(fn(self._to_tensors(sample, shape, split))) for sample in a])

    def _run_forward(self, x: np.ndarray) -> np.ndarray:
        return self._each(self.physics.A, x, self.input_shape, split=False)

    def _run_adjoint(self, y: np.ndarray) -> np.ndarray:
        return self._each(self.physics.A_adjoint, y, self.output_shape, split=True)

    def __repr__(self) -> str:
        return (
            f"<PhysicsOperator {type(self.physics).__name__}: {self.input_shape} -> {self.output_shape}, "
            f"dtype={self.dtype}>"
        )


def from_physics(physics: Any, input_shape: Any, *, dtype: Any = None, device: Any = None) -> PhysicsOperator:
    """A physics object (``A``/``A_adjoint`` on torch tensors, deepinv's protocol) as a shaped linop operator.

    Parameters
    ----------
    physics : object
        With callable ``A(x)`` and ``A_adjoint(y)``.
    input_shape : int or tuple of int
        The shape of one input as ``physics.A`` takes it, batch axis included.
    dtype, device : optional
        See :class:`PhysicsOperator`.

    Returns
    -------
    PhysicsOperator

    Raises
    ------
    TypeError, ValueError
        See :class:`PhysicsOperator`.

    Examples
    --------
    >>> import torch
    >>> from linop.interop.physics import from_physics
    >>> class Scaling:
    ...     def A(self, x):
    ...         return 2 * x
    ...
    ...     def A_adjoint(self, y):
    ...         return 2 * y
    >>> A = from_physics(Scaling(), (1, 3), dtype=torch.float64)
    >>> A.input_shape, bool(np.array_equal(A.to_dense(), 2 * np.eye(3)))
    ((1, 3), True)
    """
    return PhysicsOperator(physics, input_shape, dtype=dtype, device=device)


def adapt_physics_object(obj: object, *, input_shape: Any = None, dtype: Any = None) -> PhysicsOperator:
    """What :func:`linop.interop.adapt` does with a physics object (``input_shape`` is needed).

    Raises
    ------
    ValueError
        ``input_shape`` is missing.
    """
    if input_shape is None:
        raise ValueError(
            f"{type(obj).__name__} is a physics object (A and A_adjoint): the shape of its input cannot be read "
            "from it; pass input_shape=(...) with the batch axis, e.g. (1, 3, 32, 32) (--input-shape on the "
            "command line)"
        )
    return from_physics(obj, input_shape, dtype=dtype)
