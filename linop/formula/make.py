"""Deprecated: this module is now :mod:`linop.formula.assembly`."""

from ..deprecation import moved_module

__getattr__ = moved_module(__name__, "linop.formula.assembly")
