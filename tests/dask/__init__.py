"""Tests of linop.dask: operators on Dask arrays, their blocks and halos, validation, subclasses, a real cluster."""
