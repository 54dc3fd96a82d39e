"""``linop verify``: the catalogue, the user's operators by module or file, JSON, exit status."""

from __future__ import annotations

import json
import sys
import textwrap

import pytest

from linop.cli import main
from linop.verification.builtin import catalogue

WRONG_OPERATOR_FILE = """
import numpy as np
from scipy.sparse.linalg import LinearOperator

kernel = np.array([1.0, -2.0, 0.5])

def forward(x):
    return np.convolve(np.ravel(x), kernel, mode="valid")

def adjoint(y):
    return np.convolve(np.ravel(y), kernel, mode="full")  # wrong: the kernel must be reversed

op = LinearOperator((8, 10), matvec=forward, rmatvec=adjoint, dtype=np.float64)

def right_adjoint(y):
    return np.convolve(np.ravel(y), kernel[::-1], mode="full")

def operators():
    return {"wrong": op, "right": LinearOperator((8, 10), matvec=forward, rmatvec=right_adjoint, dtype=float)}

not_an_operator = 42
"""


@pytest.fixture
def user_file(tmp_path):
    path = tmp_path / "my_operators.py"
    path.write_text(textwrap.dedent(WRONG_OPERATOR_FILE))
    return path


def test_default_catalogue_passes_with_exit_0(capsys):
    # No time limit here: this machine is shared, so a timed assertion would be a flaky
    # test; `linop verify` prints each entry's time, and benchmarks/ holds the timings.
    status = main(["verify", "--seed", "0"])
    out = capsys.readouterr().out
    assert status == 0, out
    assert f"all {len(catalogue())} operators passed" in out
    assert "lecture" in out and "512 x 512 float32 reflect" in out


def test_catalogue_covers_every_kind_of_operator():
    names = " ".join(e.name for e in catalogue())
    for kind in (
        "lecture",
        "1-D",
        "2-D",
        "3-D",
        "channels",
        "stride",
        "dilation",
        "groups",
        "depthwise",
        "flip",
        "complex",
        "float32",
        "reflect",
        "symmetric",
        "wrap",
        "edge",
        "constant",
        "zeros",
        "circular",
        "replicate",
        "Pad",
        "Subsample",
        "Identity",
        "A^H A",
        "ConvTranspose",
        "KernelConvolution",
        "scipy",
    ):
        assert kind in names, kind


def test_catalogue_names_are_unique():
    names = [e.name for e in catalogue()]
    assert len(names) == len(set(names))


def test_file_with_a_wrong_operator_exits_1_and_says_which_check_failed_and_why(user_file, capsys):
    status = main(["verify", f"{user_file}:op", "--seed", "0"])
    out = capsys.readouterr().out
    assert status == 1
    assert "[adjoint]: the adjoint identity fails" in out
    assert "[matrix]: A and A^H disagree" in out and "worst at row" in out
    assert "1 of 1 operators failed" in out


def test_callable_returning_a_dict_checks_each_operator_under_its_key(user_file, capsys):
    status = main(["verify", f"{user_file}:operators", "--checks", "adjoint,matrix", "--seed", "0"])
    out = capsys.readouterr().out
    assert status == 1
    assert "operators['wrong'] [adjoint]" in out
    assert "operators['right'] [" not in out


def test_module_target_is_imported_from_the_working_directory(user_file, monkeypatch, capsys):
    monkeypatch.chdir(user_file.parent)
    monkeypatch.setattr(sys, "path", list(sys.path))
    try:
        status = main(["verify", "my_operators:operators", "--checks", "adjoint", "--seed", "0"])
    finally:
        sys.modules.pop("my_operators", None)
    assert status == 1
    assert "my_operators:operators['wrong'] [adjoint]" in capsys.readouterr().out


def test_json_report_on_stdout(user_file, capsys):
    status = main(["verify", f"{user_file}:operators", "--json", "-", "--seed", "3"])
    captured = capsys.readouterr()
    document = json.loads(captured.out)
    assert status == 1 and document["passed"] is False
    assert [o["name"].split(":")[-1] for o in document["operators"]] == ["operators['wrong']", "operators['right']"]
    wrong = document["operators"][0]["report"]
    assert wrong["seed"] == 3
    assert {c["name"]: c["status"] for c in wrong["checks"]}["adjoint"] == "failed"
    assert "linop verify" in captured.err  # the table went to stderr


def test_json_report_to_a_file(tmp_path, capsys):
    path = tmp_path / "report.json"
    assert main(["verify", "--only", "lecture", "--json", str(path)]) == 0
    document = json.loads(path.read_text())
    assert document["passed"] is True
    assert {o["name"] for o in document["operators"]} == {"lecture", "ConvTranspose lecture"}


def test_list_prints_the_catalogue(capsys):
    assert main(["verify", "--list"]) == 0
    out = capsys.readouterr().out
    for entry in catalogue():
        assert entry.name in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["verify", "no_such_module_xyz:op"], "cannot import module 'no_such_module_xyz'"),
        (["verify", "linop"], "must be package.module:name or path/to/file.py:name"),
        (["verify", "missing/file.py:op"], "no such file"),
        (["verify", "linop:no_such_name"], "has no attribute 'no_such_name'"),
        (["verify", "--only", "no such entry"], "no catalogue entry matches"),
        (["verify", "--checks", "adjoint,dot"], "unknown check 'dot'"),
        (["verify", "--trials", "0"], "--trials must be >= 1"),
        (["verify", "--rtol", "2"], "rtol must satisfy 0 < rtol < 1"),
    ],
)
def test_bad_usage_exits_2_with_a_message_and_no_traceback(argv, message, capsys):
    assert main(argv) == 2
    captured = capsys.readouterr()
    text = captured.out + captured.err
    assert message in text
    assert "Traceback" not in text


def test_target_that_is_not_an_operator_exits_2(user_file, capsys):
    assert main(["verify", f"{user_file}:not_an_operator"]) == 2
    assert "is of type int; expected a LinearOperator" in capsys.readouterr().err


def test_only_and_targets_cannot_be_combined(user_file, capsys):
    assert main(["verify", f"{user_file}:op", "--only", "lecture"]) == 2
