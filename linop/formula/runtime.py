"""Deprecated: this module is now :mod:`linop.formula.program`."""

from ..deprecation import moved_module

__getattr__ = moved_module(__name__, "linop.formula.program")
