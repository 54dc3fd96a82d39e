"""ODL operators in linop.verify: adjoints checked in the inner products of their spaces, in one line."""

from __future__ import annotations

import numpy as np
import odl
import pytest

import linop
from linop.interop import adapt
from linop.interop.odl import OdlOperator, from_odl
from linop.verification import Space

FINE = odl.uniform_discr([0, 0], [1, 1], (8, 8))  # cell volume 1/64
COARSE = odl.uniform_discr([0, 0], [1, 1], (4, 4))  # cell volume 1/16


class BlockAverage(odl.Operator):
    """The 2 x 2 block average; its adjoint in L^2 (cell volumes h^2 -> 4 h^2) is the plain copy back."""

    def __init__(self, adjoint_factor: float = 1.0, corner_error: float = 0.0):
        super().__init__(FINE, COARSE, linear=True)
        self.adjoint_factor, self.corner_error = adjoint_factor, corner_error

    def _call(self, x):
        return np.asarray(x.asarray()).reshape(4, 2, 4, 2).mean(axis=(1, 3))

    @property
    def adjoint(self):
        return CopyBack(self.adjoint_factor, self.corner_error)


class CopyBack(odl.Operator):
    def __init__(self, factor: float, corner_error: float):
        super().__init__(COARSE, FINE, linear=True)
        self.factor, self.corner_error = factor, corner_error

    def _call(self, y):
        y = np.asarray(y.asarray())
        x = self.factor * np.repeat(np.repeat(y, 2, axis=0), 2, axis=1)
        x[7, 7] += self.corner_error * y[3, 3]
        return x


def test_an_exact_operator_between_spaces_of_different_cell_volumes_passes_in_one_line():
    report = linop.verify(BlockAverage(), seed=0)
    assert report.passed, report
    spaces = report.inner_products
    assert (spaces["domain"]["weights"], spaces["range"]["weights"], spaces["source"]) == (1 / 64, 1 / 16, "detected")


def test_the_same_operator_in_euclidean_spaces_is_reported_wrong():
    report = linop.verify(BlockAverage(), domain=Space(), range=Space(), seed=0)
    assert not report["adjoint"].passed and report.inner_products["source"] == "declared"


def test_an_adjoint_missing_the_weight_factor_fails_with_the_entry_named():
    report = linop.verify(BlockAverage(adjoint_factor=0.25), seed=0)
    assert "A[0, 0] = 0.25 but A*[0, 0] = 0.25 (should be A[0, 0] w_range[0] / w_domain[0] = 1)" in (
        report["matrix"].message
    )


def test_a_wrong_corner_entry_of_the_adjoint_is_named_by_the_probes():
    report = linop.verify(BlockAverage(corner_error=0.5), checks=("probes",), seed=0)
    entry = report["probes"].details["entry"]
    assert (entry["output_index"], entry["input_index"]) == ((3, 3), (7, 7))


@pytest.mark.parametrize("pad_mode", ["constant", "symmetric", "periodic", "order0", "order1"])
def test_gradient_and_divergence_pass_with_every_pad_mode(pad_mode):
    assert linop.verify(odl.Gradient(FINE, pad_mode=pad_mode), seed=0).passed
    assert linop.verify(odl.Divergence(odl.ProductSpace(FINE, 2), pad_mode=pad_mode), seed=0).passed


def test_resampling_whose_adjoint_odl_documents_as_approximate_is_reported():
    report = linop.verify(odl.Resampling(FINE, COARSE, interp="linear"), seed=0)
    assert not report.passed and not report["matrix"].passed


def test_a_power_space_is_an_array_with_a_leading_component_axis():
    A = from_odl(odl.Gradient(FINE))
    assert (A.input_shape, A.output_shape) == ((8, 8), (2, 8, 8))
    x = np.random.default_rng(0).standard_normal((8, 8))
    expected = odl.Gradient(FINE)(FINE.element(x))
    np.testing.assert_array_equal(A.apply(x), np.stack([p.asarray() for p in expected.parts]))


def test_a_product_of_different_spaces_is_flattened_with_each_component_weighted():
    space = odl.ProductSpace(COARSE, odl.rn(3))
    A = from_odl(odl.ComponentProjection(space, 1))
    weights = A.inner_product_spaces["domain"]["weights"]
    assert A.input_shape == (19,) and weights.shape == (19,)
    np.testing.assert_array_equal(weights, np.r_[np.full(16, 1 / 16), np.ones(3)])
    assert linop.verify(A, seed=0).passed


def test_complex_and_real_odl_spaces_give_a_real_linear_check_of_a_fourier_transform():
    report = linop.verify(odl.trafos.FourierTransform(odl.uniform_discr(-1, 1, 8)), checks="linearity", seed=0)
    assert report.passed and report.inner_products["scalars"] == "real"
    assert report.inner_products["domain"]["real"] and not report.inner_products["range"]["real"]


def test_adapt_recognises_an_odl_operator_by_its_module_and_refuses_shapes():
    assert isinstance(adapt(odl.IdentityOperator(COARSE)), OdlOperator)
    with pytest.raises(ValueError, match="an ODL operator's spaces give its shapes and dtype"):
        linop.verify(odl.IdentityOperator(COARSE), input_shape=(4, 4))


def test_a_space_without_an_inner_product_is_refused_by_name():
    space = odl.uniform_discr(0, 1, 4, exponent=1.0)
    with pytest.raises(ValueError, match="exponent 1.0: it defines a norm but no inner product"):
        from_odl(odl.IdentityOperator(space))


def test_from_odl_refuses_other_objects():
    with pytest.raises(TypeError, match="op must be an odl.Operator; got list"):
        from_odl([1, 2])
