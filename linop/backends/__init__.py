"""Numeric kernels of the convolution family, and the planner that chooses between them.

:func:`plan_convolution` (:mod:`linop.backends.planner`) makes every choice of how a
convolution runs, once, and returns a picklable :class:`ConvolutionPlan` whose
``forward``, ``adjoint`` and ``kernel_adjoint`` run it. The kernels only execute; each
provides three functions on padded, channels-last, batch-first arrays and the unpadded
geometry (``geometry.unpadded()``):

* ``correlate(xp, w, geom)``: the forward strided, dilated, grouped correlation;
* ``correlate_adjoint(y, w, geom)``: its transpose in the input (no conjugation);
* ``correlate_kernel_adjoint(xp, y, geom)``: its transpose in the kernel.

The methods are

``"gemm"`` (:mod:`linop.backends.gemm`)
    matrix products on shifted views of the input, for channels: the compiled
    implicit-GEMM kernel (:mod:`linop.backends.compiled`) for float32 and float64,
    BLAS on window views otherwise;
``"fft"`` (:mod:`linop.backends.fft`)
    products of spectra (scipy.fft), for large kernels;
``"direct"`` (:mod:`linop.backends.direct`)
    one strided multiply-add per tap, for tiny kernels, few channels and long signals;
``"reach"`` (:mod:`linop.backends.reaching_taps`)
    not a ``method`` but what the planner runs when the padding dominates the geometry
    (a dilation or padding far beyond the input): one gather per tap on the unpadded
    input, only the taps that reach it;

and ``"auto"`` picks the one with the lowest estimated cost
(:mod:`linop.backends.cost`). Every call keeps its scratch memory under
:func:`get_workspace_limit` (default 256 MiB, :mod:`linop.backends.workspace`) and
runs on all cores (:mod:`linop.backends.parallel`; ``parallel.THREADS = 1`` for one).
Supporting modules: :mod:`linop.backends.padding` (boundary padding and its fold),
:mod:`linop.backends.blas` (BLAS products on strided views, accumulated in place) and
:mod:`linop.backends.cache` (kernel spectra of immutable kernels).
"""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType

import numpy as np

from ..arguments import check_choice
from ..deprecation import deprecated_alias
from ..geometry import ConvGeometry
from . import direct, fft, gemm, reaching_taps, workspace
from .cost import method_costs
from .planner import METHODS, ConvolutionPlan, cheapest_method, plan_convolution
from .workspace import DEFAULT_WORKSPACE_BYTES, get_workspace_limit, set_workspace_limit, workspace_limit

__all__ = [
    "DEFAULT_WORKSPACE_BYTES",
    "METHODS",
    "ConvolutionPlan",
    "cheapest_method",
    "get_workspace_limit",
    "method_costs",
    "plan_convolution",
    "set_workspace_limit",
    "workspace_limit",
]
# Deprecated (one release), not in __all__: check_method, choose_method, resolve_method,
# resolve_backend, backend_module, select_backend, correlate_adjoint_interior.

_MODULES: dict[str, ModuleType] = {"gemm": gemm, "fft": fft, "direct": direct, "reach": reaching_taps}


# -- deprecated: the six functions of one choice, now the planner's ------------------------
def _check_method(method: object) -> str:
    return check_choice(method, METHODS, "method")


def _resolve_method(method: str, geom: ConvGeometry, dtype: np.dtype | type = np.float64) -> str:
    _check_method(method)
    return cheapest_method(geom, dtype) if method == "auto" else method


def _resolve_backend(method: str, geom: ConvGeometry, dtype: np.dtype | type = np.float64) -> str:
    return plan_convolution(geom, dtype, method).method


def _backend_module(name: str) -> ModuleType:
    module = _MODULES.get(name)
    if module is None:
        raise ValueError(f"name must be one of {', '.join(map(repr, _MODULES))}; got {name!r}")
    return module


def _select_backend(method: str, geom: ConvGeometry, dtype: np.dtype | type = np.float64) -> ModuleType:
    return _MODULES[_resolve_method(method, geom, dtype)]


def _correlate_adjoint_interior(
    backend: ModuleType, y: np.ndarray, w: np.ndarray, geom: ConvGeometry, pads: Sequence[tuple[int, int]]
) -> np.ndarray:
    if backend is gemm:
        ordering = plan_convolution(geom, np.result_type(y, w), "gemm")._ordering(1)
        return gemm.correlate_adjoint(y, w, geom, ordering=ordering, crop=pads)
    return workspace.interior(backend.correlate_adjoint(y, w, geom), geom, pads)


check_method = deprecated_alias(_check_method, "linop.backends.check_method")
check_method.__doc__ = "Deprecated: the ``method`` keyword is checked by :func:`plan_convolution`."
choose_method = deprecated_alias(cheapest_method, "linop.backends.choose_method")
resolve_method = deprecated_alias(_resolve_method, "linop.backends.resolve_method")
resolve_method.__doc__ = "Deprecated: ``plan_convolution(geom, dtype, method).method`` on the unpadded geometry."
resolve_backend = deprecated_alias(_resolve_backend, "linop.backends.resolve_backend")
resolve_backend.__doc__ = "Deprecated: ``plan_convolution(geom, dtype, method).method``."
backend_module = deprecated_alias(_backend_module, "linop.backends.backend_module")
backend_module.__doc__ = "Deprecated: a :class:`ConvolutionPlan` runs its kernels itself."
select_backend = deprecated_alias(_select_backend, "linop.backends.select_backend")
select_backend.__doc__ = "Deprecated: a :class:`ConvolutionPlan` runs its kernels itself."
correlate_adjoint_interior = deprecated_alias(_correlate_adjoint_interior, "linop.backends.correlate_adjoint_interior")
correlate_adjoint_interior.__doc__ = "Deprecated: :meth:`ConvolutionPlan.adjoint` drops the zero padding itself."
