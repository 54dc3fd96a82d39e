"""PyTorch in and out: a torch function as a linop operator, and torch tensors through linop's operators.

:func:`linop.interop.from_torch` turns ``fn`` (a function of one tensor, an ``nn.Module`` or a custom
``torch.autograd.Function``) into a :class:`TorchOperator`, a shaped operator with

.. math::

    A x = \\mathrm{fn}(x), \\qquad A^H y = \\mathrm{vjp}_{\\mathrm{fn}}(0)(y)
    = \\frac{\\partial}{\\partial x} \\langle \\mathrm{fn}(x), y \\rangle

computed by ``torch.autograd.grad``, which for a custom ``autograd.Function`` calls the
user's own ``backward``. For complex tensors PyTorch's vector-Jacobian product is
already the conjugate transpose (its gradients are conjugate Wirtinger derivatives:
the VJP of ``x -> M x`` with grad_output ``v`` is ``M^H v``), so no conjugation is added.
The VJP is taken at ``x = 0``: for a linear ``fn`` it does not depend on the point,
and an affine ``fn`` (a layer with a bias) gives the adjoint of its linear part, while
``linop.verify`` reports that ``A 0 != 0``.

:func:`apply_to_tensor` (:mod:`linop.interop.torch_tensors`) is what ``A.apply(t)`` does
for a tensor ``t``. PyTorch is imported when these are called, never by ``import linop``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..arguments import as_shape, check_flag
from ..operators.base import ShapedOperator
from .callback import CallbackOperator
from .frameworks import INEXACT_DTYPES, check_dtype, require
from .torch_dtypes import tensor_to_numpy
from .torch_tensors import apply_to_tensor

__all__ = ["TorchOperator", "apply_to_tensor", "from_torch"]


def _torch():
    return require("torch", "torch")


def torch_dtype(dtype: np.dtype):
    """The torch dtype of a NumPy float32/float64/complex64/complex128 dtype."""
    return getattr(_torch(), np.dtype(dtype).name)


#: The names of the dtypes an operator computes in.
_OPERATOR_DTYPES = tuple(dt.name for dt in INEXACT_DTYPES)


def _as_device(device: Any):
    """``device`` as a ``torch.device``, or a ValueError naming it."""
    torch = _torch()
    try:
        return torch.device(device)
    except (RuntimeError, TypeError, ValueError) as exc:
        raise ValueError(
            f"device must be a torch.device or a device name such as 'cpu' or 'cuda:0'; got {device!r} ({exc})"
        ) from None


def _is_function_class(obj: object) -> bool:
    torch = _torch()
    return isinstance(obj, type) and issubclass(obj, torch.autograd.Function)


def _parameter_tensor(fn: object):
    """The first floating or complex parameter or buffer of a module, else ``None``."""
    torch = _torch()
    if isinstance(fn, torch.nn.Module):
        for t in list(fn.parameters()) + list(fn.buffers()):
            if t.is_floating_point() or t.is_complex():
                return t
    return None


def _random_state_kept(device):
    """A context that restores torch's global random state(s) on exit: probing ``fn`` draws nothing
    from the user's stream."""
    torch = _torch()
    return torch.random.fork_rng(devices=[device] if device.type == "cuda" else [])


