"""Tests of linop.solvers: the array-API Krylov solvers against scipy's."""
