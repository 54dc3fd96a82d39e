"""Recognise a framework's operator by the modules its type comes from, and adapt it.

Nothing here imports a framework: an object belongs to PyTorch, JAX, PyLops, ODL or
SigPy when a class in its type's method resolution order (or, for a class such as a
custom ``torch.autograd.Function``, in its own) is defined in that framework's package.
Two kinds are recognised by their shape instead: a *physics* object with ``A(x)`` and
``A_adjoint(y)`` methods (deepinv's, or any written like them), and a *pair*
``(forward, adjoint)`` of functions. Only :func:`adapt`, once it knows which, imports
the adapter module (and the framework).
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

from ..operators.base import ShapedOperator

__all__ = ["ACCEPTED", "adapt", "framework_of", "is_pair", "is_physics", "kind_of"]

#: The package prefixes of each framework's classes.
_ROOTS: dict[str, tuple[str, ...]] = {
    "torch": ("torch",),
    "jax": ("jax", "jaxlib"),
    "pylops": ("pylops",),
    "odl": ("odl",),
    "sigpy": ("sigpy",),
}

#: What :func:`adapt` (and so :func:`linop.verify`) accepts besides scipy operators, for error messages.
ACCEPTED = (
    "a scipy.sparse.linalg.LinearOperator, a 2-D array or sparse matrix, a torch.nn.Module, "
    "a torch.autograd.Function subclass, a jax.custom_vjp/custom_jvp or jax.jit function, "
    "a pylops.LinearOperator, an odl.Operator, a sigpy.linop.Linop, a physics object with "
    "A(x) and A_adjoint(y) (deepinv's), or a pair (forward, adjoint) of functions (a single "
    "Python function: wrap it with linop.interop.from_torch or linop.interop.from_jax)"
)


def _classes(obj: object) -> list[type]:
    classes = list(type(obj).__mro__)
    if inspect.isclass(obj):
        classes += list(obj.__mro__)
    return classes


def _operator_like(obj: object) -> bool:
    """An object ``verify`` takes on its own: a matrix-free operator (``matvec``), a physics object, an
    ODL/SigPy/PyLops operator, a torch module or autograd Function (plain functions are not)."""
    if hasattr(obj, "matvec") or is_physics(obj):
        return True
    framework = framework_of(obj)
    return framework in ("odl", "sigpy", "pylops") or (framework == "torch" and not inspect.isroutine(obj))


def is_pair(obj: object) -> bool:
    """Whether ``obj`` is a pair ``(forward, adjoint)``: a tuple of two functions.

    Neither may be an operator ``verify`` takes on its own (a scipy ``LinearOperator``, a
    torch module, ...): a tuple of two operators is two operators, as a list of them is.

    Examples
    --------
    >>> from linop.interop.detect import is_pair
    >>> is_pair((abs, abs)), is_pair((abs, 2)), is_pair([abs, abs])
    (True, False, False)
    """
    return isinstance(obj, tuple) and len(obj) == 2 and all(callable(f) and not _operator_like(f) for f in obj)


def is_physics(obj: object) -> bool:
    """Whether ``obj`` is a physics object: callable ``A`` and ``A_adjoint`` attributes (deepinv's protocol).

    Examples
    --------
    >>> from linop.interop.detect import is_physics
    >>> class Scaling:
    ...     def A(self, x):
    ...         return 2 * x
    ...
    ...     def A_adjoint(self, y):
    ...         return 2 * y
    >>> is_physics(Scaling()), is_physics(Scaling)  # an instance, not the class
    (True, False)
    """
    if inspect.isclass(obj):
        return False
    try:
        return callable(getattr(obj, "A", None)) and callable(getattr(obj, "A_adjoint", None))
    except Exception:  # an object whose attribute lookup raises is no physics object
        return False


def kind_of(obj: object) -> str | None:
    """What :func:`adapt` would make of ``obj``: ``"pair"``, ``"physics"``, a framework's name, or ``None``.

    A pair and a physics object are told by their shape first (a deepinv physics object
    is also a ``torch.nn.Module``), then a framework by its modules (:func:`framework_of`).

    Examples
    --------
    >>> from linop.interop.detect import kind_of
    >>> kind_of((abs, abs)), kind_of(len)
    ('pair', None)
    """
    if is_pair(obj):
        return "pair"
    if is_physics(obj):
        return "physics"
    return framework_of(obj)


def framework_of(obj: object) -> str | None:
    """``"torch"``, ``"jax"``, ``"pylops"``, ``"odl"`` or ``"sigpy"`` when ``obj`` is that framework's.

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
      ``dims``/``dimsd``; a real-linear one, such as a real FFT, tells its real spaces);
    * an ``odl.Operator``: :func:`linop.interop.odl.from_odl` (shapes and inner products
      from its spaces; its adjoint is ``op.adjoint``);
    * a ``sigpy.linop.Linop``: :func:`linop.interop.sigpy.from_sigpy` (shapes from its
      ``ishape``/``oshape``; its adjoint is ``op.H``);
    * a physics object with ``A(x)`` and ``A_adjoint(y)`` on torch tensors (deepinv's):
      :func:`linop.interop.physics.from_physics` (``input_shape`` needed);
    * a pair ``(forward, adjoint)`` of functions on NumPy, torch or JAX arrays:
      :func:`linop.interop.pair.from_pair` (``input_shape`` needed).

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
    framework = kind_of(obj)
    if framework == "pair":
        from .pair import adapt_pair

        return adapt_pair(obj, input_shape=input_shape, dtype=dtype)
    if framework == "physics":
        from .physics import adapt_physics_object

        return adapt_physics_object(obj, input_shape=input_shape, dtype=dtype)
    if framework == "odl":
        from .odl import adapt_odl_object

        return adapt_odl_object(obj, input_shape=input_shape, dtype=dtype)
    if framework == "sigpy":
        from .sigpy import adapt_sigpy_object

        return adapt_sigpy_object(obj, input_shape=input_shape, dtype=dtype)
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
