"""Deprecated: this module is now :mod:`linop.symbolic.exact_checks`."""

from ..deprecation import moved_module

__getattr__ = moved_module(__name__, "linop.symbolic.exact_checks")
