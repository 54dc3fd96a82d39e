"""Deprecated: this module is now :mod:`linop.backends.reaching_taps`."""

from ..deprecation import moved_module

__getattr__ = moved_module(__name__, "linop.backends.reaching_taps")
