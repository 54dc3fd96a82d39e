"""Block geometry of a chunked axis (linop.geometry): which outputs and inputs each block owns, against brute force."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from linop.geometry import (
    AxisGeometry,
    block_bounds,
    block_input_range,
    input_block_bounds,
    output_block_bounds,
    window_centre,
)
from tests.support.dask_strategies import axes, axis_chunks


@given(axes(), st.data())
def test_output_blocks_own_the_outputs_whose_window_centre_lies_in_their_input_chunk(ax, data):
    bounds = block_bounds(data.draw(axis_chunks(ax.n)))
    out = output_block_bounds(ax, bounds)
    assert out[0] == 0 and out[-1] == ax.output_size and all(a < b for a, b in zip(out, out[1:]))
    owner = [
        int(np.clip(np.searchsorted(bounds, window_centre(ax, j), side="right") - 1, 0, len(bounds) - 2))
        for j in range(ax.output_size)
    ]
    for lo, hi in zip(out, out[1:]):
        assert len(set(owner[lo:hi])) == 1  # one input chunk per output block
    assert len({owner[lo] for lo in out[:-1]}) == len(out) - 1  # and a different one for each block


@given(axes(), st.data())
def test_input_blocks_start_at_the_window_centre_of_their_first_output(ax, data):
    out = block_bounds(data.draw(axis_chunks(ax.output_size)))
    inp = input_block_bounds(ax, out)
    assert inp[0] == 0 and inp[-1] == ax.n and all(a < b for a, b in zip(inp, inp[1:]))
    centres = {min(max(window_centre(ax, q), 0), ax.n) for q in out[1:-1]}
    assert set(inp[1:-1]) == centres - {0, ax.n}


@given(axes(), st.data())
def test_block_input_range_spans_every_index_the_block_reads(ax, data):
    lo = data.draw(st.integers(0, ax.output_size - 1))
    hi = data.draw(st.integers(lo + 1, ax.output_size))
    reads = ax.input_index(np.arange(lo, hi)[:, None], np.arange(ax.k)[None, :])
    assert block_input_range(ax, lo, hi) == (reads.min(), reads.max() + 1)


def test_same_convolution_at_stride_one_keeps_the_chunks():
    ax = AxisGeometry(n=20, k=5, pad_low=2, pad_high=2)
    assert output_block_bounds(ax, (0, 3, 11, 20)) == (0, 3, 11, 20)
    assert input_block_bounds(ax, (0, 3, 11, 20)) == (0, 3, 11, 20)


@pytest.mark.parametrize("bad", [(1, 4, 10), (0, 4, 9), (0, 4, 4, 10)])
def test_block_bounds_that_do_not_partition_the_axis_raise(bad):
    with pytest.raises(ValueError, match="input_bounds must increase strictly from 0 to 10"):
        output_block_bounds(AxisGeometry(n=10, k=3), bad)
