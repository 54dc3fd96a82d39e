"""Tests of linop.demos and linop.plot: the worked examples, their helpers and the pictures."""
