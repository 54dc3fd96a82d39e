"""Operators from PyTorch, JAX and PyLops, and their arrays in and out of linop's operators.

Each framework has its own module, imported only when used (``import linop`` loads none
of them):

* :func:`from_torch` (:mod:`linop.interop.torch`): a PyTorch function, ``nn.Module`` or
  custom ``autograd.Function`` as a shaped operator whose adjoint is the
  vector-Jacobian product of autograd, that is, the user's own ``backward``;
* :func:`from_jax` (:mod:`linop.interop.jax`): a JAX function, adjoint through ``jax.vjp``
  with the conjugation that makes it ``A^H``;
* :func:`from_pylops` (:mod:`linop.interop.pylops`): a ``pylops.LinearOperator`` with its
  ``dims``/``dimsd`` as input and output shapes;
* :func:`adapt`: whichever of these fits an object, recognised without importing its
  framework (what :func:`linop.verify` and ``linop verify`` call);
* :func:`linop.interop.pylops.to_pylops`: a linop operator as a ``pylops.LinearOperator``;
* :meth:`linop.ShapedOperator.apply` on a torch tensor, JAX array or array-API array
  returns an array of the same kind (:func:`linop.interop.foreign.apply_foreign`);
* :mod:`linop.interop.torch_layers`: exact conversion between linop's convolutions and
  ``torch.nn.Conv*d`` / ``ConvTranspose*d``.
"""

from __future__ import annotations

import importlib
from typing import Any

from .callback import CallbackOperator
from .detect import ACCEPTED, adapt, framework_of

__all__ = [
    "ACCEPTED",
    "CallbackOperator",
    "TorchCannotExpress",
    "adapt",
    "framework_of",
    "from_jax",
    "from_pylops",
    "from_torch",
]


_ADAPTERS = {
    "from_torch": "torch",
    "from_jax": "jax",
    "from_pylops": "pylops",
    "TorchCannotExpress": "torch_conversion",
}


def __getattr__(name: str) -> Any:
    """``from_torch``, ``from_jax``, ``from_pylops``, ``TorchCannotExpress``: their module loads on first use
    (the framework when called)."""
    if name in _ADAPTERS:
        module = importlib.import_module(f".{_ADAPTERS[name]}", __name__)
        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
