"""The halo plan of a block (linop.dask.halo): it reads exactly the folded input indices, against brute force."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from linop.dask.halo import axis_read
from linop.geometry import block_bounds, block_input_range, fold_index
from tests.support.dask_strategies import axes, axis_chunks

MODES = ["constant", "wrap", "reflect", "symmetric", "edge"]


@settings(max_examples=60)
@given(axes(), st.sampled_from(MODES), st.data())
def test_axis_read_gathers_exactly_the_folded_indices(ax, mode, data):
    bounds = block_bounds(data.draw(axis_chunks(ax.n)))
    lo = data.draw(st.integers(0, ax.output_size - 1))
    hi = data.draw(st.integers(lo + 1, ax.output_size))
    read = axis_read(ax, mode, bounds, lo, hi)
    gathered = []
    for s in read.stretches:
        idx = list(range(bounds[s.chunk] + s.start, bounds[s.chunk] + s.stop))
        gathered += idx[::-1] if s.how == "reverse" else idx * s.length if s.how == "repeat" else idx
    start, stop = block_input_range(ax, lo, hi)
    folded = [int(i) for i in fold_index(np.arange(start, stop), ax.n, mode)]
    if mode == "constant":
        inside = [i for i in folded if i >= 0]
        assert gathered == inside
        assert read.zeros[0] + len(inside) + read.zeros[1] == stop - start
        assert folded == [-1] * read.zeros[0] + inside + [-1] * read.zeros[1]
    else:
        assert gathered == folded and read.zeros == (0, 0)
