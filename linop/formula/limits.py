"""How much work a formula may ask for: every limit is checked, with a located error, before the work.

Nothing here imports anything: ``linop.formula`` re-exports the limits without loading SymPy.
"""

from __future__ import annotations

__all__ = [
    "MAX_DEPTH",
    "MAX_ENTRIES",
    "MAX_FACTORS",
    "MAX_NESTING",
    "MAX_POWER_BITS",
    "MAX_STEPS",
    "MAX_TERMS",
    "MAX_VARIABLES",
]

#: Deepest nesting of brackets, parentheses, sums, signs and powers inside one another.
MAX_NESTING = 40
#: Most factors of one product (``a * b * c`` or juxtaposed brackets).
MAX_FACTORS = 50
#: Deepest syntax tree (a flat sum of terms counts as one level).
MAX_DEPTH = 100
#: Largest exact power, in bits of its value (``2**4096``; a float64 coefficient needs at most 1024).
MAX_POWER_BITS = 4096
#: Most terms (products that read the input) a formula expands to.
MAX_TERMS = 2000
#: Most index variables (output variables and summation variables) of one term.
MAX_VARIABLES = 12
#: Most entries of the input or the output of a formula operator, and most values of one index
#: variable (2**28: 2 GiB of float64).
MAX_ENTRIES = 1 << 28
#: Most steps (values of the unrolled variables) one term may compile to (each costs tens of
#: microseconds to emit and to run).
MAX_STEPS = 10_000
