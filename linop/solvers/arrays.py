"""Deprecated: this module is now :mod:`linop.solvers.vectors`."""

from ..deprecation import moved_module

__getattr__ = moved_module(__name__, "linop.solvers.vectors")
