"""linop on Dask arrays: the same operators, block by block, with an exact distributed adjoint.

``A.apply(x)`` and ``A.H.apply(y)`` on a :class:`dask.array.Array` return lazy Dask
arrays (``import linop`` does not import Dask; the first Dask operand imports this
module). Per spatial axis, output blocks follow the input chunks, stride-aligned
(:func:`linop.geometry.output_block_bounds`); each block reads its own
chunk plus a halo from its neighbours (folded by the boundary mode at the outer edges
only) and runs linop's own operator on it, so the compiled kernel and the FFT do the
work. The adjoint adds each block's halo contribution back into the neighbour it came
from (an overlap-add). Chunks may be split along batch, spatial and channel axes (a
dense convolution sums over its input channel chunks; a grouped one keeps whole groups
per chunk).

Requires the ``dask`` extra (``dask[array]``, ``distributed``, ``zarr``).

Examples
--------
>>> import dask.array as da, numpy as np, linop
>>> A = linop.Convolution(np.ones((3, 3)) / 9, input_shape=(64, 64), padding="same", boundary="reflect")
>>> x = da.random.default_rng(0).random((64, 64), chunks=16)
>>> y = A.apply(x)                       # lazy, chunks (16, 16)
>>> bool(np.allclose(y.compute(), A.apply(x.compute())))
True
"""

from .dispatch import apply, apply_adjoint, dot, matvec, rmatvec
from .kernel_operator import DaskKernelConvolution
from .operator import DaskBackedOperator

__all__ = ["DaskBackedOperator", "DaskKernelConvolution", "apply", "apply_adjoint", "dot", "matvec", "rmatvec"]
