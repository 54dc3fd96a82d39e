"""Command-line errors go to stderr and say what the user typed; checks run before any work."""

from __future__ import annotations

import pytest

from linop import cli
from linop.commands import verify as verify_command


def test_derive_echoes_the_padding_the_user_typed(capsys):
    assert cli.main(["derive", "--input", "7", "--kernel", "3", "--padding", "1:2:3", "--no-proofs"]) == 2
    captured = capsys.readouterr()
    assert "got '1:2:3'" in captured.err and captured.out == ""


def test_derive_still_takes_low_high_pairs(capsys):
    assert cli.main(["derive", "--input", "7,7", "--kernel", "3,3", "--padding", "1:2,0:1", "--no-proofs"]) == 0
    assert "padding ((1, 2), (0, 1))" in capsys.readouterr().out


@pytest.mark.parametrize("channels", [[], ["--in-channels", "2", "--out-channels", "2"]])
def test_derive_groups_zero_says_it_must_be_at_least_one(channels, capsys):
    assert cli.main(["derive", "--input", "7", "--kernel", "3", "--groups", "0", "--no-proofs", *channels]) == 2
    assert "--groups must be >= 1; got 0" in capsys.readouterr().err


def test_verify_fails_on_an_unwritable_json_path_before_running_any_check(monkeypatch, capsys):
    def must_not_run(*args, **kwargs):
        raise AssertionError("checks ran before the --json path was checked")

    monkeypatch.setattr(verify_command, "_verify_all", must_not_run)
    assert cli.main(["verify", "--json", "/nonexistent/x.json"]) == 2
    captured = capsys.readouterr()
    assert "cannot write --json /nonexistent/x.json" in captured.err and "does not exist" in captured.err


@pytest.mark.parametrize("argv", [["verify", "--trials", "0"], ["verify", "--only", "no-such-entry"]])
def test_verify_prints_errors_to_stderr(argv, capsys):
    assert cli.main(argv) == 2
    captured = capsys.readouterr()
    assert "linop verify: error:" in captured.err and "error" not in captured.out