class TorchOperator(CallbackOperator):
    """A linear map written in PyTorch: forward ``fn``, adjoint the vector-Jacobian product of autograd.

    Parameters
    ----------
    fn : callable, torch.nn.Module or torch.autograd.Function subclass
        Maps a tensor of shape ``input_shape`` (``(B, *input_shape)`` when ``batched``) to
        one tensor; a Function subclass is called through its ``apply``.
    input_shape : int or tuple of int
        The shape of the tensors ``fn`` takes (without the batch axis when ``batched``).
    dtype : float32, float64, complex64 or complex128 (NumPy or torch dtype), optional
        Default: the dtype of the module's first floating parameter, else
        ``torch.get_default_dtype()``.
    device : str or torch.device, optional
        Where ``fn`` runs; default the device of the module's parameters, else the CPU.
    batched : bool, default False
        ``fn`` takes a leading batch axis and treats its samples independently (one call
        per batch instead of one call per sample). Otherwise a batch runs through
        ``torch.func.vmap`` when that gives the per-sample results on a random probe
        (modules and plain functions do; random layers, and custom Functions without
        ``setup_context``/``vmap`` support, run sample by sample).

    Attributes
    ----------
    wrapped : callable, nn.Module or Function subclass
        What was passed as ``fn``.
    fn : callable
        The function called (``Function.apply`` for a Function subclass).
    device : torch.device
    vectorized : bool
        Whether batches run through ``torch.func.vmap`` (or ``fn`` itself when ``batched``).

    Raises
    ------
    ValueError
        ``fn`` fails on a zero tensor of ``input_shape`` (the message names the shape and
        torch's error), does not return one tensor, or returns a complex tensor for a real
        ``dtype``; ``device`` is not a device.
    TypeError
        ``fn`` is not callable, ``dtype`` is not a float or complex dtype (a float16 or
        bfloat16 module needs a float32 copy: its arithmetic has no exact adjoint),
        ``input_shape`` is not ints, or ``batched`` is not a bool.

    Examples
    --------
    >>> import torch
    >>> from linop.interop.torch import TorchOperator
    >>> matrix = torch.tensor([[1.0, 2.0j], [0.0, 1.0]], dtype=torch.complex128)
    >>> A = TorchOperator(lambda x: matrix @ x, (2,), dtype="complex128")
    >>> A.H.to_dense()  # autograd's VJP is the conjugate transpose
    array([[1.+0.j, 0.+0.j],
           [0.-2.j, 1.+0.j]])
    """

    def __init__(
        self,
        fn: Any,
        input_shape: int | Sequence[int],
        *,
        dtype: Any = None,
        device: Any = None,
        batched: bool = False,
    ):
        torch = _torch()
        self.wrapped = fn
        self.fn: Callable = fn.apply if _is_function_class(fn) else fn
        if not callable(self.fn):
            raise TypeError(f"fn must be a callable, an nn.Module or an autograd.Function subclass; got {fn!r}")
        shape = as_shape(input_shape, "input_shape")
        self.batched = check_flag(batched, "batched")
        reference = _parameter_tensor(fn)
        parameters = str(reference.dtype).rpartition(".")[2] if reference is not None else None
        hint = ""
        if dtype is None:
            if parameters is not None and parameters not in _OPERATOR_DTYPES:
                raise TypeError(
                    f"the module's parameters are {parameters}, which is not an operator dtype "
                    f"({', '.join(_OPERATOR_DTYPES)}): an operator of {parameters} arithmetic has no exact adjoint "
                    "to check; convert a copy of the module (copy.deepcopy(module).float()) and pass that"
                )
            dtype = reference.dtype if reference is not None else torch.get_default_dtype()
            hint = (
                f"; the dtype {str(dtype).rpartition('.')[2]} is a default: pass dtype= if fn computes in another dtype"
            )
        dt = check_dtype(dtype)
        if parameters is not None and parameters != dt.name:
            advice = "pass that dtype, or" if parameters in _OPERATOR_DTYPES else "pass"
            hint = (
                f"; the module's parameters are {parameters}: {advice} a {dt} copy of the module "
                f"(module.to(torch.{dt}))"
            )
        self.device = (
            _as_device(device)
            if device is not None
            else (reference.device if reference is not None else torch.device("cpu"))
        )
        self._torch_dtype = torch_dtype(dt)
        probe = torch.zeros((1,) + shape if self.batched else shape, dtype=self._torch_dtype, device=self.device)
        try:
            with torch.no_grad(), _random_state_kept(self.device):
                out = self.fn(probe)
        except Exception as exc:
            raise ValueError(
                f"fn fails on a {dt} tensor of shape {tuple(probe.shape)} (input_shape={shape}"
                f"{', batched' if self.batched else ''}): {type(exc).__name__}: {exc}{hint}"
            ) from exc
        if not isinstance(out, torch.Tensor):
            raise ValueError(f"fn must return one tensor; it returned {type(out).__name__}")
        if out.is_complex() and not dt.kind == "c":
            raise ValueError(
                f"fn returns complex tensors for {dt} input: pass a complex dtype (complex64 or complex128)"
            )
        output_shape = tuple(out.shape[1:]) if self.batched else tuple(out.shape)
        if not output_shape:
            output_shape = (1,)  # a scalar output is one row
        super().__init__(shape, output_shape, dt)
        self.vectorized = self.batched or self._vmap_agrees()

    def _vmap_agrees(self) -> bool:
        """Whether ``torch.func.vmap(fn)`` runs and gives the sample-by-sample results on a random batch of two."""
        torch = _torch()
        probe = torch.randn(
            (2,) + self.input_shape, dtype=self._torch_dtype, generator=torch.Generator().manual_seed(0)
        ).to(self.device)
        try:
            with torch.no_grad(), _random_state_kept(self.device):
                fast = torch.func.vmap(self.fn)(probe)
                slow = torch.stack([self.fn(sample) for sample in probe])
        except Exception:  # random operations, Functions without vmap support, data-dependent control flow
            return False
        if fast.shape != slow.shape:
            return False
        scale = float(slow.abs().max()) if slow.numel() else 0.0
        return bool(torch.allclose(fast, slow, rtol=1e-4, atol=1e-5 * scale))

    # -- the two maps ----------------------------------------------------------------------
    def _tensor(self, a: np.ndarray):
        return _torch().from_numpy(a).to(self.device)

    def _call(self, x):
        """``fn`` on a batch ``x`` of shape ``(B, *input_shape)``, outputs stacked (and shaped like
        ``output_shape``)."""
        torch = _torch()
        if self.batched:
            out = self.fn(x)
        elif self.vectorized:
            out = torch.func.vmap(self.fn)(x)
        else:
            out = torch.stack([self.fn(sample) for sample in x])
        return out.reshape((x.shape[0],) + self.output_shape)

    def _run_forward(self, x: np.ndarray) -> np.ndarray:
        with _torch().no_grad():
            return tensor_to_numpy(self._call(self._tensor(x)))

    def _run_adjoint(self, y: np.ndarray) -> np.ndarray:
        torch = _torch()
        with torch.enable_grad():
            x0 = torch.zeros(
                (y.shape[0],) + self.input_shape, dtype=self._torch_dtype, device=self.device, requires_grad=True
            )
            out = self._call(x0)
            if not out.requires_grad:
                raise ValueError(
                    "fn's output does not depend on its input through autograd (it is detached "
                    "or computed outside torch), so it has no vector-Jacobian product"
                )
            grad_output = self._tensor(y).to(out.dtype)
            (grad,) = torch.autograd.grad(out, x0, grad_outputs=grad_output, allow_unused=True)
        if grad is None:  # fn ignores its input: the adjoint of the zero map
            return np.zeros((y.shape[0],) + self.input_shape, dtype=self.dtype)
        return tensor_to_numpy(grad)

    def __repr__(self) -> str:
        name = getattr(self.wrapped, "__name__", None) or " ".join(repr(self.wrapped).split())
        if len(name) > 100:
            name = name[:97] + "..."
        return (
            f"<TorchOperator {name}: {self.input_shape} -> {self.output_shape}, "
            f"dtype={self.dtype}, device={self.device}>"
        )


