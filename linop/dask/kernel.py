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

from ..geometry import ConvParameters, PaddingSpec, block_bounds, check_flag
from ..operators import ShapedOperator
from ..operators.base import as_shape
from ..operators.convolution import conv_geometry
from .. import backends
from . import graph
from .blocks import KernelConvolutionBlocks
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

    def __init__(self, image: da.Array, kernel_shape: int | Sequence[int], *, stride: int | Sequence[int] = 1,
                 padding: PaddingSpec = "valid", dilation: int | Sequence[int] = 1, groups: int = 1,
                 boundary: str = "constant", flip: bool = False, method: str = "auto"):
        check_dask_array(image, "image")
        if image.ndim == 0:
            raise ValueError("image must have at least one axis; got a 0-d array")
        if 0 in image.shape:
            raise ValueError(f"image must not be empty; got shape {image.shape}")
        kshape = as_shape(kernel_shape, "kernel_shape")
        if not (len(kshape) == image.ndim or (len(kshape) == image.ndim + 1 and image.ndim >= 2)):
            raise ValueError(
                f"kernel_shape {kshape} does not fit the image of shape {image.shape}: a single-channel "
                f"kernel_shape (k_1..k_d) goes with an image (n_1..n_d), a multi-channel one "
                f"(k_1..k_d, c_in/groups, c_out) with an image (n_1..n_d, c_in)"
            )
        self.flip = check_flag(flip, "flip")
        self.geometry = conv_geometry(kshape, image.shape, stride=stride, padding=padding, dilation=dilation,
                                      groups=groups, boundary=boundary, kernel_name="kernel_shape")
        self.method = backends.check_method(method)
        dtype = image.dtype if np.issubdtype(image.dtype, np.inexact) else np.dtype(np.float64)
        dtype = np.dtype(np.float32) if dtype == np.float16 else dtype
        # Each block is a KernelConvolution, which refuses a non-finite image: checked here,
        # the one pass over the image the constructor makes, so that the error names
        # ``image`` now instead of a block's parameter at compute time.
        if np.issubdtype(image.dtype, np.inexact) and not bool(da.isfinite(image).all().compute()):
            raise ValueError("image must be finite; it contains NaN or inf")
        self.image = image.astype(dtype) if image.dtype != dtype else image
        super().__init__(self.geometry.kernel_shape, self.geometry.output_shape, dtype)

    @property
    def blocks(self) -> KernelConvolutionBlocks:
        """The picklable description each block's :class:`~linop.KernelConvolution` is built from."""
        g = self.geometry
        return KernelConvolutionBlocks(g.kernel_shape, g.stride, g.dilation, g.groups, self.flip, self.method)

    def forward_graph(self, w: da.Array) -> da.Array:
        """``K w`` for Dask kernels ``w`` of shape ``(..., *kernel_shape)``: one block per image chunk."""
        g = self.geometry
        out_bounds = [ax.output_block_bounds(block_bounds(c)) for ax, c in zip(g.axes, self.image.chunks)]
        out_trail = (g.out_channels,) if g.channels else ()
        return graph.kernel_forward(self.image, w, g.axes, g.boundary, self.blocks, out_bounds=out_bounds,
                                    out_trail=out_trail, dtype=w.dtype, name="linop-kernel-convolution")

    def adjoint_graph(self, y: da.Array) -> da.Array:
        """``K^H y`` for Dask ``y`` of shape ``(..., *output_shape)``: the blocks' kernel gradients, summed."""
        g = self.geometry
        return graph.kernel_adjoint(self.image, y, g.axes, g.boundary, self.blocks, dtype=y.dtype,
                                    name="linop-kernel-convolution-adjoint")

    def _forward(self, w: np.ndarray) -> np.ndarray:
        return np.asarray(self.forward_graph(da.from_array(w, chunks=-1)).compute())

    def _backward(self, y: np.ndarray) -> np.ndarray:
        chunks = (-1,) + tuple(self.forward_graph(da.zeros(self.input_shape, dtype=self.dtype, chunks=-1)).chunks)
        return np.asarray(self.adjoint_graph(da.from_array(y, chunks=chunks)).compute())

    def __repr__(self) -> str:
        return (f"DaskKernelConvolution(image {self.image.shape} in chunks {self.image.chunksize}, "
                f"kernel_shape={self.input_shape}, output_shape={self.output_shape})")
