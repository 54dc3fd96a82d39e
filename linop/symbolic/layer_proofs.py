"""Deprecated: this module is now :mod:`linop.symbolic.layer_checks`."""

from ..deprecation import moved_module

__getattr__ = moved_module(__name__, "linop.symbolic.layer_checks")
