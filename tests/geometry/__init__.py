"""Tests of linop.geometry: a convolution's index arithmetic, boundary folds, block bounds, size checks."""
