"""Recognise a framework's operator by the modules its type comes from, and adapt it.

Nothing here imports a framework: an object belongs to PyTorch, JAX or PyLops when a
class in its type's method resolution order (or, for a class such as a custom
``torch.autograd.Function``, in its own) is defined in that framework's package. Only
:func:`adapt`, once it knows which, imports the adapter module (and the framework).
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

from ..operators.base import ShapedOperator

__all__ = ["ACCEPTED", "adapt", "framework_of"]

#: The package prefixes of each framework's classes.
_ROOTS: dict[str, tuple[str, ...]] = {
    "torch": ("torch",),
    "jax": ("jax", "jaxlib"),
    "pylops": ("pylops",),
}

#: What :func:`adapt` (and so :func:`linop.verify`) accepts besides scipy operators, for error messages.
ACCEPTED = (
    "a scipy.sparse.linalg.LinearOperator, a 2-D array or sparse matrix, a torch.nn.Module, "
    "a torch.autograd.Function subclass, a jax.custom_vjp/custom_jvp or jax.jit function, "
    "or a pylops.LinearOperator (plain Python functions: wrap them with linop.interop.from_torch "
    "or linop.interop.from_jax)"
)


def _classes(obj: object) -> list[type]:
    classes = list(type(obj).__mro__)
    if inspect.isclass(obj):
        classes += list(obj.__mro__)
    return classes


def framework_of(obj: object) -> str | None:
    """``"torch"``, ``"jax"`` or ``"pylops"`` when ``obj`` is one of that framework's operators or functions.

    Decided from module names only, so no framework is imported: ``obj`` belongs to a
    framework when a class in its type's method resolution order (or in its own, for a
    class such as a ``torch.autograd.Function`` subclass) is defined in that framework's
    package. Arrays and tensors count as well (their type comes from the framework).

    Parameters
    ----------
    obj : object
        Anything.

    Returns
    -------
    str or None
        The framework's name, or ``None`` for objects of no framework linop adapts.

    Examples
    --------
    >>> from linop.interop import framework_of
    >>> framework_of(len) is None
    True
    >>> Layer = type("Layer", (), {"__module__": "torch.nn.modules.conv"})  # stands in for a torch class
    >>> framework_of(Layer())
    'torch'
    """
    for cls in _classes(obj):
        root = (getattr(cls, "__module__", None) or "").partition(".")[0]
        for framework, roots in _ROOTS.items():
            if root in roots:
                return framework
    return None


def adapt(obj: object, *, input_shape: Sequence[int] | int | None = None, dtype: Any = None) -> ShapedOperator:
    """A framework's operator as a linop :class:`~linop.operators.base.ShapedOperator`.

    * ``torch.nn.Module`` or ``torch.autograd.Function`` subclass:
      :func:`linop.interop.from_torch` (``input_shape`` needed unless it is an
      ``nn.Linear``, whose input is ``(in_features,)``);
    * a 2-D ``torch.Tensor`` or JAX array: the matrix it holds;
    * a JAX ``custom_vjp``/``custom_jvp``/``jit`` function: :func:`linop.interop.from_jax`
      (``input_shape`` needed);
    * a ``pylops.LinearOperator``: :func:`linop.interop.from_pylops` (shapes from its
      ``dims``/``dimsd``).

    Parameters
    ----------
    obj : object
        The operator, module, function or matrix.
    input_shape : int or tuple of int, optional
        The shape of the arrays the operator takes, where it cannot be read from ``obj``.
    dtype : dtype, optional
        float32, float64, complex64 or complex128 (NumPy or framework dtypes); by default
        the dtype of the module's parameters, of the PyLops operator, or the framework's
        default.

    Returns
    -------
    ShapedOperator

    Raises
    ------
    TypeError
        ``obj`` is none of the accepted kinds (the message lists them).
    ValueError
        ``input_shape`` is needed but missing, or does not fit ``obj``.

    Examples
    --------
    >>> import torch
    >>> from linop.interop import adapt
    >>> A = adapt(torch.nn.Linear(3, 2, bias=False, dtype=torch.float64))
    >>> A.input_shape, A.output_shape, A.dtype
    ((3,), (2,), dtype('float64'))
    """
    framework = framework_of(obj)
    if framework == "torch":
        from .torch import adapt_torch_object

        return adapt_torch_object(obj, input_shape=input_shape, dtype=dtype)
    if framework == "jax":
        from .jax import adapt_jax_object

        return adapt_jax_object(obj, input_shape=input_shape, dtype=dtype)
    if framework == "pylops":
        from .pylops import adapt_pylops_object

        return adapt_pylops_object(obj, input_shape=input_shape, dtype=dtype)
    raise TypeError(f"op must be {ACCEPTED}; got {type(obj).__module__}.{type(obj).__name__}")