def from_torch(
    fn: Any,
    input_shape: int | Sequence[int],
    *,
    dtype: Any = None,
    device: Any = None,
    batched: bool = False,
) -> TorchOperator:
    """A PyTorch function, module or custom autograd Function as a shaped linear operator.

    ``A x = fn(x)`` and ``A^H y = d<fn(x), y>/dx`` (autograd's vector-Jacobian product:
    for a custom ``autograd.Function`` its own ``backward``, which is what
    :func:`linop.verify` then checks).

    Parameters
    ----------
    fn : callable, torch.nn.Module or torch.autograd.Function subclass
        Maps one tensor of shape ``input_shape`` to one tensor.
    input_shape : int or tuple of int
        The shape of the tensors ``fn`` takes (without a batch axis when ``batched``).
    dtype : float32, float64, complex64 or complex128 (NumPy or torch dtype), optional
        Default: the module's parameters' dtype, else ``torch.get_default_dtype()``.
    device : str or torch.device, optional
        Where ``fn`` runs; default the module's parameters' device, else the CPU.
    batched : bool, default False
        ``fn`` takes a leading batch axis itself.

    Returns
    -------
    TorchOperator
        The operator, ``input_shape -> output_shape`` (the shape ``fn`` returns).

    Raises
    ------
    ValueError
        ``fn`` fails on a zero tensor of ``input_shape`` or returns something other than
        one tensor (see :class:`~linop.interop.torch.TorchOperator`), or ``device`` is not
        a device.
    TypeError
        ``fn`` is not callable, ``dtype`` is not a float or complex dtype, ``input_shape``
        is not ints, or ``batched`` is not a bool.

    Examples
    --------
    >>> import torch
    >>> from linop.interop import from_torch
    >>> layer = torch.nn.Conv1d(2, 3, kernel_size=3, bias=False, dtype=torch.float64)
    >>> A = from_torch(layer, input_shape=(2, 10))
    >>> A.input_shape, A.output_shape, A.dtype
    ((2, 10), (3, 8), dtype('float64'))
    >>> linop.verify(A, seed=0).passed
    True
    """
    return TorchOperator(fn, input_shape, dtype=dtype, device=device, batched=batched)


