"""Tests of linop.verification and linop.testing: checks, report, tolerance model, assertions, strategies."""
