"""Hypothesis strategies for chunked axes: random chunkings of a shape, random axis geometries to chunk."""

from __future__ import annotations

from hypothesis import strategies as st

from linop.geometry import AxisGeometry


@st.composite
def axis_chunks(draw, n: int) -> tuple[int, ...]:
    """A random partition of an axis of length ``n`` into chunks (uneven, as small as 1)."""
    cuts = draw(st.sets(st.integers(1, n - 1), max_size=min(n - 1, 5))) if n > 1 else set()
    bounds = [0, *sorted(cuts), n]
    return tuple(b - a for a, b in zip(bounds, bounds[1:]))


def chunkings(shape: tuple[int, ...]):
    """One random partition per axis of ``shape``."""
    return st.tuples(*(axis_chunks(n) for n in shape))


@st.composite
def axes(draw, max_n: int = 14) -> AxisGeometry:
    """A valid AxisGeometry, negative low padding (an offset, as Subsample uses) included."""
    k, s, d = draw(st.integers(1, 4)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    lo = draw(st.integers(-2, 4))
    hi = draw(st.integers(0, 4))
    n = draw(st.integers(max(1, -lo + 1), max_n))
    while AxisGeometry(n, k, s, d, lo, hi).output_size < 1:
        n += 1
    return AxisGeometry(n, k, s, d, lo, hi)
