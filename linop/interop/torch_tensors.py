"""PyTorch tensors through linop's operators: a tensor in, a tensor of the same device and dtype out.

:func:`apply_to_tensor` is what ``A.apply(t)`` does for a tensor ``t``: the result is a
tensor of ``t``'s device and dtype, differentiable through ``A.H`` (autograd's backward
of ``A.apply`` is ``A.apply_adjoint``, whose backward is ``A.apply`` again: exact to
every order). On the CPU the operator runs through NumPy; on another device a
convolution PyTorch can express runs as torch's own
(:func:`linop.interop.torch_conversion.torch_map`). This module knows an operator only
by what it offers, never by its class. PyTorch is imported when these are called, never
by ``import linop``.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from ..arguments import check_flag
from .frameworks import check_operator, require
from .torch_dtypes import result_tensor_dtype, tensor_to_numpy

__all__ = ["apply_to_tensor"]


def _torch():
    return require("torch", "torch")


def _through_numpy(op: Any, t, adjoint: bool):
    """``A t`` or ``A^H t`` computed by NumPy, as a tensor of ``t``'s device and (complexified) dtype."""
    torch = _torch()
    a = tensor_to_numpy(t)
    out = op.apply_adjoint(a) if adjoint else op.apply(a)
    result = torch.from_numpy(np.ascontiguousarray(out))
    return result.to(device=t.device, dtype=result_tensor_dtype(t.dtype, result.dtype))


@functools.cache
def _linop_function():
    """The autograd Function of a linop operator: forward ``A`` (or ``A^H``), backward the other one.

    The backward is the same Function with the other map, so it is differentiable itself:
    the derivative of ``g -> A^H g`` is ``A`` again, and derivatives of every order
    (``create_graph=True``, Hessian-vector products, ``gradgradcheck``) are exact.
    """
    torch = _torch()

    class LinopApply(torch.autograd.Function):
        @staticmethod
        def forward(ctx, t, op, adjoint):
            ctx.op, ctx.adjoint, ctx.real_input = op, adjoint, not t.is_complex()
            return _through_numpy(op, t, adjoint)

        @staticmethod
        def backward(ctx, grad):
            # PyTorch's gradient of y = A x is A^H g (conjugate Wirtinger convention); a real
            # input receives its real part.
            g = LinopApply.apply(grad, ctx.op, not ctx.adjoint)
            if ctx.real_input and g.is_complex():
                g = g.real
            return g, None, None

    return LinopApply


def apply_to_tensor(op: Any, t: Any, *, adjoint: bool = False):
    """``A t`` (or ``A^H t``) for a torch tensor ``t`` of shape ``(..., *input_shape)``; a tensor comes back.

    The result has ``t``'s device and dtype (complex of the same precision when the
    operator is complex and ``t`` real). A dtype NumPy lacks (bfloat16, the float8
    types, complex32) is computed in float32 or complex64 (or wider) and returned in its
    own dtype. On the CPU the operator runs through NumPy and autograd differentiates
    the call through the adjoint: the backward of ``A.apply`` is ``A.apply_adjoint``,
    itself differentiable (its backward is ``A.apply``), so derivatives of every order
    are exact (``create_graph=True``, Hessian-vector products). On another device a
    :class:`~linop.Convolution` or :class:`~linop.ConvTranspose` that PyTorch can
    express runs as torch's own convolution there
    (:func:`linop.interop.torch_conversion.torch_map`), anything else goes through the CPU.
    This is what ``A.apply(t)`` calls.

    Parameters
    ----------
    op : ShapedOperator
        The operator.
    t : torch.Tensor
        Of shape ``(..., *op.input_shape)`` (``(..., *op.output_shape)`` when ``adjoint``).
    adjoint : bool, default False
        Apply ``A^H`` instead of ``A``.

    Returns
    -------
    torch.Tensor
        ``A t`` or ``A^H t``, on ``t``'s device.

    Raises
    ------
    ValueError, TypeError
        As :meth:`~linop.ShapedOperator.apply` for a wrong shape or dtype; TypeError when
        ``op`` is not a linop operator or ``adjoint`` not a bool.

    Examples
    --------
    >>> import torch
    >>> A = linop.Convolution(np.array([1.0, 2.0, 1.0]), (5,))
    >>> t = torch.ones(5, requires_grad=True)
    >>> y = A.apply(t)
    >>> y
    tensor([4., 4., 4.], grad_fn=<LinopApplyBackward>)
    >>> y.sum().backward()
    >>> t.grad  # A^H applied to ones
    tensor([1., 3., 4., 3., 1.])
    """
    check_operator(op)
    adjoint = check_flag(adjoint, "adjoint")
    if t.device.type != "cpu":
        from .torch_conversion import torch_map

        native = torch_map(op, adjoint=adjoint)
        if native is not None:
            return native(t)
    return _linop_function().apply(t, op, adjoint)
