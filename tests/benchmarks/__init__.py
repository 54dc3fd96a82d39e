"""Smoke runs of the scripts in benchmarks/ (quick mode)."""
