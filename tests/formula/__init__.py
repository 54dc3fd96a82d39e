"""Tests of linop.formula: operators from index formulas, their derived adjoints, ranges, names and errors."""
