"""``linop verify module:name`` for the objects where adjoints are written by hand (ODL, SigPy, physics
objects, pairs of functions) and for operators in weighted or real spaces: the inner products used are printed."""

from __future__ import annotations

import json
import textwrap

import pytest

from linop.cli import main

TARGETS = """
import numpy as np
import odl
import sigpy
import torch

FINE = odl.uniform_discr([0, 0], [1, 1], (8, 8))
COARSE = odl.uniform_discr([0, 0], [1, 1], (4, 4))


class Average(odl.Operator):
    def __init__(self, factor):
        super().__init__(FINE, COARSE, linear=True)
        self.factor = factor

    def _call(self, x):
        return np.asarray(x.asarray()).reshape(4, 2, 4, 2).mean(axis=(1, 3))

    @property
    def adjoint(self):
        return _Copy(self.factor)


class _Copy(odl.Operator):
    def __init__(self, factor):
        super().__init__(COARSE, FINE, linear=True)
        self.factor = factor

    def _call(self, y):
        return self.factor * np.repeat(np.repeat(np.asarray(y.asarray()), 2, axis=0), 2, axis=1)


odl_right, odl_wrong = Average(1.0), Average(0.25)


class Shifted(sigpy.linop.Linop):
    def __init__(self):
        super().__init__((5,), (5,))

    def _apply(self, input):
        return np.roll(input, 1)

    def _adjoint_linop(self):
        return sigpy.linop.Identity((5,))  # wrong: the adjoint of a shift shifts back


sigpy_right, sigpy_wrong = sigpy.linop.Resize((3, 3), (4, 6)), Shifted()


class Down:
    def __init__(self, scale):
        self.scale = scale

    def A(self, x):
        return x[..., ::2, ::2]

    def A_adjoint(self, y):
        x = torch.zeros(y.shape[:-2] + (2 * y.shape[-2], 2 * y.shape[-1]), dtype=y.dtype)
        x[..., ::2, ::2] = self.scale * y
        return x


physics_right, physics_wrong = Down(1.0), Down(2.0)

kernel = np.array([1.0, -2.0, 0.5])
pair_right = (lambda x: np.convolve(x, kernel, "valid"), lambda y: np.convolve(y, kernel[::-1], "full"))
pair_wrong = (lambda x: np.convolve(x, kernel, "valid"), lambda y: np.convolve(y, kernel, "full"))

# rfft with the bins that stand for two frequencies scaled by sqrt(2): real-linear, exact for Re<., .>
scale = np.r_[1.0, np.full(3, np.sqrt(2)), 1.0]
rfft_pair = (lambda x: np.fft.rfft(x.real, norm="ortho") * scale, lambda y: np.fft.irfft(y / scale, n=8, norm="ortho"))
"""


@pytest.fixture
def targets(tmp_path):
    path = tmp_path / "targets.py"
    path.write_text(textwrap.dedent(TARGETS))
    return path


@pytest.mark.parametrize(
    "kind, options",
    [("odl", []), ("sigpy", []), ("physics", ["--input-shape", "1,1,8,8"]), ("pair", ["--input-shape", "10"])],
)
def test_each_kind_of_object_verifies_from_the_command_line(targets, kind, options, capsys):
    assert main(["verify", f"{targets}:{kind}_right", "--seed", "0", *options]) == 0, capsys.readouterr().out


@pytest.mark.parametrize(
    "kind, options, entry",
    [
        ("odl", [], "A[0, 0] = 0.25 but A*[0, 0] = 0.25"),
        ("sigpy", [], "worst at row"),
        ("physics", ["--input-shape", "1,1,8,8"], "A[0, 0] = 1 but A^H[0, 0] = 2"),
        ("pair", ["--input-shape", "10"], "A[0, 0] = 0.5 but A^H[0, 0] = 1"),
    ],
)
def test_a_planted_adjoint_error_in_each_kind_exits_1_naming_the_entry(targets, kind, options, entry, capsys):
    status = main(["verify", f"{targets}:{kind}_wrong", "--seed", "0", *options])
    out = capsys.readouterr().out
    assert status == 1
    assert entry in " ".join(out.split())


def test_the_inner_products_detected_from_odl_are_printed_and_in_the_json(targets, capsys):
    assert main(["verify", f"{targets}:odl_right", "--seed", "0", "--json", "-"]) == 0
    captured = capsys.readouterr()
    assert "inner products of" in captured.err and "weights w = 0.015625" in captured.err
    report = json.loads(captured.out)["operators"][0]["report"]
    assert report["inner_products"]["range"]["weights"] == 0.0625


def test_spaces_are_declared_from_the_command_line(targets, capsys):
    options = ["--input-shape", "1,1,8,8", "--seed", "0"]
    assert main(["verify", f"{targets}:physics_wrong", *options, "--range-weight", "2"]) == 0
    assert "range real, weights w = 2 (--range-weight); real operator, <u, v>_W (declared)" in " ".join(
        capsys.readouterr().out.split()
    )


def test_a_real_domain_and_real_scalars_are_declared_from_the_command_line(targets, capsys):
    status = main(["verify", f"{targets}:rfft_pair", "--input-shape", "8", "--dtype", "complex128", "--real-domain"])
    out = " ".join(capsys.readouterr().out.split())
    assert status == 0 and "domain real, Euclidean; range complex, Euclidean; real-linear" in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--domain-weight", "cells"], "--domain-weight must be a positive number or module:name"),
        (["--domain-weight", "-2"], "--domain-weight -2: weights must be finite and positive"),
    ],
)
def test_bad_space_options_exit_2_with_a_message(targets, argv, message, capsys):
    assert main(["verify", f"{targets}:pair_right", "--input-shape", "10", *argv]) == 2
    assert message in " ".join(capsys.readouterr().err.split())
