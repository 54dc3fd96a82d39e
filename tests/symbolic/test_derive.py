"""derive_adjoint on affine-index sums: convolution, subsampling, zero insertion, padding, finite differences."""

from __future__ import annotations

import numpy as np
import pytest
import sympy

import linop
from linop import symbolic
from linop.geometry import conv_geometry
from linop.symbolic import AffineSum, SumTerm, derive_adjoint, index_symbols, sparse_entries
from linop.symbolic.formulas import (
    convolution_formula,
    finite_difference_formula,
    padding_formula,
    subsampling_formula,
    zero_insertion_formula,
)


def dense(formula: AffineSum, arrays=None) -> np.ndarray:
    """The formula's exact matrix as a complex NumPy array (entries must be numbers)."""
    rows = int(np.prod([int(n) for n in formula.target_shape]))
    cols = int(np.prod([int(n) for n in formula.source_shape]))
    out = np.zeros((rows, cols), dtype=complex)
    for (r, c), v in sparse_entries(formula, arrays).items():
        assert 0 <= r < rows and 0 <= c < cols
        out[r, c] = complex(v)
    return out


def test_lecture_forward_formula():
    A = symbolic.Convolution(input_shape=7, kernel_shape=3, stride=2)
    assert str(A.forward_formula) == "Eq(y[j], Sum(k[m]*x[2*j + m], (m, 0, 2)))"


def test_lecture_adjoint_formula_is_derived_with_floor_and_ceiling_bounds():
    A = symbolic.Convolution(input_shape=7, kernel_shape=3, stride=2)
    assert str(A.adjoint_formula) == (
        "Eq(x[i], Sum(conjugate(k[i - 2*j])*y[j], (j, Max(0, ceiling(i/2) - 1), Min(2, floor(i/2)))))"
    )
    assert any("solve the index equation for m" in s.description for s in A.adjoint_formula.steps)


def test_real_kernel_adjoint_has_no_conjugate():
    A = symbolic.Convolution(input_shape=7, kernel_shape=3, stride=2, real=True)
    assert "conjugate" not in str(A.adjoint_formula)


def test_dilation_brings_a_divisibility_condition():
    A = symbolic.Convolution(input_shape=9, kernel_shape=3, stride=3, dilation=2)
    text = str(A.adjoint_formula)
    assert "Mod(" in text and ", 2), 0)" in text
    assert any("is an integer exactly when" in s.description for s in A.adjoint_formula.steps)


def test_boundary_modes_add_folded_terms_with_iverson_brackets():
    A = symbolic.Convolution(input_shape=7, kernel_shape=3, padding=1, boundary="reflect")
    assert len(A.forward_formula.terms) == 3
    assert len(A.adjoint_formula.terms) == 3
    assert "Piecewise" in str(A.adjoint_formula)


def test_symbolic_sizes_give_floor_ceiling_bounds_and_divisibility():
    n, K, s, d = sympy.symbols("n K s d", integer=True, positive=True)
    p = sympy.Symbol("p", integer=True, nonnegative=True)
    geometry = linop.geometry.ConvGeometry((linop.geometry.AxisGeometry(n, K, s, d, p, p),), channels=False)
    adjoint = derive_adjoint(convolution_formula(geometry))
    (term,) = adjoint.terms
    ((j, lower, upper),) = term.sums
    assert isinstance(lower, sympy.Max) and any(isinstance(a, sympy.ceiling) for a in lower.args)
    assert isinstance(upper, sympy.Min) and any(isinstance(a, sympy.floor) for a in upper.args)
    assert sympy.Eq(sympy.Mod(sympy.Symbol("i", integer=True) + p - s * j, d), 0) in term.conditions


@pytest.mark.parametrize("shape, stride, offset", [((7,), 2, 0), ((8,), 3, 1), ((5, 6), (2, 3), (1, 0))])
def test_adjoint_of_subsampling_is_zero_insertion(shape, stride, offset):
    forward = subsampling_formula(shape, stride, offset)
    numeric = linop.Subsample(shape, stride, offset)
    assert np.array_equal(dense(forward), numeric.to_dense())
    assert np.array_equal(dense(derive_adjoint(forward)), numeric.H.to_dense())


@pytest.mark.parametrize("shape, stride", [((4,), 2), ((3,), 3), ((3, 2), (2, 1))])
def test_adjoint_of_zero_insertion_is_subsampling(shape, stride):
    forward = zero_insertion_formula(shape, stride)
    inserted = tuple(int(n) for n in forward.target_shape)
    expected = linop.Subsample(inserted, stride).to_dense().T  # zero insertion is the transpose of subsampling
    assert np.array_equal(dense(forward), expected)
    assert np.array_equal(dense(derive_adjoint(forward)), expected.T)
    assert "y[2*u" in str(forward) or "y[3*u" in str(forward) or "u_1" in str(forward)


@pytest.mark.parametrize("mode", ["constant", "wrap", "reflect", "symmetric", "edge"])
@pytest.mark.parametrize("shape, pad", [((5,), [(2, 3)]), ((4, 3), [(1, 2), (2, 0)]), ((6,), [(5, 4)])])
def test_adjoint_of_padding_folds_the_pad_back(mode, shape, pad):
    try:
        numeric = linop.Pad(shape, pad, mode)
    except ValueError:
        pytest.skip("pad wider than the mode allows")
    forward = padding_formula(shape, pad, mode)
    assert np.array_equal(dense(forward), numeric.to_dense())
    assert np.array_equal(dense(derive_adjoint(forward)), numeric.H.to_dense())


