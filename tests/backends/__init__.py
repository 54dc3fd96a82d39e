"""Tests of linop.backends: the numeric kernels, the planner, caches, workspace, non-finite data, huge dilations."""
