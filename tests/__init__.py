"""linop's test suite: one directory per package of linop, shared helpers in :mod:`tests.support`."""