def adapt_torch_object(obj: object, *, input_shape: Any = None, dtype: Any = None) -> ShapedOperator:
    """What :func:`linop.interop.adapt` does with a PyTorch object.

    An ``nn.Module`` or ``autograd.Function`` subclass becomes a :class:`TorchOperator`
    (an ``nn.Linear`` knows its ``input_shape``: ``(in_features,)``); a 2-D tensor is the
    matrix it holds.

    Raises
    ------
    ValueError
        ``input_shape`` is missing for a module or Function that does not determine it, or differs
        from a matrix's columns.
    TypeError
        Any other PyTorch object.
    """
    torch = _torch()
    if isinstance(obj, torch.Tensor):
        if obj.dim() != 2:
            raise TypeError(f"a tensor to verify must be a 2-D matrix; got shape {tuple(obj.shape)}")
        if input_shape is not None and as_shape(input_shape, "input_shape") != (obj.shape[1],):
            raise ValueError(f"input_shape={input_shape!r} differs from the matrix's ({obj.shape[1]},) columns")
        matrix = obj
        return from_torch(
            lambda x: matrix @ x, (obj.shape[1],), dtype=obj.dtype if dtype is None else dtype, device=obj.device
        )
    if isinstance(obj, torch.nn.Module) or _is_function_class(obj):
        if input_shape is None and isinstance(obj, torch.nn.Linear):
            input_shape = (obj.in_features,)
        if input_shape is None:
            kind = "torch.autograd.Function" if _is_function_class(obj) else "torch.nn.Module"
            name = getattr(obj, "__name__", type(obj).__name__)
            raise ValueError(
                f"{name} is a {kind}: its input shape cannot be read from it; pass input_shape=(...) "
                "(--input-shape on the command line): the shape of one input tensor, e.g. (1, channels, height, width)"
            )
        return from_torch(obj, input_shape, dtype=dtype)
    raise TypeError(
        f"cannot adapt a {type(obj).__module__}.{type(obj).__name__}: from PyTorch, linop accepts an nn.Module, "
        "an autograd.Function subclass or a 2-D tensor (wrap a plain function with linop.interop.from_torch)"
    )
