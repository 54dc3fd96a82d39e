"""The convolution as a linear map of its kernel, for a fixed input image.

For a fixed (padded) input ``x``, ``w -> y`` with

.. math::

    y[j, o] = \\sum_t \\sum_{r} w[t, r, o]\\; \\tilde x[s j + d t - p,\\; g(o) c_{in}/G + r]

is linear in ``w``. Its adjoint is the kernel gradient of backpropagation:

.. math::

    (K_x^H\\, y)[t, r, o] = \\sum_j \\overline{\\tilde x[s j + d t - p,\\; g(o) c_{in}/G + r]}\\; y[j, o]

just as the adjoint of :class:`~linop.operators.convolution.Convolution` is the input gradient.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from .. import backends
from ..geometry import ConvParameters, PaddingSpec, check_flag
from .base import ShapedOperator, as_shape
from .convolution import _frozen, as_kernel, conv_geometry
from .pad import pad_array

__all__ = ["KernelConvolution"]


class KernelConvolution(ConvParameters, ShapedOperator):
    """``kernel -> Convolution(kernel, x.shape, **keywords) @ x`` for a fixed image ``x``.

    Parameters
    ----------
    x : array_like
        The fixed input image, ``(n_1..n_d)`` or ``(n_1..n_d, c_in)``.
    kernel_shape : tuple of int
        ``(k_1..k_d)`` or ``(k_1..k_d, c_in/groups, c_out)``: the operator's input shape.
    **keywords
        ``stride``, ``padding``, ``dilation``, ``groups``, ``boundary``, ``flip``, ``method``,
        as for :class:`~linop.operators.convolution.Convolution`.

    Notes
    -----
    A batch of kernels ``(B, *kernel_shape)`` is applied as one convolution with the
    kernels stacked along the output channels, so there is no loop over the batch.
    """

    def __init__(
        self,
        x: object,
        kernel_shape: int | Sequence[int],
        *,
        stride: int | Sequence[int] = 1,
        padding: PaddingSpec = "valid",
        dilation: int | Sequence[int] = 1,
        groups: int = 1,
        boundary: str = "constant",
        flip: bool = False,
        method: str = "auto",
    ):
        self.x = as_kernel(x, "x")
        kshape = as_shape(kernel_shape, "kernel_shape")
        self.flip = check_flag(flip, "flip")
        self.geometry = conv_geometry(
            kshape, self.x.shape, stride=stride, padding=padding, dilation=dilation,
            groups=groups, boundary=boundary, kernel_name="kernel_shape",
        )
        self.method = backends.check_method(method)
        g = self.geometry
        xc = self.x if g.channels else self.x[..., None]
        # immutable so that the backends may cache transforms of the fixed image. When the
        # padding dominates, the image stays unpadded and the "reach" backend pads by index.
        self._reach = g.padding_dominates
        self._xp = _frozen(xc[None] if self._reach else pad_array(xc[None], g.padding, g.boundary))
        self._xp_conj = _frozen(self._xp.conj()) if np.iscomplexobj(self._xp) else self._xp
        self._core = g if self._reach else g.unpadded()
        super().__init__(g.kernel_shape, g.output_shape, self.x.dtype)

    @property
    def backend(self) -> str:
        """The numeric backend for one kernel (``method="auto"`` resolved by the cost model;
        ``"reach"`` when the padding dominates)."""
        return self._stacked(1)[1].__name__.rsplit(".", 1)[-1]

    def _stacked(self, batch: int):
        """Geometry of ``batch`` kernels stacked along the output channels (inside each group),
        and the backend that runs it."""
        g = self._core
        core = dataclasses.replace(g, out_channels=g.out_channels * batch)
        if self._reach:
            return core, backends.backend_module("reach")
        return core, backends.select_backend(self.method, core, self.dtype)

    def _forward(self, w: np.ndarray) -> np.ndarray:
        g = self.geometry
        B, G, c, o = w.shape[0], g.groups, g.in_per_group, g.out_per_group
        if self.flip:
            w = w[(slice(None),) + (slice(None, None, -1),) * g.ndim]
        w = w.reshape((B,) + g.kernel_size + (c, G, o))
        # (B, k..., c, G, o) -> (k..., c, G, B, o): batch inside each group's channels
        w = np.moveaxis(w, 0, -2).reshape(g.kernel_size + (c, G * B * o))
        core, backend = self._stacked(B)
        y = backend.correlate(self._xp, np.ascontiguousarray(w), core)  # (1, m..., G*B*o)
        y = y.reshape(g.output_size + (G, B, o))
        y = np.moveaxis(y, -2, 0).reshape((B,) + g.output_size + (G * o,))
        return y if g.channels else y[..., 0]

    def _backward(self, y: np.ndarray) -> np.ndarray:
        g = self.geometry
        B, G, c, o = y.shape[0], g.groups, g.in_per_group, g.out_per_group
        y = y.reshape((B,) + g.output_size + (G, o))
        y = np.moveaxis(y, 0, -2).reshape((1,) + g.output_size + (G * B * o,))
        core, backend = self._stacked(B)
        w = backend.correlate_kernel_adjoint(self._xp_conj, np.ascontiguousarray(y), core)
        w = w.reshape(g.kernel_size + (c, G, B, o))
        w = np.moveaxis(w, -2, 0).reshape((B,) + g.kernel_size + (c, G * o))
        if self.flip:
            w = w[(slice(None),) + (slice(None, None, -1),) * g.ndim]
        return w.reshape((B,) + g.kernel_shape)
