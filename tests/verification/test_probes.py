"""Where the probes look: corners, edges, high-side ends, channels; how they name a position."""

from __future__ import annotations

import math

import numpy as np

from linop.verification.probes import RANDOM_POSITIONS, hot_positions, position_label


def _positions(shape, seed=0):
    flat = hot_positions(shape, np.random.default_rng(seed))
    return {tuple(int(v) for v in idx) for idx in zip(*np.unravel_index(flat, shape))}


def test_every_corner_and_its_neighbours_are_probed():
    got = _positions((20, 30))
    for i in (0, 1, 18, 19):
        for j in (0, 1, 28, 29):
            assert (i, j) in got


def test_high_side_end_of_every_axis_is_probed():
    got = _positions((50, 40, 30))
    for axis, n in enumerate((50, 40, 30)):
        assert any(
            p[axis] == n - 1 and all(0 < p[b] < m - 2 for b, m in enumerate((50, 40, 30)) if b != axis) for p in got
        )


def test_every_channel_of_a_short_last_axis_is_probed_at_both_extreme_corners():
    got = _positions((10, 10, 7))
    for c in range(7):
        assert (0, 0, c) in got and (9, 9, c) in got


def test_flat_operators_are_probed_at_both_ends_and_at_random():
    got = _positions((1000,))
    assert {0, 1, 998, 999} <= {p[0] for p in got}
    assert len(got) >= 4 + RANDOM_POSITIONS // 2


def test_positions_are_unique_sorted_and_in_range():
    flat = hot_positions((5, 4, 3, 2), np.random.default_rng(1))
    assert np.all(np.diff(flat) > 0)
    assert flat.min() >= 0 and flat.max() < math.prod((5, 4, 3, 2))


def test_tiny_shapes_are_probed_everywhere():
    assert _positions((1,)) == {(0,)}
    assert _positions((2, 2)) == {(0, 0), (0, 1), (1, 0), (1, 1)}


def test_high_dimensional_corner_block_is_capped_but_keeps_the_extreme_corners():
    shape = (5,) * 6
    got = _positions(shape)
    assert len(got) < 4**6
    assert (0,) * 6 in got and (4,) * 6 in got


def test_position_labels():
    assert position_label((0, 0), (10, 10)) == "corner"
    assert position_label((9, 5), (10, 10)) == "high-side end of axis 0"
    assert position_label((5, 0), (10, 10)) == "low edge of axis 1"
    assert position_label((5, 5), (10, 10)) == "interior"
    assert position_label((99,), (100,)) == "high end"
    assert position_label((0,), (100,)) == "low end"
