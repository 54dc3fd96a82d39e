"""Half-precision tensors and arrays (bfloat16, float16) through linop's operators.

And torch's path for wide wrap padding.

NumPy has no bfloat16: linop computes such an input in float32 (which holds every
bfloat16 value exactly) or wider, and returns the input's dtype, as it does for float16.
The same holds for the forward map, the adjoint, autograd, and JAX. A half-precision
torch layer converts to a float32 operator holding its weights exactly.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch

import linop
from linop.interop import from_torch
from linop.interop.torch_layers import torch_map
from tests.support.interop_support import one_torch_thread  # noqa: F401  (autouse fixture)

RNG = np.random.default_rng(23)
HALF = [torch.bfloat16, torch.float16]
JAX_HALF = [jnp.bfloat16, jnp.float16]


def conv() -> linop.Convolution:
    return linop.Convolution(RNG.standard_normal((3, 2, 3)), (8, 2), stride=2, padding=1, boundary="reflect")


def rounded(values: np.ndarray, dtype: torch.dtype) -> torch.Tensor:
    """``values`` (computed in float64) rounded once to ``dtype``: what a half-precision result must be."""
    return torch.from_numpy(np.ascontiguousarray(values)).to(dtype)


# -- torch tensors -------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", HALF, ids=str)
def test_half_tensor_forward_is_computed_wide_and_returned_in_its_dtype(dtype):
    A = conv()
    t = torch.randn((3,) + A.input_shape).to(dtype)
    out = A.apply(t)
    assert out.dtype == dtype
    torch.testing.assert_close(out, rounded(A.apply(t.double().numpy()), dtype), rtol=0, atol=0)


@pytest.mark.parametrize("dtype", HALF, ids=str)
def test_half_tensor_adjoint_is_computed_wide_and_returned_in_its_dtype(dtype):
    A = conv()
    t = torch.randn(A.output_shape).to(dtype)
    for out in (A.apply_adjoint(t), A.H.apply(t)):
        assert out.dtype == dtype
        torch.testing.assert_close(out, rounded(A.apply_adjoint(t.double().numpy()), dtype), rtol=0, atol=0)


@pytest.mark.parametrize("dtype", HALF, ids=str)
def test_half_tensor_gradient_is_the_adjoint_in_its_dtype(dtype):
    A = conv()
    t = torch.randn(A.input_shape).to(dtype).requires_grad_(True)
    g = torch.randn(A.output_shape).to(dtype)
    (grad,) = torch.autograd.grad(A.apply(t), t, g)
    assert grad.dtype == dtype
    torch.testing.assert_close(grad, rounded(A.apply_adjoint(g.double().numpy()), dtype), rtol=0, atol=0)


@pytest.mark.parametrize("dtype", HALF, ids=str)
def test_half_tensor_through_complex_operator_comes_back_complex64(dtype):
    A = linop.Convolution(np.array([1 + 2j, -1j, 0.5]), (6,))
    t = torch.randn(6).to(dtype)
    out = A.apply(t)
    assert out.dtype == torch.complex64
    np.testing.assert_allclose(out.numpy(), A.apply(t.double().numpy()), rtol=1e-6)


def test_complex32_tensor_is_computed_in_complex64_and_returned_in_complex32():
    A = linop.Convolution(np.array([1 + 2j, -1j, 0.5]), (6,))
    with pytest.warns(UserWarning, match="ComplexHalf support is experimental"):
        t = torch.randn(6, dtype=torch.complex64).to(torch.complex32)
    out = A.apply(t)
    assert out.dtype == torch.complex32
    torch.testing.assert_close(out, rounded(A.apply(t.to(torch.complex128).numpy()), torch.complex32), rtol=0, atol=0)


@pytest.mark.parametrize("dtype", HALF, ids=str)
def test_torch_map_path_returns_half_tensors_in_their_dtype(dtype):
    A = conv()
    t = torch.randn((2,) + A.input_shape).to(dtype)
    out = torch_map(A)(t)
    assert out.dtype == dtype
    torch.testing.assert_close(out, A.apply(t), rtol=1e-2, atol=1e-2)


# -- torch layers ----------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", HALF, ids=str)
@pytest.mark.parametrize("transposed", [False, True], ids=["conv", "conv-transpose"])
def test_half_layer_converts_to_a_float32_operator_with_its_exact_weights(dtype, transposed):
    name = "ConvTranspose1d" if transposed else "Conv1d"
    layer = getattr(torch.nn, name)(2, 3, 3, stride=2, padding=1, bias=False).to(dtype)
    kind = linop.ConvTranspose if transposed else linop.Convolution
    A = kind.from_torch(layer, 6)
    assert A.dtype == np.float32
    reference = getattr(torch.nn, name)(2, 3, 3, stride=2, padding=1, bias=False, dtype=torch.float64)
    with torch.no_grad():
        reference.weight.copy_(layer.weight.double())  # exact: float32 and float64 hold every half value
    x = RNG.standard_normal((6, 2))
    with torch.no_grad():
        expected = reference(torch.from_numpy(x.T[None].copy()))[0].numpy().T
    np.testing.assert_allclose(A.apply(x), expected, rtol=1e-6, atol=1e-6)
    assert A.to_torch().weight.dtype == torch.float32


def test_half_module_is_refused_by_from_torch_with_the_way_out():
    layer = torch.nn.Conv1d(1, 1, 3, bias=False).to(torch.bfloat16)
    with pytest.raises(TypeError, match=r"parameters are bfloat16, which is not an operator dtype .*\.float\(\)"):
        from_torch(layer, (1, 8))


def test_half_module_with_an_explicit_dtype_gets_the_conversion_hint():
    layer = torch.nn.Conv1d(1, 1, 3, bias=False).to(torch.float16)
    with pytest.raises(ValueError, match=r"parameters are float16: pass a float32 copy of the module"):
        from_torch(layer, (1, 8), dtype="float32")


# -- JAX arrays ----------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", JAX_HALF, ids=lambda d: d.__name__)
def test_half_jax_array_forward_and_adjoint_are_computed_wide_and_returned_in_its_dtype(dtype):
    A = conv()
    x = RNG.standard_normal((2,) + A.input_shape).astype(dtype)
    y = RNG.standard_normal(A.output_shape).astype(dtype)
    for got, expected in (
        (A.apply(jnp.asarray(x)), A.apply(x.astype(np.float32))),
        (A.apply_adjoint(jnp.asarray(y)), A.apply_adjoint(y.astype(np.float32))),
        (jax.jit(A.apply)(jnp.asarray(x)), A.apply(x.astype(np.float32))),
    ):
        assert got.dtype == dtype
        np.testing.assert_array_equal(np.asarray(got), expected.astype(dtype))


@pytest.mark.parametrize("dtype", JAX_HALF, ids=lambda d: d.__name__)
def test_half_jax_gradient_is_the_adjoint_in_its_dtype(dtype):
    A = conv()
    x = jnp.asarray(RNG.standard_normal(A.input_shape).astype(dtype))
    g = RNG.standard_normal(A.output_shape).astype(dtype)
    grad = jax.grad(lambda x: jnp.sum(A.apply(x).astype(jnp.float32) * g.astype(np.float32)))(x)
    assert grad.dtype == dtype
    np.testing.assert_array_equal(np.asarray(grad), A.apply_adjoint(g.astype(np.float32)).astype(dtype))


# -- torch's own path (GPU tensors), run here: wrap padding wider than the axis ---------------------
@pytest.mark.parametrize("boundary", ["wrap", "edge", "reflect", "constant"])
@pytest.mark.parametrize("transposed", [False, True], ids=["conv", "conv-transpose"])
def test_torch_map_pads_any_width_like_linop(boundary, transposed):
    """Wrap padding wider than the axis wraps around more than once; torch's F.pad refuses that."""
    kernel = RNG.standard_normal((3, 2, 2)) + 1j * RNG.standard_normal((3, 2, 2))
    widest = {"wrap": 11, "edge": 9, "reflect": 3, "constant": 7}[boundary]  # reflect: at most n - 1
    kind = linop.ConvTranspose if transposed else linop.Convolution
    A = kind(kernel, (4, 2), padding=[(widest, widest - 1)], stride=2, boundary=boundary)
    for adjoint, shape in ((False, A.input_shape), (True, A.output_shape)):
        t = torch.randn((3,) + shape, dtype=torch.complex128)
        expected = A.apply_adjoint(t.numpy()) if adjoint else A.apply(t.numpy())
        np.testing.assert_allclose(torch_map(A, adjoint=adjoint)(t).numpy(), expected, rtol=1e-12, atol=1e-12)


def test_torch_map_wide_wrap_in_two_dimensions_matches_linop():
    A = linop.Convolution(RNG.standard_normal((2, 3, 1, 2)), (3, 2, 1), padding=[(7, 5), (4, 6)], boundary="wrap")
    t = torch.randn((2,) + A.input_shape, dtype=torch.float64)
    np.testing.assert_allclose(torch_map(A)(t).numpy(), A.apply(t.numpy()), rtol=1e-12, atol=1e-12)
    y = torch.randn(A.output_shape, dtype=torch.float64)
    np.testing.assert_allclose(
        torch_map(A, adjoint=True)(y).numpy(), A.apply_adjoint(y.numpy()), rtol=1e-12, atol=1e-12
    )
