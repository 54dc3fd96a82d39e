"""Deprecated: this module is now :mod:`linop.formula.exact_twin`."""

from ..deprecation import moved_module

__getattr__ = moved_module(__name__, "linop.formula.exact_twin")
