"""Tests of linop.interop: PyTorch, JAX, PyLops and array-API arrays in and out of linop."""
