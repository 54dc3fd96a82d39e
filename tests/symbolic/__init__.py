"""Tests of linop.symbolic: symbolic matrices, derived adjoints, exact checks, and the proof scripts in proofs/."""
