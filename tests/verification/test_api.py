"""``linop.verify`` on any scipy LinearOperator: arguments, operator kinds, skips, the symbolic protocol."""

from __future__ import annotations

import json

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator, aslinearoperator

import linop
from linop.verification import CHECK_NAMES


def _lecture():
    return linop.Convolution([0.5, 1.0, 0.5], input_shape=(7,), stride=2)


def _matrix(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    m = rng.standard_normal(shape)
    if np.issubdtype(dtype, np.complexfloating):
        m = m + 1j * rng.standard_normal(shape)
    return m.astype(dtype)


# -- arguments --------------------------------------------------------------------------
def test_all_checks_run_in_order():
    report = linop.verify(_lecture(), seed=0)
    assert report.names == CHECK_NAMES == ("shapes", "linearity", "adjoint", "matrix", "probes", "symbolic", "purity")


def test_selected_checks_run_in_canonical_order():
    assert linop.verify(_lecture(), checks=["purity", "adjoint"], seed=0).names == ("adjoint", "purity")
    assert linop.verify(_lecture(), checks="matrix", seed=0).names == ("matrix",)


@pytest.mark.parametrize("checks", ["adjoints", ["adjoint", "dot"], [], [3]])
def test_unknown_checks_raise_value_error_listing_the_allowed_names(checks):
    with pytest.raises(ValueError, match="checks"):
        linop.verify(_lecture(), checks=checks)


@pytest.mark.parametrize("trials, error", [(0, ValueError), (-1, ValueError), (1.5, TypeError), (True, TypeError)])
def test_bad_trials_raise(trials, error):
    with pytest.raises(error, match="trials"):
        linop.verify(_lecture(), trials=trials)


@pytest.mark.parametrize(
    "rtol, error", [(0.0, ValueError), (1.0, ValueError), (-1e-3, ValueError), ("1e-3", TypeError)]
)
def test_bad_rtol_raises(rtol, error):
    with pytest.raises(error, match="rtol"):
        linop.verify(_lecture(), rtol=rtol)


@pytest.mark.parametrize("seed", [-1, 1.5, "0"])
def test_bad_seed_raises_type_error(seed):
    with pytest.raises(TypeError, match="seed"):
        linop.verify(_lecture(), seed=seed)


@pytest.mark.parametrize("op", [lambda x: x, [[1.0, 2.0]], np.ones(3)])
def test_non_operators_raise_type_error(op):
    with pytest.raises(TypeError, match="op must be"):
        linop.verify(op)


def test_same_seed_gives_the_same_report():
    a, b = (linop.verify(_lecture(), seed=42).to_dict() for _ in range(2))
    assert a == b


def test_report_records_the_seed_it_drew():
    report = linop.verify(_lecture(), checks="adjoint")
    again = linop.verify(_lecture(), checks="adjoint", seed=report.seed)
    assert again["adjoint"].error == report["adjoint"].error


def test_rtol_replaces_the_derived_tolerance():
    result = linop.verify(_lecture(), checks="adjoint", rtol=1e-3, seed=0)["adjoint"]
    assert result.tolerance == 1e-3


def test_verify_does_not_modify_the_operator_kernel():
    kernel = np.array([0.5, 1.0, 0.5])
    A = linop.Convolution(kernel, input_shape=(7,))
    linop.verify(A, seed=0)
    np.testing.assert_array_equal(A.kernel, kernel)


# -- operators of every kind ------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex64, np.complex128])
def test_dense_matrix_operators_pass_all_checks(dtype):
    report = linop.verify(aslinearoperator(_matrix((13, 7), dtype)), seed=0)
    assert report.passed, str(report)
    assert report["symbolic"].skipped


def test_a_plain_matrix_is_wrapped():
    assert linop.verify(_matrix((4, 5), np.float64), seed=0).passed


def test_sparse_matrix_operator_passes():
    assert linop.verify(aslinearoperator(sp.random(40, 30, density=0.1, random_state=0, format="csr")), seed=0).passed


def test_plain_linear_operator_with_matvec_and_rmatvec_passes():
    M = _matrix((6, 9), np.complex128)
    op = LinearOperator(M.shape, matvec=lambda x: M @ x, rmatvec=lambda y: M.conj().T @ y, dtype=M.dtype)
    report = linop.verify(op, seed=0)
    assert report.passed, str(report)
    assert report.input_shape is None and report.shape == (6, 9)


def test_scipy_composition_of_linop_operators_passes():
    A = linop.Convolution(np.arange(1.0, 10.0).reshape(3, 3), (8, 8), padding="same", boundary="symmetric")
    op = aslinearoperator(A) @ aslinearoperator(A.H) + 2 * aslinearoperator(A.to_sparse()) @ A.H
    assert linop.verify(op, seed=0).passed


def test_operator_without_rmatvec_fails_the_adjoint_checks():
    op = LinearOperator((3, 4), matvec=lambda x: x[:3] * 2.0, dtype=np.float64)
    report = linop.verify(op, seed=0)
    assert report["adjoint"].status == "failed"
    assert "the operator defines no adjoint" in report["adjoint"].message


def test_operator_returning_nan_fails_with_a_message():
    op = LinearOperator((3, 3), matvec=lambda x: x * np.nan, rmatvec=lambda y: y, dtype=np.float64)
    assert "NaN" in linop.verify(op, checks="adjoint", seed=0)["adjoint"].message


def test_the_zero_operator_passes_and_says_so():
    op = aslinearoperator(np.zeros((3, 4)))
    report = linop.verify(op, seed=0)
    assert report.passed
    assert "zero operator" in report["adjoint"].message


def test_duck_typed_shaped_operator_gets_multi_indices():
    class Flip(LinearOperator):
        input_shape = (2, 3)
        output_shape = (3, 2)

        def __init__(self):
            super().__init__(np.float64, (6, 6))

        def _matvec(self, x):
            return np.ravel(np.reshape(x, (2, 3)).T)

        def _rmatvec(self, y):
            return np.ravel(np.reshape(y, (3, 2)).T) * (1.0 + (np.arange(6) == 5))  # wrong at one entry

    report = linop.verify(Flip(), seed=0)
    assert report.input_shape == (2, 3) and report.output_shape == (3, 2)
    assert report["matrix"].details["input_index"] == (1, 2)
    assert report["matrix"].details["output_index"] == (2, 1)


def test_declared_shapes_that_do_not_match_fail_shapes():
    class Liar(LinearOperator):
        input_shape = (2, 2)
        output_shape = (5,)

        def __init__(self):
            super().__init__(np.float64, (5, 5))

        def _matvec(self, x):
            return np.ravel(x)

        def _rmatvec(self, y):
            return np.ravel(y)

    result = linop.verify(Liar(), checks="shapes", seed=0)["shapes"]
    assert result.status == "failed"
    assert "input_shape (2, 2) has 4 entries but the operator has 5 columns" in result.message


def test_large_operators_skip_matrix_with_the_reason_and_still_run_probes():
    A = linop.Convolution(np.ones((3, 3)), (128, 128), padding="same")
    report = linop.verify(A, checks=("matrix", "probes"), seed=0)
    assert report["matrix"].skipped and "too large" in report["matrix"].message
    assert report["probes"].passed
    assert report.passed


def test_a_report_of_skips_only_does_not_pass():
    report = linop.verify(aslinearoperator(np.eye(3)), checks="symbolic", seed=0)
    assert report["symbolic"].skipped
    assert not report.passed


def test_probes_cost_two_applications_of_each_side_for_a_correct_operator():
    A = linop.Convolution(np.ones((3, 3)), (64, 64), padding="same", boundary="reflect")
    assert linop.verify(A, checks="probes", seed=0)["probes"].details["applications"] == 4


def test_report_to_dict_is_json_serialisable_for_a_complex_failure():
    M = _matrix((4, 3), np.complex128)
    op = LinearOperator(M.shape, matvec=lambda x: M @ x, rmatvec=lambda y: M.T @ y, dtype=M.dtype)
    data = json.loads(json.dumps(linop.verify(op, seed=0).to_dict()))
    assert data["passed"] is False
    matrix = next(c for c in data["checks"] if c["name"] == "matrix")
    assert matrix["status"] == "failed" and len(matrix["details"]["forward"]) == 2  # [real, imag]


# -- the symbolic protocol --------------------------------------------------------------
class _Proof:
    def __init__(self, holds: bool):
        self.holds = holds

    def text(self) -> str:
        return "<Ax, y> - <x, A^H y> simplifies to 0" if self.holds else "residual 2*x0*y1"


class _Twin:
    def __init__(self, holds: bool | Exception):
        self.holds = holds

    def check_adjoint_identity(self):
        if isinstance(self.holds, Exception):
            raise self.holds
        return _Proof(self.holds)


class _WithTwin(LinearOperator):
    def __init__(self, twin):
        self._twin = twin
        super().__init__(np.float64, (2, 2))

    def _matvec(self, x):
        return np.ravel(x)

    def _rmatvec(self, y):
        return np.ravel(y)

    def symbolic(self):
        if isinstance(self._twin, Exception):
            raise self._twin
        return self._twin


def test_symbolic_passes_when_the_twin_proves_the_identity():
    result = linop.verify(_WithTwin(_Twin(True)), checks="symbolic")["symbolic"]
    assert result.passed and "simplifies to 0" in result.message
    assert result.error is None and result.tolerance is None


def test_symbolic_fails_when_the_twin_refutes_the_identity():
    result = linop.verify(_WithTwin(_Twin(False)), checks="symbolic")["symbolic"]
    assert result.status == "failed" and "residual 2*x0*y1" in result.message


def test_symbolic_is_skipped_with_the_size_limit_message():
    result = linop.verify(_WithTwin(ValueError("at most 4096 entries; this operator has 10^6")), checks="symbolic")
    assert result["symbolic"].skipped
    assert "at most 4096 entries" in result["symbolic"].message


def test_symbolic_is_skipped_when_the_proof_itself_reports_the_size_limit():
    twin = _Twin(ValueError("2,359,296 structural matrix entries, above the symbolic limit of 100,000"))
    result = linop.verify(_WithTwin(twin), checks="symbolic")["symbolic"]
    assert result.skipped and "above the symbolic limit" in result.message


def test_symbolic_is_skipped_without_a_twin():
    result = linop.verify(aslinearoperator(np.eye(2)), checks="symbolic")["symbolic"]
    assert result.skipped and "no symbolic twin" in result.message


def test_symbolic_fails_when_the_twin_raises_something_else():
    result = linop.verify(_WithTwin(RuntimeError("sympy exploded")), checks="symbolic")["symbolic"]
    assert result.status == "failed" and "RuntimeError: sympy exploded" in result.message


def test_symbolic_proves_a_small_convolution_exactly():
    result = linop.verify(_lecture(), checks="symbolic")["symbolic"]
    assert result.passed and result.message.startswith("exact: ")


def test_symbolic_is_skipped_for_a_convolution_above_the_symbolic_limit():
    big = linop.Convolution(np.ones((3, 3)), (256, 256), padding="same")
    result = linop.verify(big, checks="symbolic")["symbolic"]
    assert result.skipped and "symbolic limit" in result.message


@pytest.mark.parametrize("shape", [(0, 3), (3, 0)])
def test_an_operator_without_entries_skips_what_would_be_vacuous(shape):
    report = linop.verify(aslinearoperator(np.ones(shape)), seed=0)
    for name in ("linearity", "adjoint", "matrix", "probes"):
        assert report[name].skipped and "no entries" in report[name].message
    assert report["shapes"].passed
