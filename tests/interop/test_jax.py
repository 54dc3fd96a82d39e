"""JAX in and out.

from_jax's adjoint is the conjugated jax.vjp, verify takes custom_vjp functions, JAX arrays come back as
JAX arrays.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import linop
from linop.interop import from_jax

RNG = np.random.default_rng(3)


def complex_matrix(rows: int, cols: int) -> np.ndarray:
    return RNG.standard_normal((rows, cols)) + 1j * RNG.standard_normal((rows, cols))


@jax.custom_vjp
def running_sum(x):
    """y_i = sum_{j <= i} x_j, with a hand-written backward (the reversed cumulative sum)."""
    return jnp.cumsum(x)


running_sum.defvjp(lambda x: (running_sum(x), None), lambda _, g: (jnp.cumsum(g[::-1])[::-1],))


@jax.custom_vjp
def running_sum_wrong_bwd(x):
    return jnp.cumsum(x)


running_sum_wrong_bwd.defvjp(lambda x: (running_sum_wrong_bwd(x), None), lambda _, g: (jnp.cumsum(g),))


# -- the adapter's adjoint ------------------------------------------------------------------------
def test_complex_adjoint_is_the_conjugate_transpose_of_the_matrix():
    M = complex_matrix(3, 4)
    A = from_jax(lambda x: jnp.asarray(M) @ x, (4,), dtype="complex128")
    np.testing.assert_allclose(A.to_dense(), M, rtol=1e-13)
    np.testing.assert_allclose(A.H.to_dense(), M.conj().T, rtol=1e-13)


def test_jax_vjp_alone_is_the_transpose_not_the_adjoint():
    """Why from_jax conjugates: jax.vjp (like jax.linear_transpose) gives M^T v, not M^H v."""
    M = complex_matrix(3, 4)
    with jax.enable_x64(True):
        _, vjp = jax.vjp(lambda x: jnp.asarray(M) @ x, jnp.zeros(4, dtype=jnp.complex128))
        v = jnp.asarray(complex_matrix(3, 1)[:, 0])
        np.testing.assert_allclose(np.asarray(vjp(v)[0]), M.T @ np.asarray(v), rtol=1e-13)


@pytest.mark.parametrize("complex_kernel", [False, True])
def test_adjoint_of_a_jax_convolution_is_linop_transposed_convolution(complex_kernel):
    """Two independent routes to A^H: from_jax on lax.conv_general_dilated, and linop's ConvTranspose."""
    dtype = "complex128" if complex_kernel else "float64"
    kernel = RNG.standard_normal((3, 2, 2, 4)) + (1j * RNG.standard_normal((3, 2, 2, 4)) if complex_kernel else 0)
    A = linop.Convolution(kernel, (9, 7, 2), stride=(2, 1), padding=[(1, 2), (0, 1)], dilation=(1, 2))
    with jax.enable_x64(True):
        weight = jnp.asarray(kernel)

        def conv(x):  # channels last: NHWC input, HWIO kernel
            return jax.lax.conv_general_dilated(
                x[None],
                weight,
                window_strides=(2, 1),
                padding=[(1, 2), (0, 1)],
                rhs_dilation=(1, 2),
                dimension_numbers=("NHWC", "HWIO", "NHWC"),
            )[0]

        B = from_jax(conv, A.input_shape, dtype=dtype)
    y = RNG.standard_normal(A.output_shape) + (1j * RNG.standard_normal(A.output_shape) if complex_kernel else 0)
    assert B.output_shape == A.output_shape
    np.testing.assert_allclose(B.apply_adjoint(y), A.apply_adjoint(y), rtol=1e-12, atol=1e-12)


def test_float64_operator_computes_in_float64_without_touching_the_global_setting():
    before = jax.config.jax_enable_x64
    A = from_jax(lambda x: x * 1.0, (3,), dtype="float64")
    x = np.array([1 + 1e-12, 2.0, 3.0])
    assert A.apply(x).dtype == np.float64 and A.apply(x)[0] == x[0]
    assert jax.config.jax_enable_x64 == before


def test_default_dtype_follows_jax():
    A = from_jax(lambda x: 2 * x, (3,))
    assert A.dtype == np.dtype("float64" if jax.config.jax_enable_x64 else "float32")


def test_shapes_come_from_the_function():
    A = from_jax(lambda x: jnp.sum(x, axis=0), (4, 3), dtype="float64")
    assert (A.input_shape, A.output_shape) == ((4, 3), (3,))
    assert A.apply(np.ones((2, 4, 3))).shape == (2, 3)


