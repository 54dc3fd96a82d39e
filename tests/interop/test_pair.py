"""A pair of functions ``(forward, adjoint)`` in linop.verify, on NumPy, torch and JAX arrays."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest
import torch

import linop
from linop.interop.pair import PairOperator, from_pair

KERNEL = np.array([1.0, -2.0, 0.5])


def _correlate(x):
    return np.convolve(x, KERNEL[::-1], mode="valid")


def _correlate_adjoint(y):
    return np.convolve(y, KERNEL, mode="full")


def test_a_numpy_pair_verifies_in_one_line():
    report = linop.verify((_correlate, _correlate_adjoint), input_shape=10, seed=0)
    assert report.passed, report
    assert report.output_shape == (8,)


def test_the_classic_mistake_in_a_numpy_pair_is_caught_with_the_entry_named():
    report = linop.verify((_correlate, lambda y: np.convolve(y, KERNEL[::-1], mode="full")), input_shape=10, seed=0)
    assert "A[0, 0] = 1 but A^H[0, 0] = 0.5 (should be its conjugate)" in report["matrix"].message
    assert report["probes"].details["entry"]["row"] in range(8)


def test_a_torch_pair_is_recognised_by_its_dtype():
    A = from_pair(torch.fft.fft, lambda y: torch.fft.ifft(y) * 6, 6, dtype=torch.complex128)
    assert A.arrays == "torch" and linop.verify(A, seed=0).passed


def test_a_torch_pair_is_found_without_a_dtype_when_numpy_arrays_fail():
    A = from_pair(lambda x: x.flip(0), lambda y: y.flip(0), 4)
    assert A.arrays == "torch" and A.dtype == np.dtype("float32")


def test_a_jax_pair_with_a_wrong_adjoint_is_caught():
    wrong = linop.verify((jnp.fft.fft, lambda y: jnp.fft.ifft(y)), input_shape=4, dtype="complex64", seed=0)
    assert not wrong["matrix"].passed
    right = linop.verify((jnp.fft.fft, lambda y: jnp.fft.ifft(y) * 4), input_shape=4, dtype="complex64", seed=0)
    assert right.passed, right


def test_the_input_shape_is_required():
    with pytest.raises(ValueError, match="a pair .forward, adjoint. of functions does not tell the shape"):
        linop.verify((_correlate, _correlate_adjoint))


def test_a_forward_that_fails_on_every_kind_of_array_is_refused_with_numpys_error():
    def broken(x):
        raise RuntimeError("no")

    with pytest.raises(ValueError, match="forward fails on a zero array of shape .3,. .*RuntimeError: no"):
        PairOperator(broken, broken, 3)


def test_arrays_must_be_a_known_kind():
    with pytest.raises(ValueError, match="arrays"):
        PairOperator(_correlate, _correlate_adjoint, 10, arrays="cupy")
