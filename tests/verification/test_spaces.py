"""``linop.verify`` in an operator's own spaces: weighted inner products, Gram operators, real-linear maps."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.sparse.linalg import LinearOperator, aslinearoperator

import linop
from linop.verification import Space
from tests.support.space_operators import SpaceCase, random_matrix, random_space


def _block_average(copy_factor: float = 1.0, dtype=np.float64) -> LinearOperator:
    """The 2 x 2 block average of an 8 x 8 grid, whose adjoint between cell volumes h^2 and 4 h^2 is the copy back."""

    def average(x):
        return np.asarray(x).reshape(4, 2, 4, 2).mean(axis=(1, 3)).ravel()

    def copy_back(y):
        return copy_factor * np.repeat(np.repeat(np.asarray(y).reshape(4, 4), 2, axis=0), 2, axis=1).ravel()

    return LinearOperator((16, 64), matvec=average, rmatvec=copy_back, dtype=dtype)


FINE, COARSE = Space(weights=1 / 64), Space(weights=4 / 64)


# -- weighted inner products ----------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_block_average_between_cell_volumes_passes_in_its_weighted_spaces(dtype):
    report = linop.verify(_block_average(dtype=dtype), domain=FINE, range=COARSE, seed=0)
    assert report.passed, report
    assert report["adjoint"].message.startswith("<Ax, y>_W = <x, A* y>_W")


def test_block_average_fails_in_euclidean_spaces():
    report = linop.verify(_block_average(), seed=0)
    assert not report["adjoint"].passed and not report["matrix"].passed


def test_wrong_weight_factor_in_the_adjoint_fails_every_adjoint_check_with_the_entry_named():
    report = linop.verify(_block_average(copy_factor=0.25), domain=FINE, range=COARSE, seed=0)
    assert [c.name for c in report.failed] == ["adjoint", "matrix", "probes"]
    assert "A[0, 0] = 0.25 but A*[0, 0] = 0.25 (should be A[0, 0] w_range[0] / w_domain[0] = 1)" in (
        report["matrix"].message
    )
    assert "should be A[" in report["probes"].message


def test_array_weights_of_the_space_shape_and_flat_weights_agree():
    rng = np.random.default_rng(0)
    B = rng.standard_normal((5, 6))
    w_dom, w_ran = rng.uniform(0.5, 2, size=6), rng.uniform(0.5, 2, size=5)
    adjoint = np.diag(1 / w_dom) @ B.T @ np.diag(w_ran)
    A = LinearOperator((5, 6), matvec=lambda x: B @ x, rmatvec=lambda y: adjoint @ y, dtype=np.float64)
    for domain in (Space(weights=w_dom), Space(weights=w_dom.reshape(6))):
        assert linop.verify(A, domain=domain, range=Space(weights=w_ran), seed=0).passed


def test_gram_operators_of_both_spaces_define_the_adjoint():
    rng = np.random.default_rng(1)
    case = SpaceCase(
        random_matrix(rng, (6, 5), True),
        random_space(rng, 5, "gram", False, True),
        random_space(rng, 6, "gram", False, True),
        np.dtype(np.complex128),
    )
    assert linop.verify(case.operator(), domain=case.domain, range=case.range, seed=0).passed
    wrong = linop.verify(case.operator(planted=(3, 2, 0.5)), domain=case.domain, range=case.range, seed=0)
    assert wrong["matrix"].details["row"] == 2 and wrong["matrix"].details["column"] == 3
    assert "(W_range A)[2, 3]" in wrong["matrix"].message


def test_a_gram_given_as_a_linear_operator_is_used_through_matmat():
    G = np.diag(np.arange(1.0, 5.0))
    B = np.arange(12.0).reshape(3, 4)
    A = LinearOperator((3, 4), matvec=lambda x: B @ x, rmatvec=lambda y: np.linalg.solve(G, B.T @ y), dtype=float)
    assert linop.verify(A, domain=Space(gram=aslinearoperator(G)), seed=0).passed


def test_a_constant_weight_can_be_given_as_a_number():
    A = _block_average()
    assert linop.verify(A, domain=1 / 64, range=4 / 64, seed=0).passed


# -- real-linear maps -------------------------------------------------------------------------------
def _rfft(n: int = 8, drop_imaginary: bool = False) -> LinearOperator:
    """``rfft`` with the bins that stand for two frequencies scaled by sqrt(2): an exact adjoint for Re<., .>."""
    m = n // 2 + 1
    scale = np.ones(m)
    scale[1 : (n + 1) // 2] = np.sqrt(2)

    def forward(x):
        return np.fft.rfft(np.ravel(x).real, norm="ortho") * scale

    def adjoint(y):
        y = np.ravel(y) / scale
        if drop_imaginary:
            y = y.real.astype(complex)
        return np.fft.irfft(y, n=n, norm="ortho")

    return LinearOperator((m, n), matvec=forward, rmatvec=adjoint, dtype=np.complex128)


def test_rfft_passes_as_a_real_linear_map_from_a_real_domain():
    report = linop.verify(_rfft(), domain=Space(real=True), seed=0)
    assert report.passed, report
    assert report["linearity"].message.startswith("additivity, homogeneity (real scalars: a real-linear map)")
    assert report["adjoint"].message.startswith("Re<Ax, y> = Re<x, A* y>")


def test_rfft_in_complex_spaces_is_not_complex_linear():
    report = linop.verify(_rfft(), seed=0)
    assert not report["linearity"].passed


def test_a_dropped_imaginary_part_in_the_adjoint_fails_with_the_part_named():
    report = linop.verify(_rfft(drop_imaginary=True), domain=Space(real=True), seed=0)
    assert not report["adjoint"].passed and not report["matrix"].passed and not report["probes"].passed
    details = report["matrix"].details
    assert details["output_part"] == "im"
    assert "im" in report["matrix"].message and "(imaginary part)" in report["matrix"].message


def test_real_part_map_passes_into_a_real_range():
    n = 5
    A = LinearOperator((n, n), matvec=lambda x: np.real(x), rmatvec=lambda y: np.asarray(y) + 0j, dtype=complex)
    assert linop.verify(A, range=Space(real=True), seed=0).passed


def test_a_map_into_a_real_range_that_returns_an_imaginary_part_fails_naming_the_space():
    A = LinearOperator((4, 4), matvec=lambda x: np.asarray(x) * 1j, rmatvec=lambda y: -1j * y, dtype=complex)
    report = linop.verify(A, range=Space(real=True), seed=0)
    assert "returned complex vectors for the real range" in report["adjoint"].message


def test_complex_conjugation_passes_when_declared_real_linear_and_fails_as_complex_linear():
    n = 4
    A = LinearOperator((n, n), matvec=np.conj, rmatvec=np.conj, dtype=complex)
    assert linop.verify(A, scalars="real", seed=0).passed
    assert not linop.verify(A, seed=0)["linearity"].passed


# -- the report -------------------------------------------------------------------------------------
def test_the_report_states_the_inner_products_in_text_and_json():
    report = linop.verify(_block_average(), domain=FINE, range=COARSE, seed=0)
    line = str(report).splitlines()[1]
    assert line == (
        "  inner products: domain real, weights w = 0.015625; range real, weights w = 0.0625; "
        "real operator, <u, v>_W (declared)"
    )
    data = json.loads(json.dumps(report.to_dict()))["inner_products"]
    assert data["domain"]["weights"] == 1 / 64 and data["range"]["weights"] == 4 / 64
    assert (data["scalars"], data["adjoint"], data["source"]) == ("real", "A*", "declared")


def test_the_default_report_states_euclidean_inner_products():
    report = linop.verify(linop.Convolution([1.0, 2.0], (5,)), checks="adjoint", seed=0)
    assert report.inner_products["text"] == "domain real, Euclidean; range real, Euclidean; real operator, <u, v>"
    assert report.inner_products["adjoint"] == "A^H"


# -- bad spaces are refused before any check runs ---------------------------------------------------
@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"domain": Space(weights=np.ones(7))}, ValueError, r"domain: weights of shape \(7,\) do not fit"),
        ({"range": Space(gram=np.eye(3))}, ValueError, r"range: the gram operator has shape \(3, 3\)"),
        ({"domain": "cells"}, TypeError, "domain must be a linop.verification.Space"),
        ({"domain": -1.0}, ValueError, "domain: weights must be finite and positive"),
        ({"domain": {"weight": 2.0}}, TypeError, "unknown Space fields"),
        ({"scalars": "quaternion"}, ValueError, "scalars must be 'real', 'complex' or None"),
        ({"domain": {"gram": np.ones((64, 2))}}, ValueError, r"domain: gram must be square; got shape \(64, 2\)"),
    ],
)
def test_spaces_that_do_not_fit_are_refused_with_the_parameter_named(kwargs, error, match):
    with pytest.raises(error, match=match):
        linop.verify(_block_average(), **kwargs)


def test_a_gram_that_is_not_positive_definite_is_refused():
    with pytest.raises(ValueError, match="not positive definite"):
        linop.verify(np.eye(2), domain=Space(gram=np.array([[1.0, 2.0], [2.0, 1.0]])))


def test_a_gram_that_is_not_hermitian_is_refused():
    with pytest.raises(ValueError, match="not Hermitian"):
        linop.verify(np.eye(2), domain=Space(gram=np.array([[2.0, 1.0], [0.0, 2.0]])))


def test_complex_scalars_are_refused_for_a_real_space():
    with pytest.raises(ValueError, match="scalars='complex' but the domain is a real space"):
        linop.verify(_rfft(), domain=Space(real=True), scalars="complex")


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"weights": 1.0, "gram": np.eye(2)}, "not both"),
        ({"weights": [1.0, 0.0]}, "finite and positive"),
        ({"weights": [1.0 + 1j]}, "real and positive"),
        ({"gram": np.eye(2) * 1j, "real": True}, "gram of a real space must be real"),
        ({"real": "yes"}, "real"),
    ],
)
def test_space_refuses_bad_fields(kwargs, match):
    with pytest.raises((TypeError, ValueError), match=match):
        Space(**kwargs)


def test_space_keeps_a_read_only_copy_of_the_weights():
    w = np.full(4, 2.0)
    space = Space(weights=w)
    w[0] = -1.0
    assert space.weights[0] == 2.0 and not space.weights.flags.writeable
