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
from dataclasses import dataclass, field

import numpy as np

from ..arguments import as_finite_array
from ..backends import ConvolutionPlan, plan_convolution
from ..backends.padding import pad_array
from ..geometry import ConvGeometry, ConvParameters, ConvRecord, PaddingSpec
from ..immutable import immutable
from .base import ShapedOperator
from .blocking import KernelStencil, numerics_inherited

__all__ = ["KernelConvolution", "KernelConvolutionBlocks"]


class KernelConvolution(ConvParameters, ShapedOperator):
    """``kernel -> Convolution(kernel, x.shape, **keywords) @ x`` for a fixed image ``x``.

    Parameters
    ----------
    x : array_like
        The fixed input image, ``(n_1..n_d)`` or ``(n_1..n_d, c_in)``.
    kernel_shape : tuple of int
        ``(k_1..k_d)`` or ``(k_1..k_d, c_in/groups, c_out)``: the operator's input shape.
    stride, dilation : int or one int per spatial axis, default 1
        As for :class:`~linop.Convolution`.
    padding : str, int or sequence, default "valid"
        As for :class:`~linop.Convolution`.
    groups : int, default 1
        As for :class:`~linop.Convolution`.
    boundary : str, default "constant"
        As for :class:`~linop.Convolution`.
    flip : bool, default False
        As for :class:`~linop.Convolution`.
    method : {"auto", "gemm", "fft", "direct"}, default "auto"
        As for :class:`~linop.Convolution`.

    Notes
    -----
    A batch of kernels ``(B, *kernel_shape)`` is applied as one convolution with the
    kernels stacked along the output channels, so there is no loop over the batch.
    When the padding dominates the geometry (a dilation or padding far beyond the image,
    :attr:`~linop.geometry.ConvGeometry.padding_dominates`), the image is kept unpadded
    and only the taps that reach it are computed (:mod:`linop.backends.reaching_taps`).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x, w = rng.standard_normal((6, 6, 2)), rng.standard_normal((3, 3, 2, 4))
    >>> K = linop.KernelConvolution(x, w.shape, padding=1)
    >>> A = linop.Convolution(w, x.shape, padding=1)
    >>> np.allclose(K.apply(w), A.apply(x))          # K w = A x
    True
    >>> g = rng.standard_normal(A.output_shape)
    >>> K.H.apply(g).shape                           # the kernel gradient of <A x, g>
    (3, 3, 2, 4)
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
        image = as_finite_array(x, "x")
        record = ConvRecord.resolve(
            kernel_shape,
            image.shape,
            stride=stride,
            padding=padding,
            dilation=dilation,
            groups=groups,
            boundary=boundary,
            flip=flip,
            method=method,
            kernel_name="kernel_shape",
            input_name="x",
        )
        self._set_up(image, record)

    @classmethod
    def from_record(cls, x: object, record: ConvRecord, plan: ConvolutionPlan | None = None) -> KernelConvolution:
        """The kernel operator of a resolved parameter record for the image ``x``: nothing is parsed again.

        Parameters
        ----------
        x : array_like
            The fixed image, of shape ``record.input_shape``.
        record : ConvRecord
            The resolved parameters (:meth:`linop.geometry.ConvRecord.resolve`).
        plan : ConvolutionPlan, optional
            The numerics for one kernel, when already planned; by default
            :func:`linop.backends.plan_convolution`.

        Returns
        -------
        KernelConvolution
            The operator.

        Raises
        ------
        ValueError
            If ``x`` does not have the record's input shape.

        Examples
        --------
        >>> A = linop.Convolution(np.ones((3, 3)), (8, 8), padding=1)
        >>> K = linop.KernelConvolution.from_record(np.ones((8, 8)), A.record)
        >>> K.input_shape, K.output_shape
        ((3, 3), (8, 8))
        """
        if not isinstance(record, ConvRecord):
            raise TypeError(f"record must be a ConvRecord; got {type(record).__name__}")
        image = as_finite_array(x, "x")
        if image.shape != record.input_shape:
            raise ValueError(f"x must have the record's input shape {record.input_shape}; got {image.shape}")
        self = cls.__new__(cls)
        self._set_up(image, record, plan)
        return self

    def _set_up(self, image: np.ndarray, record: ConvRecord, plan: ConvolutionPlan | None = None) -> None:
        g = record.geometry
        self.x = image
        self.record = record
        self._plan = plan if plan is not None else plan_convolution(g, image.dtype, record.method)
        xc = image if g.channels else image[..., None]
        # immutable so that the backends may cache transforms of the fixed image. With the
        # "reach" method (the padding dominates) the image stays unpadded and is padded by index.
        reach = self._plan.method == "reach"
        self._xp = immutable(xc[None] if reach else pad_array(xc[None], g.padding, g.boundary))
        self._xp_conj = immutable(self._xp.conj()) if np.iscomplexobj(self._xp) else self._xp
        ShapedOperator.__init__(self, g.kernel_shape, g.output_shape, image.dtype)

    @property
    def geometry(self) -> ConvGeometry:
        """The index arithmetic of the convolution (:class:`~linop.geometry.ConvGeometry`)."""
        return self.record.geometry

    @property
    def flip(self) -> bool:
        """Whether kernels are reversed along every spatial axis."""
        return self.record.flip

    @property
    def method(self) -> str:
        """The ``method`` keyword as given (:attr:`backend` is what it resolved to)."""
        return self.record.method

    @property
    def plan(self) -> ConvolutionPlan:
        """How one kernel runs (:class:`~linop.backends.ConvolutionPlan`), planned once."""
        return self._plan

    @property
    def backend(self) -> str:
        """The numeric method (``method="auto"`` resolved by the cost model once, at construction;
        ``"reach"`` when the padding dominates)."""
        return self._plan.method

    _numeric_hooks = ShapedOperator._numeric_hooks + ("_stacked", "geometry", "flip")

    def _stacked(self, batch: int) -> ConvolutionPlan:
        """The plan of ``batch`` kernels stacked along the output channels (inside each group):
        this operator's method and orderings on the wider geometry."""
        if batch == 1:
            return self._plan
        g = self._plan.geometry
        return self._plan.for_geometry(dataclasses.replace(g, out_channels=g.out_channels * batch))

    def _forward(self, w: np.ndarray) -> np.ndarray:
        g = self.geometry
        B, G, c, o = w.shape[0], g.groups, g.in_per_group, g.out_per_group
        if self.flip:
            w = w[(slice(None),) + (slice(None, None, -1),) * g.ndim]
        w = w.reshape((B,) + g.kernel_size + (c, G, o))
        # (B, k..., c, G, o) -> (k..., c, G, B, o): batch inside each group's channels
        w = np.moveaxis(w, 0, -2).reshape(g.kernel_size + (c, G * B * o))
        y = self._stacked(B).correlate(self._xp, np.ascontiguousarray(w))  # (1, m..., G*B*o)
        y = y.reshape(g.output_size + (G, B, o))
        y = np.moveaxis(y, -2, 0).reshape((B,) + g.output_size + (G * o,))
        return y if g.channels else y[..., 0]

    def _backward(self, y: np.ndarray) -> np.ndarray:
        g = self.geometry
        B, G, c, o = y.shape[0], g.groups, g.in_per_group, g.out_per_group
        y = y.reshape((B,) + g.output_size + (G, o))
        y = np.moveaxis(y, 0, -2).reshape((1,) + g.output_size + (G * B * o,))
        w = self._stacked(B).kernel_adjoint(self._xp_conj, np.ascontiguousarray(y))
        w = w.reshape(g.kernel_size + (c, G, B, o))
        w = np.moveaxis(w, -2, 0).reshape((B,) + g.kernel_size + (c, G * o))
        if self.flip:
            w = w[(slice(None),) + (slice(None, None, -1),) * g.ndim]
        return w.reshape((B,) + g.kernel_shape)

    def block_structure(self) -> KernelStencil | None:
        """Blocks of a chunked array of kernels' outputs: a
        :class:`~linop.operators.blocking.KernelStencil` whose block operators are kernel
        operators of the image's haloed blocks (``None`` for a subclass that replaces the
        numerics)."""
        if not numerics_inherited(self, KernelConvolution):
            return None
        g = self.geometry
        return KernelStencil(
            g.axes, g.boundary, self.x, g.kernel_shape, KernelConvolutionBlocks(self.record, self._plan)
        )


@dataclass(frozen=True)
class KernelConvolutionBlocks:
    """The kernel operators of the haloed blocks of a fixed image (a picklable factory).

    Each block's operator is made from the parent's record (:meth:`~linop.geometry.ConvRecord.block`)
    and runs the parent's plan: nothing is parsed and no cost model runs per block.
    """

    record: ConvRecord
    plan: ConvolutionPlan = field(repr=False)

    def build(self, image: np.ndarray, zeros: tuple[tuple[int, int], ...]) -> KernelConvolution:
        """The kernel operator of one haloed block ``image`` padded by ``zeros`` zeros."""
        spatial = image.shape[: self.record.geometry.ndim]
        record = self.record.block(spatial, zeros)
        op = KernelConvolution.__new__(KernelConvolution)
        op._set_up(image, record, self.plan.for_geometry(record.geometry))
        return op
