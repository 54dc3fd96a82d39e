"""The ``linop`` command line: --help, --version, and the lecture example."""

from __future__ import annotations

import subprocess
import sys

import pytest

from linop import __version__
from linop.cli import main


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"linop {__version__}"


def test_help_lists_the_commands(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "lecture" in capsys.readouterr().out


def test_lecture_prints_the_lecture_matrix(capsys):
    assert main(["lecture"]) == 0
    out = capsys.readouterr().out
    assert "A f = [-0.5, 2.5, 2.0]" in out
    assert "[  0.5     1   0.5     0     0     0     0 ]" in out
    assert "7 x 3 matrix (3 entries -> 7)" in out


def test_unknown_command_is_bad_usage():
    proc = subprocess.run([sys.executable, "-m", "linop", "frobnicate"], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "invalid choice" in proc.stderr


def test_output_into_a_closed_pipe_stops_quietly():
    proc = subprocess.run(
        f"{sys.executable} -m linop derive --input 60 --kernel 3 | head -1",
        shell=True,
        capture_output=True,
        text=True,
    )
    assert proc.stdout.startswith("convolution 60 -> 58")
    assert "Traceback" not in proc.stderr
