"""Numeric kernels of the convolution family and the choice between them.

Every backend provides three functions on padded, channels-last, batch-first arrays
and the unpadded geometry (see :mod:`linop.backends.taps` for the formulas):

* ``correlate(xp, w, geom)``: the forward strided, dilated, grouped correlation;
* ``correlate_adjoint(y, w, geom)``: its transpose in the input (no conjugation);
* ``correlate_kernel_adjoint(xp, y, geom)``: its transpose in the kernel.

Callers conjugate where an adjoint needs it.
"""

from __future__ import annotations

from types import ModuleType

from ..geometry import ConvGeometry
from . import taps

__all__ = ["METHODS", "select_backend"]

#: Names accepted by the ``method`` keyword.
METHODS: tuple[str, ...] = ("auto", "taps")

_BACKENDS: dict[str, ModuleType] = {"taps": taps}


def check_method(method: str) -> str:
    """Validate a ``method`` keyword."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(map(repr, METHODS))}; got {method!r}")
    return method


def select_backend(method: str, geom: ConvGeometry) -> ModuleType:
    """The backend module for ``method`` (``"auto"``: the fastest for this geometry)."""
    check_method(method)
    if method == "auto":
        return taps
    return _BACKENDS[method]
