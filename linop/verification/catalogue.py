"""Deprecated: this module is now :mod:`linop.verification.builtin`."""

from ..deprecation import moved_module

__getattr__ = moved_module(__name__, "linop.verification.builtin")