def test_failing_function_is_named_with_the_shape():
    with pytest.raises(ValueError, match=r"fn fails on a float32 array of shape \(3,\)"):
        from_jax(lambda x: x @ jnp.ones((4, 2)), (3,), dtype="float32")


# -- verify on JAX objects ------------------------------------------------------------------------
def test_verify_passes_a_custom_vjp_with_the_right_bwd():
    assert linop.verify(running_sum, input_shape=(6,), dtype="float64", seed=0).passed


def test_verify_names_the_wrong_entry_of_a_custom_vjp_bwd():
    report = linop.verify(running_sum_wrong_bwd, input_shape=(6,), dtype="float64", seed=0)
    matrix = report["matrix"]
    assert report["linearity"].passed and not matrix.passed
    assert matrix.details["wrong_entries"] == 30
    assert {matrix.details["forward"], matrix.details["adjoint"]} == {0.0, 1.0}


def test_verify_passes_a_jitted_complex_function():
    M = jnp.asarray(complex_matrix(4, 4))
    fn = jax.jit(lambda x: M @ x)
    assert linop.verify(fn, input_shape=(4,), dtype="complex64", seed=0).passed


def test_verify_reports_a_nonholomorphic_function_as_failed_linearity():
    report = linop.verify(jax.jit(jnp.conj), input_shape=(5,), dtype="complex128", seed=0)
    assert not report["linearity"].passed and "complex a" in report["linearity"].message


def test_verify_asks_for_input_shape_of_a_jax_function():
    with pytest.raises(ValueError, match="JAX function.*pass input_shape="):
        linop.verify(running_sum)


def test_verify_verifies_a_2d_jax_array_as_its_matrix():
    report = linop.verify(jnp.asarray(RNG.standard_normal((3, 5)), dtype=jnp.float32), seed=0)
    assert report.passed and report.shape == (3, 5) and report.dtype == "float32"


# -- JAX arrays through linop's operators ---------------------------------------------------------
def test_jax_array_in_jax_array_out():
    A = linop.Convolution(RNG.standard_normal((3, 2, 4)), (9, 2), stride=2, padding=1)
    a = jnp.asarray(RNG.standard_normal((3, 9, 2)), dtype=jnp.float32)
    out = A.apply(a)
    assert isinstance(out, jax.Array) and out.dtype == jnp.float32 and out.shape == (3, 5, 4)
    np.testing.assert_allclose(np.asarray(out), A.apply(np.asarray(a)), rtol=1e-5, atol=1e-5)
    assert A.H.apply(out).shape == a.shape


def test_apply_works_under_jit():
    A = linop.Convolution(np.array([1.0, -2.0, 0.5]), (8,), padding="same", boundary="reflect")
    x = RNG.standard_normal(8).astype(np.float32)
    np.testing.assert_allclose(np.asarray(jax.jit(A.apply)(jnp.asarray(x))), A.apply(x), rtol=1e-6)


@pytest.mark.parametrize("complex_kernel", [False, True])
def test_grad_through_apply_is_the_adjoint(complex_kernel):
    kernel = RNG.standard_normal(3) + (1j * RNG.standard_normal(3) if complex_kernel else 0)
    A = linop.Convolution(kernel, (7,), stride=2, padding=1)
    x = RNG.standard_normal(7) + (1j * RNG.standard_normal(7) if complex_kernel else 0)
    g = RNG.standard_normal(A.output_shape) + (1j * RNG.standard_normal(A.output_shape) if complex_kernel else 0)
    with jax.enable_x64(True):
        _, vjp = jax.vjp(A.apply, jnp.asarray(x))
        (got,) = vjp(jnp.asarray(g))
        # JAX's convention is the transpose: A^T g = conj(A^H conj(g)); the reference is the explicit matrix.
        np.testing.assert_allclose(np.asarray(got), A.to_dense().T @ g, rtol=1e-12, atol=1e-12)


def test_grad_of_a_real_input_through_a_complex_operator_is_real():
    A = linop.Convolution(np.array([1 + 2j, -1j, 0.5]), (6,))
    x, g = RNG.standard_normal(6), RNG.standard_normal(4) + 1j * RNG.standard_normal(4)
    matrix = A.to_dense()
    with jax.enable_x64(True):
        (got,) = jax.vjp(A.apply, jnp.asarray(x))[1](jnp.asarray(g))
        # Reference: JAX's own VJP through the explicit complex matrix.
        (expected,) = jax.vjp(lambda v: jnp.asarray(matrix) @ v.astype(jnp.complex128), jnp.asarray(x))[1](
            jnp.asarray(g)
        )
    assert got.dtype == jnp.float64
    np.testing.assert_allclose(np.asarray(got), np.asarray(expected), rtol=1e-12)
