"""Empty in, correctly shaped empty out, in the backends.

Every method's kernels, the compiled adjoint, the cost model.
"""

from __future__ import annotations

import numpy as np
import pytest

import linop
from linop import backends


def test_the_compiled_adjoint_takes_an_empty_batch():
    A = linop.Convolution(np.ones((3, 2, 4)), (8, 2), padding="same", method="gemm")
    assert A.H.apply(np.zeros((0, 8, 4))).shape == (0, 8, 2)


@pytest.mark.parametrize("name", ["gemm", "fft", "direct"])
def test_every_backend_takes_an_empty_batch(name):
    A = linop.Convolution(np.ones((3, 2, 4)), (8, 2), padding="same", method=name)
    plan, w = A.plan, A._weights
    assert plan.correlate(np.zeros((0, 10, 2)), w).shape == (0, 8, 4)
    assert plan.forward(np.zeros((0, 8, 2)), w).shape == (0, 8, 4)
    assert plan.adjoint(np.zeros((0, 8, 4)), w).shape == (0, 8, 2)
    np.testing.assert_array_equal(plan.kernel_adjoint(np.zeros((0, 10, 2)), np.zeros((0, 8, 4))), 0)


def test_the_cost_model_prices_an_empty_batch_of_kernels():
    K = linop.KernelConvolution(np.ones((8, 2)), (3, 2, 4))
    costs = backends.method_costs(K._stacked(0).core, np.float64)
    assert all(np.isfinite(v) and v >= 0 for v in costs.values())
