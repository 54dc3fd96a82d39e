"""Numeric kernels of the convolution family and the choice between them.

Every backend provides three functions on padded, channels-last, batch-first arrays
and the unpadded geometry (``geometry.unpadded()``):

* ``correlate(xp, w, geom)``: the forward strided, dilated, grouped correlation;
* ``correlate_adjoint(y, w, geom)``: its transpose in the input (no conjugation);
* ``correlate_kernel_adjoint(xp, y, geom)``: its transpose in the kernel.

Callers conjugate where an adjoint needs it. The backends are

``"gemm"`` (:mod:`linop.backends.gemm`)
    matrix products on shifted views of the input, for channels: the compiled
    implicit-GEMM kernel (:mod:`linop.backends.compiled`) for float32 and float64,
    BLAS on window views otherwise;
``"fft"`` (:mod:`linop.backends.fft`)
    products of spectra (scipy.fft), for large kernels;
``"direct"`` (:mod:`linop.backends.direct`)
    one strided multiply-add per tap, for tiny kernels, few channels and long signals;
``"reach"`` (:mod:`linop.backends.reach`)
    not a ``method`` but what the operators run when the padding dominates the geometry
    (a dilation or padding far beyond the input): one gather per tap on the unpadded
    input, only the taps that reach it;

and ``"auto"`` picks the one with the lowest estimated cost
(:mod:`linop.backends.cost`). Every call keeps its scratch memory under
:func:`get_workspace_limit` (default 256 MiB, :mod:`linop.backends.workspace`) and
runs on all cores (:mod:`linop.backends.parallel`; ``parallel.THREADS = 1`` for one).
Supporting modules: :mod:`linop.backends.blas` (BLAS products on strided views,
accumulated in place) and :mod:`linop.backends.cache` (kernel spectra of frozen kernels).
"""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType

import numpy as np

from ..geometry import ConvGeometry
from . import direct, fft, gemm, reach, workspace
from .cost import method_costs
from .workspace import DEFAULT_WORKSPACE_BYTES, get_workspace_limit, set_workspace_limit, workspace_limit

__all__ = [
    "DEFAULT_WORKSPACE_BYTES",
    "METHODS",
    "backend_module",
    "check_method",
    "choose_method",
    "correlate_adjoint_interior",
    "get_workspace_limit",
    "method_costs",
    "resolve_backend",
    "resolve_method",
    "select_backend",
    "set_workspace_limit",
    "workspace_limit",
]

#: Names accepted by the ``method`` keyword.
METHODS: tuple[str, ...] = ("auto", "gemm", "fft", "direct")

_BACKENDS: dict[str, ModuleType] = {"gemm": gemm, "fft": fft, "direct": direct}
#: Backends the operators pick themselves, never named by ``method``: ``"reach"``
#: (:mod:`linop.backends.reach`) when the padding dominates the geometry.
_OWN_BACKENDS: dict[str, ModuleType] = {"reach": reach}


def check_method(method: object) -> str:
    """Validate a ``method`` keyword.

    Raises
    ------
    ValueError
        If ``method`` is not one of :data:`METHODS`.
    """
    if not isinstance(method, str) or method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(map(repr, METHODS))}; got {method!r}")
    return method


def choose_method(geom: ConvGeometry, dtype: np.dtype | type = np.float64) -> str:
    """The name of the backend with the lowest estimated cost for ``geom`` (unpadded) and ``dtype``."""
    costs = method_costs(geom, dtype)
    return min(costs, key=costs.get)


def correlate_adjoint_interior(
    backend: ModuleType, y: np.ndarray, w: np.ndarray, geom: ConvGeometry, pads: Sequence[tuple[int, int]]
) -> np.ndarray:
    """``backend.correlate_adjoint(y, w, geom)`` without its first ``lo`` and last ``hi``
    samples of every axis (``pads``): the adjoint of zero padding applied after it. The
    gemm backend never computes the dropped samples; the others drop them afterwards."""
    if backend is gemm:
        return gemm.correlate_adjoint(y, w, geom, crop=pads)
    return workspace.interior(backend.correlate_adjoint(y, w, geom), geom, pads)


def resolve_method(method: str, geom: ConvGeometry, dtype: np.dtype | type = np.float64) -> str:
    """The name of the backend that runs ``method`` (``"auto"``: :func:`choose_method`).

    Operators store this name, not the module, so that they pickle and deep-copy; the
    module is looked up by :func:`backend_module` at every call.
    """
    check_method(method)
    return choose_method(geom, dtype) if method == "auto" else method


def resolve_backend(method: str, geom: ConvGeometry, dtype: np.dtype | type = np.float64) -> str:
    """The backend an operator of (padded) geometry ``geom`` runs: ``"reach"`` when the
    padding dominates (:attr:`~linop.geometry.ConvGeometry.padding_dominates`, whatever
    ``method`` says: the padded signal could not even be allocated), else
    :func:`resolve_method` on the unpadded geometry."""
    check_method(method)
    if geom.padding_dominates:
        return "reach"
    return resolve_method(method, geom.unpadded(), dtype)


def backend_module(name: str) -> ModuleType:
    """The backend module called ``name`` (``"gemm"``, ``"fft"``, ``"direct"`` or ``"reach"``)."""
    module = _BACKENDS.get(name) or _OWN_BACKENDS.get(name)
    if module is None:
        allowed = ", ".join(map(repr, {**_BACKENDS, **_OWN_BACKENDS}))
        raise ValueError(f"name must be one of {allowed}; got {name!r}")
    return module


def select_backend(method: str, geom: ConvGeometry, dtype: np.dtype | type = np.float64) -> ModuleType:
    """The backend module for ``method`` (``"auto"``: :func:`choose_method`)."""
    return _BACKENDS[resolve_method(method, geom, dtype)]
