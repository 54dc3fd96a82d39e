"""Deprecated: this module is now :mod:`linop.demos.findings`."""

from ..deprecation import moved_module

__getattr__ = moved_module(__name__, "linop.demos.findings")
