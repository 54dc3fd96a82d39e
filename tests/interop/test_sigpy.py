"""SigPy Linops in linop.verify: ``op`` and its hand-written ``op.H``, shapes from ``ishape``/``oshape``."""

from __future__ import annotations

import numpy as np
import pytest
import sigpy

import linop
from linop.interop import adapt
from linop.interop.sigpy import SigpyOperator, from_sigpy


class WrongAdjoint(sigpy.linop.Linop):
    """A 1-D finite difference whose hand-written adjoint forgets the boundary term of its last entry."""

    def __init__(self, n: int, correct: bool = False):
        self.n, self.correct = n, correct
        super().__init__((n - 1,), (n,))

    def _apply(self, input):
        return input[1:] - input[:-1]

    def _adjoint_linop(self):
        return _DifferenceAdjoint(self.n, self.correct)


class _DifferenceAdjoint(sigpy.linop.Linop):
    def __init__(self, n: int, correct: bool):
        self.n, self.correct = n, correct
        super().__init__((n,), (n - 1,))

    def _apply(self, input):
        out = np.zeros(self.n, dtype=input.dtype)
        out[1:] += input
        out[:-1] -= input
        if not self.correct:
            out[-1] = 0  # the planted defect: the last sample's term is lost
        return out

    def _adjoint_linop(self):  # pragma: no cover - not needed
        raise NotImplementedError


@pytest.mark.parametrize(
    "op",
    [
        sigpy.linop.FFT((4, 6)),
        sigpy.linop.Resize((3, 5), (4, 6)),
        sigpy.linop.Wavelet((8, 8)),
        sigpy.linop.ConvolveData((6,), np.array([1.0, -2.0, 0.5]) + 1j),
        sigpy.linop.ConvolveFilter((3,), np.arange(1.0, 7.0) + 0j),
    ],
    ids=lambda op: type(op).__name__,
)
def test_sigpy_operators_pass_in_one_line(op):
    report = linop.verify(op, seed=0)
    assert report.passed, report


def test_a_planted_adjoint_error_is_caught_with_the_entry_named():
    assert linop.verify(WrongAdjoint(6, correct=True), seed=0).passed
    report = linop.verify(WrongAdjoint(6), seed=0)
    assert "worst at row 4, column 5" in report["matrix"].message
    assert report["probes"].details["entry"]["column"] == 5


def test_shapes_come_from_ishape_and_oshape_and_dtype_defaults_to_complex128():
    A = from_sigpy(sigpy.linop.Resize((3, 5), (4, 6)))
    assert (A.input_shape, A.output_shape, A.dtype) == ((4, 6), (3, 5), np.dtype("complex128"))
    assert from_sigpy(sigpy.linop.FFT((4,)), dtype="float32").dtype == np.dtype("float32")


def test_adapt_recognises_a_linop_and_refuses_a_contradicting_input_shape():
    assert isinstance(adapt(sigpy.linop.FFT((4,))), SigpyOperator)
    with pytest.raises(ValueError, match=r"input_shape=\(5,\) differs from the SigPy operator's ishape \(4,\)"):
        linop.verify(sigpy.linop.FFT((4,)), input_shape=(5,))


def test_from_sigpy_refuses_other_objects():
    with pytest.raises(TypeError, match="op must be a sigpy.linop.Linop; got list"):
        from_sigpy([1])
