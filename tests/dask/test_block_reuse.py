"""A Dask block reuses its parent's record and plan: no keyword is parsed and no cost model runs per block.

Every function that parses a convolution's keywords or plans its numerics is wrapped in a
counter; the operator is built, then applied to chunked arrays in many blocks (forward,
adjoint, and the kernel operator's two graphs), and the counters must not move.
"""

from __future__ import annotations

import dask
import dask.array as da
import numpy as np
import pytest

import linop
from linop.backends import cost, planner
from linop.dask import DaskKernelConvolution
from linop.geometry import ConvGeometry, ConvRecord, convolution
from linop.operators import convolution as convolution_operator
from linop.operators import kernel_convolution

#: (module or class, attribute): what parses keywords or runs the cost model, counted where
#: the operators look the names up.
PARSING_AND_PLANNING = [
    (ConvRecord, "resolve"),
    (ConvGeometry, "build"),
    (convolution, "conv_geometry"),
    (convolution, "resolve_padding"),
    (convolution_operator, "as_finite_array"),
    (convolution_operator, "plan_convolution"),
    (kernel_convolution, "as_finite_array"),
    (kernel_convolution, "plan_convolution"),
    (planner, "plan_convolution"),
    (planner, "cheapest_method"),
    (planner, "_memoised_plan"),
    (cost, "method_costs"),
    (cost, "gemm_ordering_cost"),
]


@pytest.fixture
def calls(monkeypatch):
    """The number of calls of every parsing or planning function, by name."""
    counted: dict[str, int] = {}
    for owner, name in PARSING_AND_PLANNING:
        original = getattr(owner, name)
        if isinstance(owner, type):
            original = owner.__dict__[name]
            function = original.__func__ if isinstance(original, (classmethod, staticmethod)) else original

            def counting(*args, _f=function, _n=name, **kwargs):
                counted[_n] = counted.get(_n, 0) + 1
                return _f(*args, **kwargs)

            wrapped = classmethod(counting) if isinstance(original, classmethod) else counting
            monkeypatch.setattr(owner, name, wrapped)
        else:

            def counting(*args, _f=original, _n=name, **kwargs):
                counted[_n] = counted.get(_n, 0) + 1
                return _f(*args, **kwargs)

            monkeypatch.setattr(owner, name, counting)
    return counted


@pytest.fixture(autouse=True)
def synchronous():
    with dask.config.set(scheduler="sync"):  # the tasks run here, where the counters are
        yield


@pytest.mark.parametrize(
    "keywords",
    [
        dict(padding="same", boundary="reflect"),
        dict(stride=2, padding=1, boundary="constant"),
        dict(dilation=2, padding="same", boundary="wrap", method="fft"),
    ],
    ids=["reflect", "strided", "fft"],
)
def test_blocks_of_a_convolution_parse_and_plan_nothing(calls, keywords):
    rng = np.random.default_rng(0)
    A = linop.Convolution(rng.standard_normal((3, 3, 2, 4)), (24, 20, 2), **keywords)
    assert calls, "building the operator must have gone through the counted functions"
    calls.clear()
    x = da.from_array(rng.standard_normal((2, 24, 20, 2)), chunks=(1, 6, 5, 1))
    y = da.from_array(rng.standard_normal((2,) + A.output_shape), chunks=(1, 4, 4, 2))
    np.testing.assert_allclose(A.apply(x).compute(), A.apply(x.compute()), atol=1e-12)
    np.testing.assert_allclose(A.H.apply(y).compute(), A.H.apply(y.compute()), atol=1e-12)
    assert calls == {}, f"blocks parsed or planned again: {calls}"


def test_blocks_of_a_kernel_operator_parse_and_plan_nothing(calls):
    rng = np.random.default_rng(1)
    image = da.from_array(rng.standard_normal((30, 26)), chunks=(8, 7))
    K = DaskKernelConvolution(image, (3, 3), padding="same", boundary="symmetric")
    calls.clear()
    w = rng.standard_normal((2, 3, 3))
    reference = linop.KernelConvolution(image.compute(), (3, 3), padding="same", boundary="symmetric")
    calls.clear()
    forward = K.apply(da.from_array(w, chunks=-1)).compute()
    np.testing.assert_allclose(forward, reference.apply(w), atol=1e-12)
    calls.clear()  # the reference's own applications are not blocks
    K.H.apply(da.from_array(forward, chunks=(1, 10, 9))).compute()
    assert calls == {}, f"blocks parsed or planned again: {calls}"


def test_a_block_runs_the_parents_method_and_orderings():
    A = linop.Convolution(np.ones((5, 5, 3, 8), np.float32), (40, 40, 3), padding="same", method="fft")
    block = A.block_structure().blocks.build((12, 12), ((2, 2), (2, 2)))
    assert block.plan.method == A.plan.method == "fft"
    B = linop.Convolution(np.ones((3, 3, 16, 16), np.float32), (32, 32, 16), padding="same")
    block = B.block_structure().blocks.build((10, 10), ((1, 1), (1, 1)))
    assert block.plan.method == B.plan.method and block.plan.orderings == B.plan.orderings
