"""Tests of linop.operators: the convolution family against brute force, building blocks, pickling, edge inputs."""
