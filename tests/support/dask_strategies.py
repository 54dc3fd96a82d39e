"""Hypothesis strategies shared by the Dask tests: random chunkings of a shape."""

from __future__ import annotations

from hypothesis import strategies as st


@st.composite
def axis_chunks(draw, n: int) -> tuple[int, ...]:
    """A random partition of an axis of length ``n`` into chunks (uneven, as small as 1)."""
    cuts = draw(st.sets(st.integers(1, n - 1), max_size=min(n - 1, 5))) if n > 1 else set()
    bounds = [0, *sorted(cuts), n]
    return tuple(b - a for a, b in zip(bounds, bounds[1:]))


def chunkings(shape: tuple[int, ...]):
    """One random partition per axis of ``shape``."""
    return st.tuples(*(axis_chunks(n) for n in shape))
