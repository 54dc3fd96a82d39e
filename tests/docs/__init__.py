"""Tests of the documentation: README, guide and docstring examples run; the site builds; the docs extra suffices."""
