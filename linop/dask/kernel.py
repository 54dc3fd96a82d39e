"""Deprecated: :class:`~linop.dask.DaskKernelConvolution` lives in :mod:`linop.dask.kernel_operator`."""

from ..deprecation import moved_names

__getattr__ = moved_names(__name__, {"DaskKernelConvolution": "linop.dask.kernel_operator:DaskKernelConvolution"})
