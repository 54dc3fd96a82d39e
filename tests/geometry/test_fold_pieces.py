"""fold_pieces: the boundary fold cut into affine stretches, against fold_index itself."""

from __future__ import annotations

import pytest

from linop.geometry import AxisGeometry, fold_index, fold_pieces

MODES = ["constant", "wrap", "reflect", "symmetric", "edge"]


@pytest.mark.parametrize("mode", MODES)
def test_pieces_reproduce_fold_index_on_every_index(mode):
    for n in range(1, 7):
        for low in range(-13, 2):
            for high in range(max(low, -1), 14):
                pieces = fold_pieces(n, mode, low, high)
                covered = [i for p in pieces for i in range(p.first, p.last + 1)]
                expected = [i for i in range(low, high + 1) if mode != "constant" or 0 <= i < n]
                assert covered == expected, (n, low, high, pieces)
                for p in pieces:
                    for i in range(p.first, p.last + 1):
                        assert p(i) == int(fold_index(i, n, mode)), (n, mode, i, p)


@pytest.mark.parametrize("mode", ["wrap", "reflect", "symmetric", "edge"])
def test_interior_is_a_single_identity_piece(mode):
    pieces = fold_pieces(5, mode, -4, 8)
    interior = [p for p in pieces if p.first == 0]
    assert len(interior) == 1 and (interior[0].last, interior[0].sign, interior[0].offset) == (4, 1, 0)


def test_constant_mode_has_no_pieces_outside_the_axis():
    assert [(p.first, p.last) for p in fold_pieces(4, "constant", -3, 6)] == [(0, 3)]


def test_aliases_are_accepted():
    assert fold_pieces(4, "circular", -2, 5) == fold_pieces(4, "wrap", -2, 5)


@pytest.mark.parametrize("bad", [dict(n=0, boundary="wrap", low=0, high=1), dict(n=3, boundary="wrap", low=2, high=1)])
def test_invalid_arguments_raise(bad):
    with pytest.raises(ValueError):
        fold_pieces(**bad)


def test_index_range_is_the_span_of_the_index_map():
    ax = AxisGeometry(n=9, k=3, stride=2, dilation=2, pad_low=2, pad_high=1)
    reads = [ax.stride * j + ax.dilation * t - ax.pad_low for j in range(ax.output_size) for t in range(ax.k)]
    assert ax.index_range() == (min(reads), max(reads))


def test_transposed_padding_returns_the_padded_length():
    for n, k, s, d, lo, hi in [(7, 3, 2, 1, 0, 0), (10, 3, 3, 2, 1, 2), (5, 2, 2, 1, 1, 0)]:
        ax = AxisGeometry(n, k, s, d, lo, hi)
        p_lo, p_hi = ax.transposed_padding
        # a stride-1 correlation of the zero-inserted output, dilation d, padded by (p_lo, p_hi)
        assert ax.zero_inserted_size + p_lo + p_hi - d * (k - 1) == ax.padded_size
        assert p_lo == d * (k - 1)
