"""Empty in, correctly shaped empty out: empty batches and zero-column matmat through every operator."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse.linalg import aslinearoperator

import linop
from linop.testing.strategies import conv_configs
from tests.support.reliability_operators import KINDS, build, random_input

SMALL = dict(max_size=5, max_channels=3, ndims=(1, 2))


@settings(max_examples=60, deadline=None)
@given(config=conv_configs(**SMALL), kind=st.sampled_from(KINDS), lead=st.sampled_from([(0,), (3, 0), (0, 2)]))
def test_an_empty_batch_gives_an_empty_result_of_the_right_shape_and_dtype(config, kind, lead):
    op = build(kind, config)
    full_forward = op.apply(random_input(op, 0))
    full_adjoint = op.apply_adjoint(random_input(op, 1, adjoint=True))
    forward = op.apply(np.zeros(lead + op.input_shape, dtype=op.dtype))
    adjoint = op.apply_adjoint(np.zeros(lead + op.output_shape, dtype=op.dtype))
    assert forward.shape == lead + op.output_shape and forward.dtype == full_forward.dtype
    assert adjoint.shape == lead + op.input_shape and adjoint.dtype == full_adjoint.dtype


@settings(max_examples=30, deadline=None)
@given(config=conv_configs(**SMALL), kind=st.sampled_from(KINDS))
def test_matmat_with_zero_columns_is_shaped_like_scipys_own_operators(config, kind):
    op = build(kind, config)
    m, n = op.shape
    reference = aslinearoperator(np.ones((m, n), dtype=op.dtype))
    assert op.matmat(np.zeros((n, 0))).shape == reference.matmat(np.zeros((n, 0))).shape == (m, 0)
    assert op.rmatmat(np.zeros((m, 0))).shape == reference.rmatmat(np.zeros((m, 0))).shape == (n, 0)
    assert (op @ np.zeros((n, 0))).shape == (m, 0)
    assert op.H.matmat(np.zeros((m, 0))).shape == (n, 0)


def test_a_kernel_operator_takes_an_empty_batch_of_kernels():
    K = linop.KernelConvolution(np.ones((8, 2)), (3, 2, 4))
    assert K.apply(np.zeros((0, 3, 2, 4))).shape == (0, 6, 4)
    assert K.apply_adjoint(np.zeros((0, 6, 4))).shape == (0, 3, 2, 4)
