"""PyTorch in and out.

from_torch's adjoint is autograd's VJP, verify takes modules and Functions, tensors come back as tensors.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import linop
from linop.interop import from_torch
from tests.support.interop_support import one_torch_thread  # noqa: F401  (autouse fixture)

RNG = np.random.default_rng(11)


def complex_matrix(rows: int, cols: int) -> np.ndarray:
    return RNG.standard_normal((rows, cols)) + 1j * RNG.standard_normal((rows, cols))


class CumulativeSum(torch.autograd.Function):
    """y_i = sum_{j <= i} x_j; its adjoint is the reversed cumulative sum."""

    @staticmethod
    def forward(ctx, x):
        return torch.cumsum(x, -1)

    @staticmethod
    def backward(ctx, g):
        return torch.flip(torch.cumsum(torch.flip(g, [-1]), -1), [-1])


class CumulativeSumWrongBackward(CumulativeSum):
    """The classic slip: the backward repeats the forward (cumsum instead of the reversed cumsum)."""

    @staticmethod
    def backward(ctx, g):
        return torch.cumsum(g, -1)


# -- the adapter's adjoint ---------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["complex128", "complex64"])
def test_complex_vjp_through_autograd_is_the_conjugate_transpose(dtype):
    M = complex_matrix(3, 4)
    matrix = torch.tensor(M, dtype=getattr(torch, dtype))
    A = from_torch(lambda x: matrix @ x, (4,), dtype=dtype)
    tol = 1e-12 if dtype == "complex128" else 1e-5
    np.testing.assert_allclose(A.to_dense(), M, rtol=tol, atol=tol)
    np.testing.assert_allclose(A.H.to_dense(), M.conj().T, rtol=tol, atol=tol)


def test_real_torch_matrix_gives_its_matrix_and_transpose():
    M = RNG.standard_normal((5, 3))
    A = from_torch(lambda x: torch.from_numpy(M) @ x, (3,), dtype=np.float64)
    np.testing.assert_allclose(A.to_dense(), M, rtol=1e-14)
    np.testing.assert_allclose(A.H.to_dense(), M.T, rtol=1e-14)


def test_shapes_and_dtype_follow_the_module():
    layer = torch.nn.Conv2d(2, 3, 3, stride=2, bias=False)
    A = from_torch(layer, (2, 7, 6))
    assert (A.input_shape, A.output_shape, A.dtype) == ((2, 7, 6), (3, 3, 2), np.dtype("float32"))
    assert A.apply(np.zeros((4, 2, 7, 6))).shape == (4, 3, 3, 2)


def test_batched_vectorized_and_sample_by_sample_give_one_operator():
    layer = torch.nn.Conv1d(2, 2, 3, padding=1, bias=False, dtype=torch.float64)
    batched = from_torch(layer, (2, 6), batched=True)
    vectorized = from_torch(layer, (2, 6))
    one_by_one = from_torch(
        lambda x: layer(x) + 0 * torch.rand(()), (2, 6), dtype="float64"
    )  # a random op: vmap refuses it
    assert vectorized.vectorized and not one_by_one.vectorized
    for A in (vectorized, one_by_one):
        np.testing.assert_allclose(A.to_dense(), batched.to_dense(), rtol=1e-14)
        np.testing.assert_allclose(A.H.to_dense(), batched.H.to_dense(), rtol=1e-14)


def test_custom_function_without_vmap_support_runs_sample_by_sample():
    assert not from_torch(CumulativeSum, (5,)).vectorized


def test_real_operator_on_complex_input_applies_to_both_parts():
    layer = torch.nn.Conv1d(1, 2, 3, bias=False, dtype=torch.float64)
    A = from_torch(layer, (1, 7))
    u, v = RNG.standard_normal((2, 1, 7))
    np.testing.assert_allclose(A.apply(u + 1j * v), A.apply(u) + 1j * A.apply(v), rtol=1e-14)


def test_function_computed_outside_autograd_fails_the_adjoint_with_the_reason():
    M = RNG.standard_normal((3, 4))
    A = from_torch(lambda x: torch.from_numpy(M @ x.detach().numpy()), (4,), dtype="float64")  # leaves autograd
    report = linop.verify(A, seed=0)
    assert not report["adjoint"].passed
    assert "does not depend on its input through autograd" in report["adjoint"].message


# -- verify on torch objects -------------------------------------------------------------------
def test_verify_passes_a_module_without_bias():
    layer = torch.nn.Conv2d(2, 3, 3, padding=1, padding_mode="reflect", groups=1, bias=False, dtype=torch.float64)
    report = linop.verify(layer, input_shape=(2, 5, 4), seed=0)
    assert report.passed, report
    assert "TorchOperator Conv2d" in report.operator


def test_verify_passes_a_custom_function_with_the_right_backward():
    assert linop.verify(CumulativeSum, input_shape=(6,), dtype="float64", seed=0).passed


def test_verify_names_the_wrong_entry_of_a_custom_backward():
    report = linop.verify(CumulativeSumWrongBackward, input_shape=(6,), dtype="float64", seed=0)
    assert report["linearity"].passed and not report["adjoint"].passed
    matrix = report["matrix"]
    # The backward returns cumsum: its matrix is lower triangular where the adjoint's is upper.
    i, j = matrix.details["row"], matrix.details["column"]
    assert i != j and matrix.details["wrong_entries"] == 30
    assert {matrix.details["forward"], matrix.details["adjoint"]} == {0.0, 1.0}


def test_verify_reports_a_bias_as_failed_linearity_with_its_deviation():
    layer = torch.nn.Conv1d(1, 2, 3, dtype=torch.float64)  # bias=True: affine
    with torch.no_grad():
        layer.bias.fill_(0.5)
    report = linop.verify(layer, input_shape=(1, 8), seed=0)
    linearity = report["linearity"]
    assert not linearity.passed and not linearity.skipped
    assert "A 0 != 0" in linearity.message and linearity.error > linearity.tolerance


def test_verify_reports_a_nonlinear_function_as_failed_linearity():
    report = linop.verify(from_torch(torch.tanh, (5,), dtype="float64"), seed=0)
    assert not report["linearity"].passed and "not linear" in report["linearity"].message


def test_verify_reads_the_input_shape_of_a_linear_layer():
    layer = torch.nn.Linear(4, 3, bias=False, dtype=torch.float64)
    report = linop.verify(layer, seed=0)
    assert report.passed and report.input_shape == (4,) and report.output_shape == (3,)


def test_verify_verifies_a_2d_tensor_as_its_matrix():
    report = linop.verify(torch.tensor(complex_matrix(3, 5)), seed=0)
    assert report.passed and report.shape == (3, 5) and report.dtype == "complex128"


def test_verify_asks_for_input_shape_when_the_module_does_not_fix_it():
    with pytest.raises(ValueError, match=r"Conv2d is a torch.nn.Module.*pass input_shape="):
        linop.verify(torch.nn.Conv2d(1, 1, 3, bias=False))


def test_failure_with_the_default_dtype_suggests_passing_dtype():
    weight = torch.ones(3, 3, dtype=torch.float64)
    with pytest.raises(ValueError, match=r"fn fails on a float32 tensor.*pass dtype= if fn computes in another dtype"):
        from_torch(lambda x: weight @ x, (3,))


def test_dtype_other_than_the_module_parameters_is_explained():
    with pytest.raises(ValueError, match=r"the module's parameters are float32: pass that dtype"):
        from_torch(torch.nn.Conv1d(1, 1, 3, bias=False), (1, 8), dtype="float64")


def test_wrong_input_shape_is_named_with_torch_error():
    with pytest.raises(ValueError, match=r"input_shape=\(3, 5\).*RuntimeError"):
        from_torch(torch.nn.Conv1d(2, 2, 3, bias=False), (3, 5))


def test_complex_output_for_a_real_dtype_is_refused():
    with pytest.raises(ValueError, match="complex dtype"):
        from_torch(lambda x: x * (1 + 1j), (3,), dtype="float64")


def test_unsupported_dtype_is_named():
    with pytest.raises(TypeError, match="dtype must be one of float32, float64, complex64, complex128; got"):
        from_torch(torch.nn.Linear(2, 2, bias=False), (2,), dtype=torch.int64)


def test_backward_returning_the_wrong_shape_fails_the_checks_without_raising():
    class WrongShape(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return 2 * x

        @staticmethod
        def backward(ctx, g):
            return g[:-1]

    report = linop.verify(WrongShape, input_shape=(4,), dtype="float64", seed=0)
    assert not report.passed and "invalid gradient" in report["adjoint"].message


# -- tensors through linop's operators -----------------------------------------------------------
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.complex64, torch.complex128])
def test_tensor_in_tensor_out_with_its_dtype(dtype):
    A = linop.Convolution(RNG.standard_normal((3, 2, 4)), (9, 2), stride=2, padding=1)
    t = torch.randn(5, 9, 2, dtype=dtype)
    out = A.apply(t)
    assert isinstance(out, torch.Tensor) and out.dtype == dtype and out.device == t.device
    np.testing.assert_allclose(out.numpy(), A.apply(t.numpy()).astype(out.numpy().dtype), rtol=1e-5, atol=1e-5)
    back = A.H.apply(out)
    assert back.shape == t.shape and back.dtype == dtype


def test_real_tensor_through_complex_operator_comes_back_complex():
    A = linop.Convolution(RNG.standard_normal(3) + 1j * RNG.standard_normal(3), (6,))
    assert A.apply(torch.ones(6, dtype=torch.float32)).dtype == torch.complex64


def test_wrong_tensor_shape_is_named():
    A = linop.Convolution(np.ones(3), (6,))
    with pytest.raises(ValueError, match=r"x must have shape \(\.\.\., 6\)"):
        A.apply(torch.ones(5))


@settings(max_examples=8, deadline=None)
@given(
    stride=st.integers(1, 3),
    boundary=st.sampled_from(["constant", "reflect", "wrap", "edge", "symmetric"]),
    complex_kernel=st.booleans(),
)
def test_autograd_through_apply_is_the_adjoint(stride, boundary, complex_kernel):
    kernel = RNG.standard_normal((3, 2, 2)) + (1j * RNG.standard_normal((3, 2, 2)) if complex_kernel else 0)
    A = linop.Convolution(kernel, (7, 2), stride=stride, padding=1, boundary=boundary)
    dtype = torch.complex128 if complex_kernel else torch.float64
    t = torch.randn(7, 2, dtype=dtype, requires_grad=True)
    assert torch.autograd.gradcheck(A.apply, (t,))
    g = torch.randn(A.output_shape, dtype=dtype)
    (grad,) = torch.autograd.grad(A.apply(t), t, g)
    np.testing.assert_allclose(grad.numpy(), A.H.apply(g.numpy()), rtol=1e-12, atol=1e-12)


def test_real_tensor_gets_the_real_part_of_a_complex_adjoint_as_gradient():
    A = linop.Convolution(np.array([1 + 2j, -1j, 0.5]), (5,))
    t = torch.randn(5, dtype=torch.float64, requires_grad=True)
    g = torch.randn(3, dtype=torch.complex128)
    (grad,) = torch.autograd.grad(A.apply(t), t, g)
    # Independent reference: autograd through torch's own complex matrix product.
    matrix = torch.tensor(A.to_dense())
    tc = t.detach().clone().requires_grad_(True)
    (expected,) = torch.autograd.grad(matrix @ tc.to(torch.complex128), tc, g)
    np.testing.assert_allclose(grad.numpy(), expected.numpy(), rtol=1e-12)


def test_cuda_tensor_stays_on_the_gpu_and_matches_the_cpu():
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device: torch.cuda.is_available() is False")
    A = linop.Convolution(RNG.standard_normal((3, 3, 2, 4)), (8, 8, 2), stride=2, padding=1, boundary="reflect")
    t = torch.randn(3, 8, 8, 2, dtype=torch.float64)
    out = A.apply(t.cuda())
    assert out.device.type == "cuda" and out.dtype == torch.float64
    np.testing.assert_allclose(out.cpu().numpy(), A.apply(t.numpy()), rtol=1e-10, atol=1e-10)
    back = A.H.apply(out)
    np.testing.assert_allclose(back.cpu().numpy(), A.H.apply(A.apply(t.numpy())), rtol=1e-10, atol=1e-10)
