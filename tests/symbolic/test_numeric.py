"""The derived formulas, lambdified, against the numeric operators on random configurations of every option."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings

import linop
from linop import symbolic
from tests.support.symbolic_strategies import small_configs


def _random(rng, shape):
    return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)


@settings(max_examples=30, deadline=None)
@given(small_configs())
def test_lambdified_adjoint_formula_agrees_with_the_numeric_adjoint(config):
    kernel_shape, input_shape, kw, seed = config
    rng = np.random.default_rng(seed)
    kernel = _random(rng, kernel_shape)
    numeric = linop.Convolution(kernel, input_shape, **kw)
    exact = symbolic.Convolution(input_shape=input_shape, kernel_shape=kernel_shape, **kw)
    y = _random(rng, numeric.output_shape)
    derived = symbolic.lambdify_formula(exact.adjoint_formula)(y, k=kernel)
    np.testing.assert_allclose(derived, numeric.H.apply(y), rtol=1e-12, atol=1e-12)


@settings(max_examples=15, deadline=None)
@given(small_configs())
def test_lambdified_forward_formula_agrees_with_the_numeric_operator(config):
    kernel_shape, input_shape, kw, seed = config
    rng = np.random.default_rng(seed)
    kernel = _random(rng, kernel_shape)
    numeric = linop.Convolution(kernel, input_shape, **kw)
    exact = symbolic.Convolution(input_shape=input_shape, kernel_shape=kernel_shape, **kw)
    x = _random(rng, input_shape)
    forward = symbolic.lambdify_formula(exact.forward_formula)(x, k=kernel)
    np.testing.assert_allclose(forward, numeric.apply(x), rtol=1e-12, atol=1e-12)


@settings(max_examples=15, deadline=None)
@given(small_configs())
def test_derived_formula_equals_the_conjugate_transpose_exactly(config):
    kernel_shape, input_shape, kw, _ = config
    exact = symbolic.Convolution(input_shape=input_shape, kernel_shape=kernel_shape, **kw)
    result = exact.check_adjoint_formula()
    assert result.holds, result.text()
    identity = exact.check_adjoint_identity()
    assert identity.holds, identity.text()


def test_three_dimensional_grouped_layer_agrees_with_the_numeric_adjoint():
    rng = np.random.default_rng(3)
    kw = dict(
        stride=(2, 1, 2),
        dilation=(1, 2, 1),
        padding=[(1, 0), (2, 1), (0, 1)],
        groups=2,
        boundary="symmetric",
        flip=True,
    )
    kernel = _random(rng, (2, 2, 3, 1, 4))
    numeric = linop.Convolution(kernel, (4, 5, 3, 2), **kw)
    exact = symbolic.Convolution(input_shape=(4, 5, 3, 2), kernel_shape=kernel.shape, **kw)
    y = _random(rng, numeric.output_shape)
    derived = symbolic.lambdify_formula(exact.adjoint_formula)(y, k=kernel)
    np.testing.assert_allclose(derived, numeric.H.apply(y), rtol=1e-12, atol=1e-12)


def test_lambdified_formula_refuses_out_of_range_reads_instead_of_wrapping():
    import dataclasses

    import pytest

    exact = symbolic.Convolution(input_shape=7, kernel_shape=3, stride=2)
    (term,) = exact.adjoint_formula.terms
    ((j, lo, hi),) = term.sums
    wrong = dataclasses.replace(exact.adjoint_formula, terms=(dataclasses.replace(term, sums=((j, lo - 1, hi),)),))
    with pytest.raises(IndexError, match="shape"):
        symbolic.lambdify_formula(wrong)(np.ones(3), k=np.ones(3))