def _difference_matrix(n: int, periodic: bool) -> np.ndarray:
    """Forward differences written out by hand: row j has -1 at j and +1 at j+1 (mod n if periodic)."""
    rows = n if periodic else n - 1
    D = np.zeros((rows, n))
    for j in range(rows):
        D[j, j] -= 1
        D[j, (j + 1) % n] += 1
    return D


@pytest.mark.parametrize("boundary", ["constant", "wrap"])
def test_adjoint_of_finite_differences_is_the_negative_divergence(boundary):
    forward = finite_difference_formula((6,), boundary=boundary)
    D = _difference_matrix(6, boundary == "wrap")
    assert np.array_equal(dense(forward), D)
    adjoint = derive_adjoint(forward)
    assert np.array_equal(dense(adjoint), D.T)


def test_finite_differences_along_the_second_axis():
    forward = finite_difference_formula((3, 4), axis=1)
    D = np.kron(np.eye(3), _difference_matrix(4, False))
    assert np.array_equal(dense(forward), D)
    assert np.array_equal(dense(derive_adjoint(forward)), D.T)


@pytest.mark.parametrize(
    "kernel_shape, input_shape, kw",
    [
        ((3,), (8,), dict(stride=2, padding=1, boundary="edge")),
        ((2, 3), (5, 6), dict(stride=(2, 1), dilation=(1, 2), padding="same", boundary="wrap")),
        ((3, 2, 4), (7, 4), dict(groups=2, stride=3, padding="full", boundary="symmetric", flip=True)),
    ],
)
def test_adjoint_of_the_adjoint_is_the_forward_map(kernel_shape, input_shape, kw):
    A = symbolic.Convolution(input_shape=input_shape, kernel_shape=kernel_shape, **kw)
    twice = derive_adjoint(A.adjoint_formula)
    back = {k: v for k, v in sparse_entries(twice, A.arrays).items()}
    assert back == A.entries


@pytest.mark.parametrize(
    "kernel_shape, input_shape, kw",
    [
        ((3,), (7,), dict(stride=2)),
        ((2, 2, 1, 4), (5, 5, 2), dict(stride=2, padding=1, boundary="reflect", groups=2)),
    ],
)
def test_kernel_operator_adjoint_matches_the_numeric_kernel_gradient(kernel_shape, input_shape, kw):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(input_shape) + 1j * rng.standard_normal(input_shape)
    A = symbolic.Convolution(input_shape=input_shape, kernel_shape=kernel_shape, **kw)
    K = linop.KernelConvolution(x, kernel_shape, **kw)
    y = rng.standard_normal(K.output_shape) + 1j * rng.standard_normal(K.output_shape)
    numeric = symbolic.lambdify_formula(A.kernel_adjoint_formula)(y, x=x)
    np.testing.assert_allclose(numeric, K.H.apply(y), rtol=1e-12, atol=1e-12)


def test_edge_mode_gives_sums_whose_inner_bound_depends_on_the_outer_variable():
    geometry = conv_geometry((2,), (5,), padding=3, boundary="edge")
    adjoint = derive_adjoint(convolution_formula(geometry))
    nested = [t for t in adjoint.terms if len(t.sums) == 2]
    assert nested and any(t.sums[1][1].has(t.sums[0][0]) or t.sums[1][2].has(t.sums[0][0]) for t in nested)
    rng = np.random.default_rng(1)
    k, y = rng.standard_normal(2), rng.standard_normal(geometry.output_shape)
    expected = linop.Convolution(k, 5, padding=3, boundary="edge").H.apply(y)
    np.testing.assert_allclose(symbolic.lambdify_formula(adjoint)(y, k=k), expected, rtol=1e-12)


def test_derive_adjoint_rejects_other_objects():
    with pytest.raises(TypeError):
        derive_adjoint("y[j] = x[2*j]")


def test_unknown_sign_of_a_symbolic_stride_is_reported():
    s = sympy.Symbol("s", integer=True)  # sign not declared
    (j,) = index_symbols("j")
    forward = AffineSum(
        (SumTerm(sympy.IndexedBase("y"), (j,), sympy.IndexedBase("x"), (s * j,), 1, ((j, 0, 3),)),), (4,), (10,)
    )
    with pytest.raises(ValueError, match="sign"):
        derive_adjoint(forward)


def test_sum_terms_reject_non_affine_indices():
    (j,) = index_symbols("j")
    with pytest.raises(ValueError, match="affine"):
        SumTerm(sympy.IndexedBase("y"), (j,), sympy.IndexedBase("x"), (j**2,), 1, ((j, 0, 3),))


def test_sum_terms_reject_bounds_that_use_inner_variables():
    j, m, t = index_symbols("j m t")
    with pytest.raises(ValueError, match="outer"):
        SumTerm(
            sympy.IndexedBase("y"), (j,), sympy.IndexedBase("x"), (j + m + t,), 1, ((j, 0, 3),), ((m, 0, t), (t, 0, 2))
        )


def test_sum_terms_reject_non_integer_variables():
    j = sympy.Symbol("j")
    with pytest.raises(TypeError, match="integer"):
        SumTerm(sympy.IndexedBase("y"), (j,), sympy.IndexedBase("x"), (j,), 1, ((j, 0, 3),))


def test_affine_sum_rejects_terms_with_different_targets():
    (j,) = index_symbols("j")
    y, x = sympy.IndexedBase("y"), sympy.IndexedBase("x")
    a = SumTerm(y, (j,), x, (j,), 1, ((j, 0, 3),))
    b = SumTerm(y, (2 * j,), x, (j,), 1, ((j, 0, 3),))
    with pytest.raises(ValueError, match="share"):
        AffineSum((a, b), (8,), (4,))
