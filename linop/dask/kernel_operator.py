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
from ..operators.blocking import Scheduled
from ..operators.kernel_convolution import KernelConvolutionBlocks
from . import graph

__all__ = ["DaskKernelConvolution"]


class DaskKernelConvolution(ConvParameters, ShapedOperator):
    """``kernel -> Convolution(kernel, image.shape, **keywords) @ image`` for a Dask ``image``.

    Parameters
    ----------
    image : dask.array.Array
        The fixed image, ``(n_1..n_d)`` or ``(n_1..n_d, c_in)``, chunked along its spatial
        axes in any way (its channel axis is gathered into one chunk per block).
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
        Unknown chunk sizes, or any invalid keyword (as for :class:`~linop.Convolution`).

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

    def __init__(self, image: da.Array, kernel_shape: int | Sequence[int], *, stride: int | Sequence[int] = 1,
                 padding: PaddingSpec = "valid", dilation: int | Sequence[int] = 1, groups: int = 1,
                 boundary: str = "constant", flip: bool = False, method: str = "auto"):
        if not isinstance(image, da.Array):
            raise TypeError(f"image must be a dask.array.Array; got {type(image).__name__}")
        if not np.issubdtype(image.dtype, np.number):
            raise TypeError(f"image must be a numeric array; got dtype {image.dtype}")
        if any(np.isnan(s) for s in image.shape):
            raise ValueError(f"image has unknown chunk sizes (shape {image.shape}); call image.compute_chunk_sizes() first")
        self.record = ConvRecord.resolve(
            kernel_shape, image.shape, stride=stride, padding=padding, dilation=dilation, groups=groups,
            boundary=boundary, flip=flip, method=method, kernel_name="kernel_shape",
        )
        dtype = image.dtype if np.issubdtype(image.dtype, np.inexact) else np.dtype(np.float64)
        dtype = np.dtype(np.float32) if dtype == np.float16 else dtype
        self.image = image.astype(dtype) if image.dtype != dtype else image
        # planned once, here; every block runs this plan on its own geometry
        self.blocks = KernelConvolutionBlocks(self.record, plan_convolution(self.record.geometry, dtype, method))
        super().__init__(self.geometry.kernel_shape, self.geometry.output_shape, dtype)

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
        return graph.kernel_forward(self.image, w, g.axes, g.boundary, self.blocks, g.kernel_shape,
                                    out_bounds=out_bounds, out_trail=out_trail, dtype=w.dtype,
                                    name="linop-kernel-convolution")

    def adjoint_graph(self, y: da.Array) -> da.Array:
        """``K^H y`` for Dask ``y`` of shape ``(..., *output_shape)``: the blocks' kernel gradients, summed."""
        g = self.geometry
        return graph.kernel_adjoint(self.image, y, g.axes, g.boundary, self.blocks, g.kernel_shape,
                                    dtype=y.dtype, name="linop-kernel-convolution-adjoint")

    def block_structure(self) -> Scheduled:
        """On Dask arrays this operator builds its own graphs."""
        return Scheduled(self.forward_graph, self.adjoint_graph)

    def _forward(self, w: np.ndarray) -> np.ndarray:
        return np.asarray(self.forward_graph(da.from_array(w, chunks=-1)).compute())

    def _backward(self, y: np.ndarray) -> np.ndarray:
        chunks = (-1,) + tuple(self.forward_graph(da.zeros(self.input_shape, dtype=self.dtype, chunks=-1)).chunks)
        return np.asarray(self.adjoint_graph(da.from_array(y, chunks=chunks)).compute())

    def __repr__(self) -> str:
        return (f"DaskKernelConvolution(image {self.image.shape} in chunks {self.image.chunksize}, "
                f"kernel_shape={self.input_shape}, output_shape={self.output_shape})")
