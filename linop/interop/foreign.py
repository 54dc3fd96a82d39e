"""Foreign arrays through linop's operators: a tensor or array of any kind in, the same kind out.

:meth:`linop.ShapedOperator.apply` and ``apply_adjoint`` hand every array that is not a
NumPy (or Dask) array to :func:`apply_foreign`, which picks the framework's module by the package
the array's type comes from: PyTorch tensors (device, dtype and autograd kept), JAX
arrays (also under ``jit`` and ``grad``), anything else with an array-API namespace,
CuPy among them.
"""

from __future__ import annotations

from typing import Any

__all__ = ["apply_foreign"]


def apply_foreign(op: Any, a: Any, *, adjoint: bool = False) -> Any:
    """``A a`` (``A^H a`` when ``adjoint``) for a non-NumPy array ``a``, returned as an array of ``a``'s kind.

    ``op`` is known by what it offers (``input_shape``, ``apply``, ...): this module and the
    framework modules it calls import no operator class.

    Parameters
    ----------
    op : ShapedOperator
        The operator.
    a : torch.Tensor, jax.Array or array-API array
        Of shape ``(..., *op.input_shape)`` (``(..., *op.output_shape)`` when ``adjoint``).
    adjoint : bool, default False
        Apply ``A^H`` instead of ``A``.

    Returns
    -------
    array
        An array of ``a``'s library, device and dtype (complex of the same precision when
        the operator is complex and ``a`` real).

    Raises
    ------
    ValueError, TypeError
        ``a`` has the wrong shape or is not numeric.

    Examples
    --------
    >>> import torch
    >>> from linop.interop.foreign import apply_foreign
    >>> A = linop.Convolution(np.array([1.0, -1.0]), (4,))
    >>> apply_foreign(A, torch.tensor([1.0, 3.0, 6.0, 10.0]))  # what A.apply does with a tensor
    tensor([-2., -3., -4.])
    """
    package = type(a).__module__.partition(".")[0]
    if package == "torch":
        from .torch_tensors import apply_to_tensor

        return apply_to_tensor(op, a, adjoint=adjoint)
    if package in ("jax", "jaxlib"):
        from .jax_arrays import apply_to_array

        return apply_to_array(op, a, adjoint=adjoint)
    from .array_api import apply_to_array

    return apply_to_array(op, a, adjoint=adjoint)
