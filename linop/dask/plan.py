"""Deprecated: the halo plan is :mod:`linop.dask.halo` (``plan`` now names what the backends make)."""

from ..deprecation import moved_names

__getattr__ = moved_names(
    __name__,
    {name: f"linop.dask.halo:{name}" for name in ("AxisRead", "Stretch", "axis_read", "axis_reads", "HOW")},
)
