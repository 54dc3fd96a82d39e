"""``linop.testing``: assertions that raise with the report's message, strategies that only draw valid operators."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st

import linop
from linop.testing import assert_adjoint, assert_linear, assert_shape_reversal, assert_verified, strategies
from tests.support import planted_defects as defects
from tests.support.brute_force import brute_force_conv

SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# -- assertions -------------------------------------------------------------------------
def test_assertions_pass_on_a_correct_operator_and_return_the_report():
    A = linop.Convolution([0.5, 1.0, 0.5], (7,), stride=2)
    assert assert_adjoint(A, seed=0).passed
    assert assert_linear(A, seed=0).names == ("linearity",)
    assert assert_shape_reversal(A, seed=0).names == ("shapes",)
    assert assert_verified(A, seed=0).passed


def test_assert_adjoint_names_the_worst_entry():
    with pytest.raises(AssertionError, match=r"the adjoint is wrong") as info:
        assert_adjoint(defects.wrong_corner_of_adjoint(shape=(6, 5)), seed=0)
    assert "[matrix] A and A^H disagree at 1 of 900 entries; worst at row 0, column 0" in str(info.value)


def test_assert_linear_reports_the_affine_map():
    with pytest.raises(AssertionError, match=r"\[linearity\] A is not linear: A 0 != 0"):
        assert_linear(defects.with_bias(), seed=0)


def test_assert_shape_reversal_reports_the_short_adjoint():
    with pytest.raises(AssertionError, match=r"\[shapes\] A\^H y \(rmatvec\)"):
        assert_shape_reversal(defects.adjoint_one_sample_short(), seed=0)


def test_assert_verified_lists_every_failed_check():
    with pytest.raises(AssertionError) as info:
        assert_verified(defects.scaled_adjoint(), seed=0)
    for name in ("adjoint", "matrix", "probes"):
        assert f"[{name}]" in str(info.value)


def test_assert_verified_accepts_a_check_selection():
    assert_verified(defects.writes_into_input(), checks=("adjoint", "linearity"), seed=0)
    with pytest.raises(AssertionError, match="purity"):
        assert_verified(defects.writes_into_input(), checks="purity", seed=0)


# -- strategies -------------------------------------------------------------------------
@settings(max_examples=300, **SETTINGS)
@given(strategies.conv_configs())
def test_conv_configs_always_build_an_operator_of_the_drawn_kind(config):
    A = config.build()
    assert A.dtype == config.dtype
    assert A.input_shape == config.input_shape
    assert A.kernel.shape == config.kernel_shape
    assert A.boundary == linop.geometry.canonical_boundary(config.boundary)
    assert A.flip == config.flip and A.groups == config.groups


@settings(max_examples=60, **SETTINGS)
@given(strategies.conv_configs(max_size=5, max_kernel=3, max_channels=2), st.integers(0, 2**32 - 1))
def test_drawn_convolutions_match_the_brute_force_sum(config, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(config.input_shape).astype(config.dtype)
    kw = {k: v for k, v in config.keywords.items() if k != "method"}
    expected = brute_force_conv(x, config.kernel, **{**kw, "padding": _brute_force_padding(config.padding)})
    tol = 1e-4 if config.dtype in (np.float32, np.complex64) else 1e-10
    np.testing.assert_allclose(config.build().apply(x), expected, rtol=tol, atol=tol)


def _brute_force_padding(padding):
    """brute_force resolves names and ints itself; sequences become per-axis pairs."""
    if isinstance(padding, (str, int)):
        return padding
    return [p if isinstance(p, int) else tuple(p) for p in padding]


COVERAGE = {
    "1-D": lambda c: len(c.input_shape) == 1,
    "3-D with channels": lambda c: len(c.kernel_shape) == 5,
    "single channel 3-D": lambda c: len(c.kernel_shape) == 3 and len(c.input_shape) == 3,
    "groups": lambda c: c.groups > 1,
    "depthwise": lambda c: c.groups > 1 and c.kernel_shape[-2] == 1 and c.groups == c.input_shape[-1],
    "stride per axis": lambda c: isinstance(c.stride, tuple) and len(set(c.stride)) > 1,
    "stride as int": lambda c: isinstance(c.stride, int) and c.stride > 1,
    "dilation": lambda c: (c.dilation if isinstance(c.dilation, int) else max(c.dilation)) > 1,
    "padding same": lambda c: c.padding == "same",
    "padding full": lambda c: c.padding == "full",
    "padding valid": lambda c: c.padding == "valid",
    "padding int": lambda c: isinstance(c.padding, int) and c.padding > 0,
    "padding pairs": lambda c: (
        isinstance(c.padding, (list, tuple)) and any(isinstance(p, tuple) and p[0] != p[1] for p in c.padding)
    ),
    "padding mixed": lambda c: (
        isinstance(c.padding, (list, tuple))
        and any(isinstance(p, int) for p in c.padding)
        and any(isinstance(p, tuple) for p in c.padding)
    ),
    "flip": lambda c: c.flip,
    **{f"boundary {b}": (lambda c, b=b: c.boundary == b) for b in strategies.BOUNDARIES},
    **{f"dtype {d}": (lambda c, d=d: c.dtype == np.dtype(d)) for d in strategies.DTYPES},
}


@pytest.mark.parametrize("condition", COVERAGE.values(), ids=COVERAGE.keys())
def test_conv_configs_reach_every_keyword(condition):
    example = find(
        strategies.conv_configs(),
        condition,
        settings=settings(max_examples=2000, phases=[Phase.generate], database=None, **SETTINGS),
    )
    example.build()


@pytest.mark.parametrize("boundary", ["reflect", "symmetric"])
@settings(max_examples=100, **SETTINGS)
@given(data=st.data())
def test_pads_never_exceed_what_the_boundary_allows(boundary, data):
    config = data.draw(strategies.conv_configs(boundaries=(boundary,), paddings=("full", "pairs"), max_pad=4))
    A = config.build()
    for n, (lo, hi) in zip(A.geometry.input_size, A.padding):
        assert max(lo, hi) <= (n - 1 if boundary == "reflect" else n)


@pytest.mark.parametrize(
    "bounds, match",
    [
        (dict(max_size=0), "max_size"),
        (dict(max_pad=-1), "max_pad"),
        (dict(paddings=("circular",)), "paddings"),
        (dict(boundaries=("mirror",)), "boundary"),
        (dict(dtypes=("int32",)), "dtypes"),
        (dict(methods=("gpu",)), "method"),
        (dict(ndims=(0,)), "ndims"),
        (dict(dtypes=()), "dtypes"),
    ],
)
def test_conv_configs_reject_bad_arguments_when_called(bounds, match):
    with pytest.raises(ValueError, match=match):
        strategies.conv_configs(**bounds)


@settings(max_examples=30, **SETTINGS)
@given(strategies.convolutions(max_size=5), st.data())
def test_vectors_for_draws_finite_arrays_of_both_spaces(A, data):
    x = data.draw(strategies.vectors_for(A))
    y = data.draw(strategies.vectors_for(A, adjoint=True))
    assert x.shape == A.input_shape and y.shape == A.output_shape
    assert x.dtype == A.dtype == y.dtype
    assert np.all(np.isfinite(x)) and np.all(np.isfinite(y))
    assert A.apply(x).shape == A.output_shape


@settings(max_examples=10, **SETTINGS)
@given(st.data())
def test_vectors_for_a_plain_linear_operator_are_flat(data):
    from scipy.sparse.linalg import aslinearoperator

    op = aslinearoperator(np.ones((3, 5), dtype=np.complex64))
    x = data.draw(strategies.vectors_for(op))
    assert x.shape == (5,) and x.dtype == np.complex64


def test_vectors_for_rejects_non_operators():
    with pytest.raises(TypeError, match="op must be"):
        strategies.vectors_for([1, 2, 3])
