"""linop against reference vectors computed once by PyTorch (tests/data/make_torch_reference.py)."""

from __future__ import annotations

import json

import numpy as np
import pytest

import linop
from tests.support import paths

DATA = np.load(paths.DATA / "torch_reference.npz")
CASES = json.loads(str(DATA["cases"]))
IDS = [c["name"] for c in CASES]


def _case(case):
    name, kw = case["name"], case["keywords"]
    return name, kw, DATA[f"{name}/kernel"], DATA[f"{name}/x"]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_forward_matches_torch_conv(case):
    name, kw, kernel, x = _case(case)
    A = linop.Convolution(kernel, x.shape, **kw)
    np.testing.assert_allclose(A.apply(x), DATA[f"{name}/y"], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_adjoint_matches_torch_input_gradient(case):
    name, kw, kernel, x = _case(case)
    A = linop.Convolution(kernel, x.shape, **kw)
    np.testing.assert_allclose(A.H.apply(DATA[f"{name}/g"]), DATA[f"{name}/xg"], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_kernel_adjoint_matches_torch_kernel_gradient(case):
    name, kw, kernel, x = _case(case)
    K = linop.KernelConvolution(x, kernel.shape, **kw)
    np.testing.assert_allclose(K.H.apply(DATA[f"{name}/g"]), DATA[f"{name}/kg"], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(K.apply(kernel), DATA[f"{name}/y"], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", [c for c in CASES if f"{c['name']}/xt" in DATA], ids=lambda c: c["name"])
def test_conv_transpose_matches_torch_conv_transpose(case):
    name, kw, kernel, x = _case(case)
    T = linop.ConvTranspose(kernel, x.shape, **kw)
    assert T.output_shape == x.shape
    np.testing.assert_allclose(T.apply(DATA[f"{name}/g"]), DATA[f"{name}/xt"], rtol=1e-12, atol=1e-12)
