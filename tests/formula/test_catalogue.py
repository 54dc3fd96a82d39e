"""The formula catalogue: every operator is defined by its formula alone, its derived adjoint is
proved exactly, its compiled operator passes linop.verify and equals the formula entry by entry."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import linop
from linop.formula import catalogue as cat
from tests.support.formula_brute_force import evaluate

ENTRIES = {e.name: e for e in cat.catalogue()}
_BUILT: dict = {}


def built(name: str):
    """One operator per catalogue entry for the whole module (derivation is the slow part)."""
    if name not in _BUILT:
        _BUILT[name] = ENTRIES[name].build()
    return _BUILT[name]


def random_like(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape)
    if np.issubdtype(dtype, np.complexfloating):
        a = a + 1j * rng.standard_normal(shape)
    return a.astype(dtype)


@pytest.mark.parametrize("name", list(ENTRIES))
def test_catalogue_operator_derived_adjoint_is_proved_and_compiled_values_equal_the_formula(name):
    A = built(name)
    proofs = A.symbolic()
    assert proofs.check_adjoint_identity().holds
    assert proofs.check_adjoint_formula().holds
    x = random_like(A.input_shape, A.dtype, 1)
    y = random_like(A.output_shape, A.dtype, 2)
    arrays = ENTRIES[name].arrays
    forward = A._formulas["forward_numeric"]
    adjoint = A._formulas["adjoint_numeric"]
    np.testing.assert_allclose(A.apply(x), evaluate(forward, x, arrays), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(A.apply_adjoint(y), evaluate(adjoint, y, arrays), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", list(ENTRIES))
def test_catalogue_operator_computed_in_blocks_of_one_row_gives_the_same_values(name):
    A = ENTRIES[name].build()
    x = random_like((2,) + A.input_shape, A.dtype, 4)
    y = random_like((2,) + A.output_shape, A.dtype, 5)
    whole = A.apply(x), A.apply_adjoint(y)
    for program in A._programs:
        program.block_bytes = 1  # every output row its own block
    np.testing.assert_allclose(A.apply(x), whole[0], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(A.apply_adjoint(y), whole[1], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", list(ENTRIES))
def test_catalogue_operator_passes_every_verification_check(name):
    report = linop.verify(built(name), seed=3)
    assert report.passed, report
    assert report["symbolic"].status == "passed"


FAMILIES = {
    "pooling": lambda d: cat.average_pooling(
        d(st.integers(1, 3)), d(st.integers(1, 3)), d(st.integers(0, 1)), (d(st.integers(3, 9)), d(st.integers(3, 9)))
    ),
    "nearest": lambda d: cat.nearest_upsampling(d(st.integers(1, 3)), (d(st.integers(1, 5)), d(st.integers(1, 5)))),
    "bilinear": lambda d: cat.linear_upsampling(d(st.integers(1, 3)), (d(st.integers(2, 5)), d(st.integers(2, 5)))),
    "difference": lambda d: cat.finite_difference(
        d(st.sampled_from(["forward", "backward", "central"])),
        d(st.sampled_from(cat.DIFFERENCE_MODES)),
        d(st.integers(3, 12)),
    ),
    "gradient": lambda d: cat.gradient(
        d(st.sampled_from(cat.DIFFERENCE_MODES[:-1])), (d(st.integers(2, 6)), d(st.integers(2, 6)))
    ),
    "toeplitz": lambda d: cat.toeplitz(
        d(st.integers(1, 7)), d(st.integers(1, 7)), d(st.integers(0, 9)), complex_=d(st.booleans())
    ),
    "hankel": lambda d: cat.hankel(d(st.integers(1, 7)), d(st.integers(1, 7)), d(st.integers(0, 9))),
    "dft": lambda d: cat.dft(d(st.integers(1, 12))),
    "transpose": lambda d: cat.transpose((d(st.integers(1, 6)), d(st.integers(1, 6)))),
}


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(family=st.sampled_from(sorted(FAMILIES)), single=st.booleans(), data=st.data())
def test_catalogue_families_at_random_sizes_and_every_dtype_pass_verify(family, single, data):
    entry = FAMILIES[family](data.draw)
    complex_ = family in ("dft",) or (family == "toeplitz" and "complex" in entry.name)
    dtype = (
        (np.complex64 if single else np.complex128)
        if complex_
        else data.draw(st.sampled_from([np.float32, np.complex64] if single else [np.float64, np.complex128]))
    )
    A = entry.build(dtype=dtype)
    assert A.dtype == np.dtype(dtype)
    x = random_like(A.input_shape, dtype)
    assert A.apply(x).dtype == np.dtype(dtype)
    assert linop.verify(A, seed=0).passed


def test_divergence_is_minus_the_adjoint_of_the_gradient_for_every_mode_with_a_divergence():
    for mode in cat.DIVERGENCE_MODES:
        result = cat.prove_divergence(mode, (3, 4))
        assert result.holds, result.text()


def test_divergence_proof_fails_for_the_wrong_boundary():
    from linop.formula.exact_twin import check_negative_adjoint

    grad = cat.gradient("wrap", (3, 4)).build()
    div = cat.divergence("edge", (3, 4)).build()
    result = check_negative_adjoint(div._formulas["forward_numeric"], grad._formulas["forward_numeric"])
    assert not result.holds and result.counterexample is not None


# -- the hand-written NumPy a user would write for the same maps ----------------------------
def test_pooling_equals_reshape_mean():
    A = cat.average_pooling(2, 2, 0, (8, 6)).build()
    x = random_like((8, 6), np.float64)
    np.testing.assert_allclose(A @ x.ravel(), x.reshape(4, 2, 3, 2).mean(axis=(1, 3)).ravel())


def test_padded_pooling_equals_mean_over_zero_padded_windows():
    A = cat.average_pooling(3, 2, 1, (7, 8)).build()
    x = random_like((7, 8), np.float64)
    padded = np.pad(x, 1)
    expected = np.array([[padded[2 * i : 2 * i + 3, 2 * j : 2 * j + 3].mean() for j in range(4)] for i in range(4)])
    np.testing.assert_allclose(A.apply(x), expected)


def test_differences_equal_np_diff_and_np_pad():
    x = random_like((9,), np.float64)
    valid = cat.finite_difference("forward", "valid", 9).build()
    np.testing.assert_allclose(valid.apply(x), np.diff(x))
    for mode, np_mode in (
        ("wrap", "wrap"),
        ("reflect", "reflect"),
        ("symmetric", "symmetric"),
        ("edge", "edge"),
        ("constant", "constant"),
    ):
        ext = np.pad(x, 1, mode=np_mode)
        np.testing.assert_allclose(cat.finite_difference("forward", mode, 9).build().apply(x), ext[2:] - ext[1:-1])
        np.testing.assert_allclose(cat.finite_difference("backward", mode, 9).build().apply(x), ext[1:-1] - ext[:-2])
        np.testing.assert_allclose(cat.finite_difference("central", mode, 9).build().apply(x), (ext[2:] - ext[:-2]) / 2)


def test_nearest_upsampling_equals_np_repeat():
    A = built("nearest upsampling x2")
    x = random_like((4, 5), np.float64)
    np.testing.assert_array_equal(A.apply(x), np.repeat(np.repeat(x, 2, axis=0), 2, axis=1))


def test_bilinear_upsampling_interpolates_through_the_samples():
    A = built("bilinear upsampling x3")
    i, j = np.meshgrid(np.arange(3.0), np.arange(4.0), indexing="ij")
    plane = 2 * i - 3 * j + 1
    fine_i, fine_j = np.meshgrid(np.arange(7) / 3, np.arange(10) / 3, indexing="ij")
    np.testing.assert_allclose(A.apply(plane), 2 * fine_i - 3 * fine_j + 1, atol=1e-12)


def test_toeplitz_hankel_dft_crop_transpose_equal_scipy_and_numpy():
    x = random_like((5,), np.float64)
    t = ENTRIES["Toeplitz"].arrays["t"]
    np.testing.assert_allclose(built("Toeplitz").apply(x), scipy.linalg.toeplitz(t[4:], t[4::-1]) @ x)
    h = ENTRIES["Hankel"].arrays["h"]
    np.testing.assert_allclose(built("Hankel").apply(x), scipy.linalg.hankel(h[:6], h[5:]) @ x)
    z = random_like((8,), np.complex128)
    np.testing.assert_allclose(built("DFT").apply(z), np.fft.fft(z))
    np.testing.assert_allclose(built("DFT").apply_adjoint(z), 8 * np.fft.ifft(z))
    image = random_like((9, 8), np.float64)
    np.testing.assert_array_equal(built("strided crop").apply(image), image[1::2, 2::2][:4, :3])
    np.testing.assert_array_equal(built("transpose").apply(image[:4, :6]), image[:4, :6].T)


def test_gradient_edge_equals_np_diff_with_zero_last_difference():
    x = random_like((4, 5), np.float64)
    g = built("gradient edge").apply(x)
    np.testing.assert_allclose(g[0], np.diff(x, axis=0, append=x[-1:]))
    np.testing.assert_allclose(g[1], np.diff(x, axis=1, append=x[:, -1:]))


def test_lecture_convolution_equals_linop_convolution_both_ways():
    A = built("convolution 3 taps stride 2")
    B = linop.Convolution([0.5, 1.0, 0.5], input_shape=(7,), stride=2)
    np.testing.assert_allclose(A.to_dense(), B.to_dense())
    y = random_like((3,), np.float64)
    np.testing.assert_allclose(A.apply_adjoint(y), B.apply_adjoint(y))


def test_catalogue_entry_lookup_names_the_choices():
    with pytest.raises(ValueError, match="no catalogue formula named 'nope'; have: average pooling"):
        cat.entry("nope")
    with pytest.raises(ValueError, match="boundary must be one of"):
        cat.gradient("valid")


@pytest.mark.parametrize("complex_", [False, True])
def test_large_toeplitz_and_hankel_run_as_fft_convolutions_and_equal_the_dense_matrices(complex_):
    toe, han = cat.toeplitz(70, 65, 3, complex_=complex_), cat.hankel(66, 64, 4)
    A, B = toe.build(), han.build()
    assert all(s.convolution is not None for p in A._programs + B._programs for s in p.steps)
    t, h = toe.arrays["t"], han.arrays["h"]
    T = scipy.linalg.toeplitz(t[64:], t[64::-1])
    Hk = scipy.linalg.hankel(h[:66], h[65:])
    x, y = random_like((65,), np.complex128, 6), random_like((70,), np.complex128, 7)
    np.testing.assert_allclose(A.apply(x), T @ x)
    np.testing.assert_allclose(A.apply_adjoint(y), T.conj().T @ y)
    u = random_like((64,), np.float64, 8)
    np.testing.assert_allclose(B.apply(u), Hk @ u)
    np.testing.assert_allclose(B.apply_adjoint(y[:66]), Hk.T @ y[:66])
    assert linop.verify(A, seed=0, checks=("shapes", "adjoint", "matrix", "probes")).passed
    assert linop.verify(B, seed=0, checks=("shapes", "adjoint", "matrix", "probes")).passed


def test_dft_sums_run_as_ffts_also_when_truncated():
    A = linop.from_formula(
        "y[k] = sum(m=0..L-1) exp(-2*pi*I*k*m/N) * x[m] for k = 0..K-1", sizes={"N": 16, "K": 10, "L": 12}
    )
    assert [s.fourier for s in A._programs[0].steps] == [(-1, 16, 10)]
    assert [s.fourier for s in A._programs[1].steps] == [(1, 16, 12)]
    F = np.exp(-2j * np.pi * np.outer(np.arange(10), np.arange(12)) / 16)
    np.testing.assert_allclose(A.to_dense(), F, atol=1e-12)
    np.testing.assert_allclose(A.H.to_dense(), F.conj().T, atol=1e-12)
