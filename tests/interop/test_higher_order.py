"""Derivatives of every order through ``A.apply`` on torch tensors and JAX arrays are exact.

The backward of a linear map is linear: for ``y = A x`` PyTorch's input gradient is
``A^H g`` (conjugate Wirtinger convention) and JAX's cotangent is ``A^T g``. Both are
linop operators again, so gradient penalties, Hessian-vector products and
``gradgradcheck`` must see them. The references are independent: torch's and JAX's
finite-difference checkers, and the explicit matrix ``M = A.to_dense()``, for which

* ``f(x) = ||A x||^2`` of a complex ``x`` has torch gradient ``2 M^H M x`` (and double
  backward ``v -> 2 M^H M v``), JAX gradient ``conj(2 M^H M x)``;
* for a real ``x`` the Hessian is ``2 Re(M^H M)``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from jax.test_util import check_grads

import linop
from linop.interop.torch_layers import torch_map
from tests.support.interop_support import one_torch_thread  # noqa: F401  (autouse fixture)

RNG = np.random.default_rng(17)
BOUNDARIES = ("constant", "reflect", "wrap", "edge", "symmetric")


def complex_array(shape) -> np.ndarray:
    return RNG.standard_normal(shape) + 1j * RNG.standard_normal(shape)


def operator_zoo(dtype: str) -> dict:
    """Operators of every kind ``A.apply`` meets: convolutions, transposed, composed, on any boundary."""
    kernel = RNG.standard_normal((3, 2, 2)) + (1j * RNG.standard_normal((3, 2, 2)) if dtype == "complex128" else 0)
    conv = linop.Convolution(kernel, (7, 2), stride=2, padding=2, boundary="wrap")
    return {
        "convolution": conv,
        "conv-transpose": linop.ConvTranspose(kernel, (6, 2), padding=1, dilation=2),
        "adjoint": conv.H,
        "composition": linop.ConvTranspose(kernel, (7, 2), stride=2, padding=2, boundary="wrap") @ conv,
        "symmetric-2d": linop.Convolution(kernel[:, :, 0], (4, 5), padding=1, boundary="symmetric"),
    }


# -- PyTorch ------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float64", "complex128"])
@pytest.mark.parametrize("kind", list(operator_zoo("float64")))
def test_torch_apply_passes_gradcheck_and_gradgradcheck(kind, dtype):
    A = operator_zoo(dtype)[kind]
    t = torch.randn(A.input_shape, dtype=getattr(torch, dtype), requires_grad=True)
    assert torch.autograd.gradcheck(A.apply, (t,))
    assert torch.autograd.gradgradcheck(A.apply, (t,))


@pytest.mark.parametrize("dtype", ["float64", "complex128"])
def test_torch_apply_adjoint_passes_gradgradcheck(dtype):
    A = operator_zoo(dtype)["convolution"]
    t = torch.randn(A.output_shape, dtype=getattr(torch, dtype), requires_grad=True)
    assert torch.autograd.gradgradcheck(A.apply_adjoint, (t,))


def test_real_tensor_through_complex_operator_passes_gradgradcheck():
    A = operator_zoo("complex128")["convolution"]
    t = torch.randn(A.input_shape, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradgradcheck(lambda x: torch.view_as_real(A.apply(x)), (t,))


@pytest.mark.parametrize("boundary", ["constant", "reflect", "wrap", "edge"])
def test_torch_map_path_passes_gradgradcheck(boundary):
    """The path of GPU tensors (torch's own functions), run here on the CPU."""
    A = linop.Convolution(complex_array((3, 2, 2)), (5, 2), stride=2, padding=[(4, 3)], boundary=boundary)
    for adjoint, shape in ((False, A.input_shape), (True, A.output_shape)):
        t = torch.randn(shape, dtype=torch.complex128, requires_grad=True)
        assert torch.autograd.gradgradcheck(torch_map(A, adjoint=adjoint), (t,))


def test_hessian_vector_product_keeps_the_linop_branch():
    """f(x) = ||A x||^2 + sum(x^3): the Hessian is 2 A^T A + diag(6 x), both parts (0.2.0 lost the first)."""
    A = linop.Convolution(np.array([1.0, -2.0, 0.5]), (6,), padding=1, boundary="reflect")
    M = A.to_dense()
    x = torch.randn(6, dtype=torch.float64, requires_grad=True)
    v = torch.randn(6, dtype=torch.float64)
    (grad,) = torch.autograd.grad((A.apply(x) ** 2).sum() + (x**3).sum(), x, create_graph=True)
    (hvp,) = torch.autograd.grad(grad, x, v)
    expected = 2 * M.T @ M @ v.numpy() + 6 * x.detach().numpy() * v.numpy()
    np.testing.assert_allclose(hvp.numpy(), expected, rtol=1e-12, atol=1e-12)


def test_gradient_penalty_differentiates_through_the_adjoint():
    """d/dw ||d<A(w x), c>/dx||^2 with the inner gradient w * A^H c: needs the backward's own derivative."""
    A = linop.Convolution(complex_array(3), (5,))
    w = torch.randn(5, dtype=torch.float64, requires_grad=True)
    x = torch.randn(5, dtype=torch.complex128, requires_grad=True)
    c = torch.randn(3, dtype=torch.complex128, requires_grad=True)
    inner = (A.apply(w * x).conj() * c).real.sum()
    (gx,) = torch.autograd.grad(inner, x, create_graph=True)
    (gc,) = torch.autograd.grad((gx.abs() ** 2).sum(), c)
    # Reference: the same computation with torch's own matrix product.
    matrix = torch.tensor(A.to_dense())
    x2, c2 = x.detach().clone().requires_grad_(True), c.detach().clone().requires_grad_(True)
    inner2 = ((matrix @ (w * x2)).conj() * c2).real.sum()
    (gx2,) = torch.autograd.grad(inner2, x2, create_graph=True)
    (expected,) = torch.autograd.grad((gx2.abs() ** 2).sum(), c2)
    np.testing.assert_allclose(gc.resolve_conj().numpy(), expected.resolve_conj().numpy(), rtol=1e-12, atol=1e-12)


@st.composite
def operators(draw):
    """A random convolution or transposed convolution (boundary, stride, dilation, padding, real or complex kernel)."""
    ndim = draw(st.integers(1, 2))
    size = tuple(draw(st.integers(3, 6)) for _ in range(ndim))
    k = tuple(draw(st.integers(1, 3)) for _ in range(ndim))
    kernel = RNG.standard_normal(k + (2, 2))
    if draw(st.booleans()):
        kernel = kernel + 1j * RNG.standard_normal(k + (2, 2))
    keywords = dict(
        stride=draw(st.integers(1, 2)),
        dilation=draw(st.integers(1, 2)),
        padding=draw(st.integers(0, 2)),
        boundary=draw(st.sampled_from(BOUNDARIES)),
    )
    kind = draw(st.sampled_from([linop.Convolution, linop.ConvTranspose]))
    try:
        return kind(kernel, size + (2,), **keywords)
    except ValueError:  # no output, or a pad wider than the boundary allows
        return linop.Convolution(kernel, size + (2,), padding="same")


@settings(max_examples=15, deadline=None)
@given(A=operators(), complex_input=st.booleans())
def test_torch_hessian_vector_products_equal_the_dense_matrix(A, complex_input):
    M = A.to_dense()
    dtype = torch.complex128 if complex_input else torch.float64
    x = torch.randn(A.input_shape, dtype=dtype, requires_grad=True)
    v = torch.randn(A.input_shape, dtype=dtype)
    (grad,) = torch.autograd.grad((A.apply(x).abs() ** 2).sum(), x, create_graph=True)
    (hvp,) = torch.autograd.grad(grad, x, v)
    gram = 2 * M.conj().T @ M
    if not complex_input:
        gram = gram.real  # f of a real x: the Hessian is 2 Re(M^H M)
    expected = gram @ v.numpy().ravel()
    np.testing.assert_allclose(hvp.numpy().ravel(), expected, rtol=1e-10, atol=1e-10 * np.abs(expected).max())


# -- JAX ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float64", "complex128"])
@pytest.mark.parametrize("kind", list(operator_zoo("float64")))
def test_jax_apply_second_derivatives_pass_check_grads(kind, dtype):
    A = operator_zoo(dtype)[kind]
    with jax.enable_x64(True):
        x = jnp.asarray(complex_array(A.input_shape) if dtype == "complex128" else RNG.standard_normal(A.input_shape))
        check_grads(A.apply, (x,), order=2, modes=["fwd", "rev"])


def test_jax_apply_third_derivatives_pass_check_grads():
    A = operator_zoo("complex128")["composition"]
    with jax.enable_x64(True):
        check_grads(A.apply, (jnp.asarray(complex_array(A.input_shape)),), order=3, modes=["fwd", "rev"])


def test_jax_forward_mode_is_the_operator():
    A = operator_zoo("complex128")["convolution"]
    with jax.enable_x64(True):
        x, v = (jnp.asarray(complex_array(A.input_shape)) for _ in range(2))
        _, tangent = jax.jvp(A.apply, (x,), (v,))
        np.testing.assert_allclose(np.asarray(tangent), A.apply(np.asarray(v)), rtol=1e-12)


def test_jax_grad_of_grad_equals_the_dense_matrix():
    A = operator_zoo("float64")["composition"]
    M = A.to_dense()
    with jax.enable_x64(True):
        x = jnp.asarray(RNG.standard_normal(A.input_shape))
        w = RNG.standard_normal(A.input_shape)
        second = jax.grad(lambda x: jnp.vdot(jnp.asarray(w), jax.grad(lambda z: jnp.sum(A.apply(z) ** 2))(x)))(x)
        np.testing.assert_allclose(np.asarray(second).ravel(), 2 * M.T @ M @ w.ravel(), rtol=1e-12, atol=1e-12)


def test_jax_transformations_accept_an_operator_that_is_not_hashable():
    """JAX hashes a primitive's parameters; an operator subclass defining __eq__ (so no __hash__) still works."""

    class Comparable(linop.Convolution):
        def __eq__(self, other):
            return isinstance(other, Comparable) and np.array_equal(self.kernel, other.kernel)

    A = Comparable(np.array([1.0, -1.0, 2.0]), (5,))
    M = A.to_dense()
    with jax.enable_x64(True):
        hessian = jax.jit(jax.hessian(lambda x: jnp.sum(A.apply(x) ** 2)))(jnp.ones(5))
    np.testing.assert_allclose(np.asarray(hessian), 2 * M.T @ M, rtol=1e-12)


@settings(max_examples=8, deadline=None)  # each example compiles two jitted functions
@given(A=operators(), complex_input=st.booleans())
def test_jax_hessian_vector_products_equal_the_dense_matrix(A, complex_input):
    """Forward over reverse under jax.jit, and jax.hessian for real inputs.

    JAX's gradient of a real f is conj(torch's).
    """
    M = A.to_dense()
    gram = 2 * M.conj().T @ M
    f = lambda x: jnp.sum(jnp.abs(A.apply(x)) ** 2)  # noqa: E731
    hvp = jax.jit(lambda x, v: jax.jvp(jax.grad(f), (x,), (v,))[1])
    with jax.enable_x64(True):
        if complex_input:
            x, v = complex_array(A.input_shape), complex_array(A.input_shape)
            expected = np.conj(gram @ v.ravel())
        else:
            x, v = RNG.standard_normal(A.input_shape), RNG.standard_normal(A.input_shape)
            expected = gram.real @ v.ravel()
            hessian = np.asarray(jax.jit(jax.hessian(f))(jnp.asarray(x))).reshape(M.shape[1], M.shape[1])
            np.testing.assert_allclose(hessian, gram.real, rtol=1e-10, atol=1e-10 * np.abs(gram).max())
        got = np.asarray(hvp(jnp.asarray(x), jnp.asarray(v))).ravel()
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10 * np.abs(expected).max())
