"""The kernel operator of a convolution whose fixed image is a Dask array (blind deconvolution at scale).

``DaskKernelConvolution(image, kernel_shape, **keywords)`` is
:class:`~linop.KernelConvolution` for an image that does not fit in memory:

.. math::

    (K w)[j, o] = \\sum_t \\sum_r w[t, r, o]\\; \\tilde x[s j + d t - p,\\; g(o) c_{in}/G + r], \\qquad
    (K^H y)[t, r, o] = \\sum_j \\overline{\\tilde x[s j + d t - p,\\; g(o) c_{in}/G + r]}\\; y[j, o]

The forward gives a Dask array with one block per chunk of the image (each block
convolves its haloed image block with the whole kernel); the adjoint is a reduction:
every block's kernel gradient, summed in a tree, one small in-memory-sized result.
"""

from __future__ import annotations

from collections.abc import Sequence

import dask.array as da
import numpy as np

from ..backends import plan_convolution
from ..geometry import ConvGeometry, ConvParameters, ConvRecord, PaddingSpec, block_bounds, output_block_bounds
from ..operators import ShapedOperator
from ..operators.blocking import Scheduled, numerics_inherited
from ..operators.kernel_convolution import KernelConvolutionBlocks
from . import graph
from .validation import check_dask_array

__all__ = ["DaskKernelConvolution"]


class DaskKernelConvolution(ConvParameters, ShapedOperator):
    """``kernel -> Convolution(kernel, image.shape, **keywords) @ image`` for a Dask ``image``.

    Parameters
    ----------
    image : dask.array.Array
        The fixed image, ``(n_1..n_d)`` or ``(n_1..n_d, c_in)``, finite, chunked along its
        spatial axes in any way (its channel axis is gathered into one chunk per block).
        Integer and boolean images compute in float64, float16 ones in float32.
    kernel_shape : tuple of int
        ``(k_1..k_d)`` or ``(k_1..k_d, c_in/groups, c_out)``: the operator's input shape.
    stride, padding, dilation, groups, boundary, flip, method
        As for :class:`~linop.Convolution`.

    Notes
    -----
    ``apply`` / ``apply_adjoint`` on Dask arrays are lazy; on NumPy arrays they build
    the same graph and compute it (the result of the forward is image-sized).

    Raises
    ------
    TypeError
        ``image`` is not a numeric Dask array.
    ValueError
        Unknown chunk sizes, an empty or 0-d ``image``, a ``kernel_shape`` that does not
        fit it, any invalid keyword (as for :class:`~linop.Convolution`), or an ``image``
        that holds NaN or inf. All before the operator exists: the finiteness check is
        the one pass over the image the constructor makes (a reduction, never the whole
        image in memory).

    Examples
    --------
    >>> import dask.array as da, numpy as np, linop
    >>> from linop.dask import DaskKernelConvolution
    >>> image = da.random.default_rng(0).random((40, 30), chunks=(16, 16))
    >>> K = DaskKernelConvolution(image, (3, 3), padding="same", boundary="reflect")
    >>> w = da.ones((3, 3), chunks=-1)
    >>> gradient = K.H.apply(K.apply(w))     # a (3, 3) Dask array, one chunk
    >>> reference = linop.KernelConvolution(image.compute(), (3, 3), padding="same", boundary="reflect")
    >>> bool(np.allclose(gradient.compute(), reference.H.apply(reference.apply(np.ones((3, 3))))))
    True
    """

    def __init__(
        self,
        image: da.Array,
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
        check_dask_array(image, "image")
        if image.ndim == 0:
            raise ValueError("image must have at least one axis; got a 0-d array")
        if 0 in image.shape:
            raise ValueError(f"image must not be empty; got shape {image.shape}")
        self.record = ConvRecord.resolve(
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
            input_name="image",
        )
        dtype = image.dtype if np.issubdtype(image.dtype, np.inexact) else np.dtype(np.float64)
        dtype = np.dtype(np.float32) if dtype == np.float16 else dtype
        # Each block is a KernelConvolution of the image's block: checked here, the one pass
        # over the image the constructor makes, so that the error names ``image`` now
        # instead of a block's parameter at compute time.
        if np.issubdtype(image.dtype, np.inexact) and not bool(da.isfinite(image).all().compute()):
            raise ValueError("image must be finite; it contains NaN or inf")
        self.image = image.astype(dtype) if image.dtype != dtype else image
        # planned once, here; every block runs this plan on its own geometry
        self.blocks = KernelConvolutionBlocks(self.record, plan_convolution(self.record.geometry, dtype, method))
        super().__init__(self.geometry.kernel_shape, self.geometry.output_shape, dtype)

    _numeric_hooks = ShapedOperator._numeric_hooks + ("forward_graph", "adjoint_graph", "geometry")

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
        """The ``method`` keyword as given."""
        return self.record.method

    def forward_graph(self, w: da.Array) -> da.Array:
        """``K w`` for Dask kernels ``w`` of shape ``(..., *kernel_shape)``: one block per image chunk."""
        g = self.geometry
        out_bounds = [output_block_bounds(ax, block_bounds(c)) for ax, c in zip(g.axes, self.image.chunks)]
        out_trail = (g.out_channels,) if g.channels else ()
        return graph.kernel_forward(
            self.image,
            w,
            g.axes,
            g.boundary,
            self.blocks,
            g.kernel_shape,
            out_bounds=out_bounds,
            out_trail=out_trail,
            dtype=w.dtype,
            name="linop-kernel-convolution",
        )

    def adjoint_graph(self, y: da.Array) -> da.Array:
        """``K^H y`` for Dask ``y`` of shape ``(..., *output_shape)``: the blocks' kernel gradients, summed."""
        g = self.geometry
        return graph.kernel_adjoint(
            self.image,
            y,
            g.axes,
            g.boundary,
            self.blocks,
            g.kernel_shape,
            dtype=y.dtype,
            name="linop-kernel-convolution-adjoint",
        )

    def block_structure(self) -> Scheduled | None:
        """On Dask arrays this operator builds its own graphs (``None`` for a subclass that
        replaces the numerics)."""
        if not numerics_inherited(self, DaskKernelConvolution):
            return None
        return Scheduled(self.forward_graph, self.adjoint_graph)

    def _forward(self, w: np.ndarray) -> np.ndarray:
        return np.asarray(self.forward_graph(da.from_array(w, chunks=-1)).compute())

    def _backward(self, y: np.ndarray) -> np.ndarray:
        chunks = (-1,) + tuple(self.forward_graph(da.zeros(self.input_shape, dtype=self.dtype, chunks=-1)).chunks)
        return np.asarray(self.adjoint_graph(da.from_array(y, chunks=chunks)).compute())

    def __repr__(self) -> str:
        return (
            f"DaskKernelConvolution(image {self.image.shape} in chunks {self.image.chunksize}, "
            f"kernel_shape={self.input_shape}, output_shape={self.output_shape})"
        )
