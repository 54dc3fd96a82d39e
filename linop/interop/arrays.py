"""Deprecated: :func:`apply_foreign` lives in :mod:`linop.interop.foreign`."""

from ..deprecation import moved_names

__getattr__ = moved_names(__name__, {"apply_foreign": "linop.interop.foreign:apply_foreign"})
