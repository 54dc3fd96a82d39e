"""symbolic.Convolution: the matrix with the kernel's symbols, its adjoint, kernels, errors, size limit."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import sympy
from hypothesis import given, settings

import linop
from linop import symbolic
from tests.support.symbolic_strategies import small_configs


def test_lecture_matrix_has_the_lecture_rows_with_kernel_symbols():
    A = symbolic.Convolution(input_shape=7, kernel_shape=3, stride=2)
    k0, k1, k2 = sympy.symbols("k_0 k_1 k_2")
    assert A.matrix == sympy.Matrix(
        [
            [k0, k1, k2, 0, 0, 0, 0],
            [0, 0, k0, k1, k2, 0, 0],
            [0, 0, 0, 0, k0, k1, k2],
        ]
    )


def test_lecture_symbols_print_as_k0_k1_k2():
    A = symbolic.Convolution(input_shape=7, kernel_shape=3, stride=2)
    text = sympy.pretty(A.matrix, use_unicode=True)
    assert "k₀  k₁  k₂  0   0   0   0" in text
    assert "k_{0} & k_{1} & k_{2}" in sympy.latex(A.matrix)


def test_lecture_transpose_maps_three_entries_to_seven():
    A = symbolic.Convolution(input_shape=7, kernel_shape=3, stride=2)
    assert A.adjoint_matrix.shape == (7, 3)
    assert A.transpose_matrix.shape == (7, 3)
    y = sympy.Matrix(sympy.symbols("y_0:3"))
    assert (A.transpose_matrix * y).shape == (7, 1)


def test_adjoint_matrix_conjugates_complex_symbols():
    A = symbolic.Convolution(input_shape=7, kernel_shape=3, stride=2)
    assert A.adjoint_matrix == A.matrix.T.applyfunc(sympy.conjugate)
    assert A.adjoint_matrix != A.matrix.T


def test_adjoint_matrix_is_the_transpose_for_real_symbols():
    A = symbolic.Convolution(input_shape=7, kernel_shape=3, stride=2, real=True)
    assert A.adjoint_matrix == A.matrix.T


def test_exact_kernel_gives_the_lecture_output_exactly():
    A = symbolic.Convolution([0.5, 1, 0.5], 7, stride=2)
    assert list(A.apply([1, 0, -2, 3, 1, 2, -1])) == [sympy.Rational(-1, 2), sympy.Rational(5, 2), 2]


def test_floats_become_the_exact_rational_they_store():
    A = symbolic.Convolution([0.1], 1)
    assert A.kernel[0] == sympy.Rational(0.1) and A.kernel[0] != sympy.Rational(1, 10)


def test_kernel_of_expressions_is_kept():
    a, b = sympy.symbols("a b")
    A = symbolic.Convolution([a + b, a * b], 3)
    assert A.matrix[0, 0] == a + b and A.matrix[1, 2] == a * b


def test_multi_axis_symbols_are_named_with_commas_and_render_as_subscripts():
    A = symbolic.Convolution(input_shape=(4, 4, 2), kernel_shape=(2, 2, 2, 3))
    assert str(A.kernel[1, 0, 1, 2]) == "k_1,0,1,2"
    assert sympy.latex(A.kernel[1, 0, 1, 2]) == "k_{1,0,1,2}"


def test_indexed_naming_uses_an_indexed_base():
    A = symbolic.Convolution(input_shape=5, kernel_shape=2, naming="indexed")
    assert A.matrix[0, 1] == sympy.IndexedBase("k")[1]


def test_numeric_operator_symbolic_twin_has_exact_kernel_and_same_geometry():
    B = linop.Convolution([0.5, 1, 0.5], 7, stride=2, padding=1, boundary="reflect")
    S = B.symbolic()
    assert S.geometry == B.geometry
    assert np.array_equal(np.array(S.matrix, dtype=float), B.to_dense())


def test_numeric_operator_symbolic_twin_with_symbols_is_real_for_a_real_kernel():
    S = linop.Convolution(np.ones((3, 2, 4)), (6, 2), stride=2).symbolic(symbols=True)
    assert S.kernel_is_real and S.kernel.shape == (3, 2, 4)
    assert S.adjoint_matrix == S.matrix.T


def test_importing_linop_does_not_import_sympy():
    code = "import sys, linop; linop.Convolution([1.0], 3); print('sympy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize(
    "kwargs, error",
    [
        (dict(input_shape=7), TypeError),
        (dict(kernel=[1, 2], input_shape=7, kernel_shape=2), TypeError),
        (dict(kernel=[1, 2], input_shape=7, real=True), TypeError),
        (dict(input_shape=7, kernel_shape=3, naming="greek"), ValueError),
        (dict(kernel=["a", "b"], input_shape=7), TypeError),
        (dict(kernel=[1.0, float("nan")], input_shape=7), ValueError),
        (dict(input_shape=7, kernel_shape=9), ValueError),
        (dict(input_shape=7, kernel_shape=3, stride=0), ValueError),
        (dict(input_shape=(4, 3), kernel_shape=(2, 2, 2), groups=2), ValueError),
        (dict(kernel=[1, 2]), TypeError),
    ],
)
def test_invalid_parameters_raise_clear_errors(kwargs, error):
    with pytest.raises(error):
        symbolic.Convolution(**kwargs)


def test_beyond_the_size_limit_the_matrix_raises_a_symbolic_size_error_naming_the_limit():
    A = symbolic.Convolution(input_shape=(64, 64, 8), kernel_shape=(3, 3, 8, 16))
    with pytest.raises(symbolic.SymbolicSizeError) as info:
        _ = A.matrix
    message = str(info.value)
    assert f"{symbolic.MAX_SYMBOLIC_ENTRIES:,}" in message and "linop.verify" in message
    assert isinstance(info.value, ValueError)


def test_size_limit_applies_to_the_checks_and_can_be_lowered():
    A = symbolic.Convolution(input_shape=7, kernel_shape=3, stride=2, max_entries=5)
    with pytest.raises(symbolic.SymbolicSizeError):
        A.check_adjoint_identity()


def test_formulas_have_no_size_limit():
    A = symbolic.Convolution(input_shape=(64, 64, 8), kernel_shape=(3, 3, 8, 16), stride=2)
    assert "conjugate(k[" in str(A.adjoint_formula)


@settings(max_examples=40, deadline=None)
@given(small_configs())
def test_matrix_equals_the_numeric_operators_dense_matrix(config):
    kshape, ishape, kw, seed = config
    kernel = np.random.default_rng(seed).integers(-4, 5, size=kshape)
    numeric = linop.Convolution(kernel.astype(float), ishape, **kw)
    exact = symbolic.Convolution(kernel, ishape, **kw)
    assert exact.shape == numeric.shape
    assert np.array_equal(np.array(exact.matrix, dtype=float), numeric.to_dense())
