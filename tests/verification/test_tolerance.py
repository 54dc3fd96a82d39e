"""The tolerance model holds in both directions; noise is told from systematic discrepancies."""

from __future__ import annotations

import math

import numpy as np
import pytest

import linop
from linop.verification.reproducibility import REROLLS, is_reproducible, perturb
from linop.verification.tolerance import (
    SAFETY_FACTOR,
    machine_epsilon,
    relative_tolerance,
    vector_dtype,
    working_precision,
)
from tests.support.planted_defects import ReplacedAdjoint


def test_tolerance_is_safety_factor_times_eps_times_root_n():
    assert relative_tolerance(np.float64, 10_000) == pytest.approx(SAFETY_FACTOR * np.finfo(np.float64).eps * 100)
    assert relative_tolerance(np.complex64, 1) == pytest.approx(SAFETY_FACTOR * np.finfo(np.float32).eps)


def test_explicit_rtol_overrides_the_model():
    assert relative_tolerance(np.float32, 10**6, rtol=1e-9) == 1e-9


def test_working_precision_is_the_least_precise_inexact_dtype():
    assert working_precision(np.float64, np.complex64, np.int64, None) == np.complex64
    assert working_precision(np.int32) == np.float64


@pytest.mark.parametrize(
    "dtype, expected",
    [
        (np.int16, np.float64),
        (np.bool_, np.float64),
        (np.float32, np.float32),
        (np.complex64, np.complex64),
        (None, np.float64),
    ],
)
def test_vector_dtype(dtype, expected):
    assert vector_dtype(dtype) == expected


def test_machine_epsilon_of_complex_is_that_of_its_parts():
    assert machine_epsilon(np.complex128) == np.finfo(np.float64).eps


@pytest.mark.parametrize("shape", [(16,), (64, 64), (512, 512)])
@pytest.mark.parametrize("boundary", ["constant", "reflect", "wrap"])
def test_correct_float32_convolutions_pass_the_dot_test(shape, boundary):
    kernel = np.random.default_rng(0).standard_normal((5,) * len(shape)).astype(np.float32)
    A = linop.Convolution(kernel, shape, padding="same", boundary=boundary)
    report = linop.verify(A, checks=("adjoint", "probes"), seed=1)
    assert report.passed, str(report)
    assert report["adjoint"].error < report["adjoint"].tolerance / 10


@pytest.mark.parametrize("n", [10, 1000, 100_000])
def test_relative_adjoint_error_of_1e4_in_float64_fails_at_every_size(n):
    A = linop.Convolution(np.random.default_rng(1).standard_normal(7), (n,), padding="same")
    wrong = ReplacedAdjoint(A, lambda y: (1 + 1e-4) * A._backward(y), "adjoint off by 1e-4")
    for seed in range(3):
        assert linop.verify(wrong, checks="adjoint", seed=seed)["adjoint"].status == "failed"


@pytest.mark.parametrize("factor", [-1.0, 1e6, -1e-6, 0.0])
def test_dot_test_error_stays_in_zero_one_for_any_defect(factor):
    A = linop.Convolution(np.arange(1.0, 4.0), (9,))
    wrong = ReplacedAdjoint(A, lambda y: factor * A._backward(y), f"adjoint times {factor}")
    for seed in range(5):
        error = linop.verify(wrong, checks="adjoint", seed=seed)["adjoint"].error
        assert 0.0 < error <= 1.0


def test_perturb_keeps_dtype_zeros_and_stays_within_root_eps():
    rng = np.random.default_rng(0)
    for dtype in (np.float32, np.float64, np.complex64, np.complex128):
        v = np.array([0.0, 1.0, -3.0, 0.0, 2.5], dtype=dtype)
        w = perturb(v, rng)
        assert w.dtype == v.dtype
        assert np.all(w[v == 0] == 0)
        bound = 2 * math.sqrt(np.finfo(dtype).eps)
        assert np.all(np.abs(w - v) <= bound * np.abs(v))
        assert np.any(w != v)


def test_systematic_discrepancy_is_reproducible():
    assert is_reproducible(1.0, [1.01, 0.99, 1.2])
    assert is_reproducible(np.array([1.0, 2.0]), [np.array([1.0, 2.1])] * REROLLS)


def test_noise_is_not_reproducible():
    assert not is_reproducible(1.0, [1.01, -0.5, 1.0])
    assert not is_reproducible(1e-15, [3e-15])


def test_independent_noise_is_rarely_taken_for_a_systematic_discrepancy():
    rng = np.random.default_rng(0)
    draws = rng.standard_normal((20_000, REROLLS + 1))
    mistaken = sum(is_reproducible(row[0], list(row[1:])) for row in draws)
    assert mistaken / len(draws) < 2e-3


def test_rounding_noise_of_cancelling_entries_is_not_a_false_alarm():
    # Six taps of a 2 x 3 kernel folded onto a single pixel by wrap padding sum to 0.5% of their size:
    # every entry of the operator carries a rounding error far above eps relative to itself.
    kernel = np.array([[0.2191898, 0.26550811, -0.80671353], [0.80907241, 0.32146255, -0.82473135]])
    A = linop.Convolution(
        kernel[:, :, None], (1, 1, 1), stride=(1, 1, 3), padding=2, dilation=(2, 2, 1), boundary="wrap"
    )
    for seed in range(20):
        assert linop.verify(A, checks=("linearity", "adjoint", "matrix", "probes"), seed=seed).passed
