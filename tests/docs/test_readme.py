"""The README: its Python examples run as doctests (in order, one namespace), and it opens
with the two set-up commands, the second of which is what CI runs."""

from __future__ import annotations

import re

from tests.support.doc_blocks import python_blocks, run_markdown_blocks
from tests.support.paths import README


def test_readme_python_examples_run_and_print_what_they_show():
    assert run_markdown_blocks(README) >= 4


def test_readme_has_one_doctest_example_per_job():
    blocks = [block for _, block in python_blocks(README.read_text())]
    assert all(">>>" in block for block in blocks)
    for call in ("linop.Convolution(", "linop.verify(", "symbolic.Convolution("):
        assert any(call in block for block in blocks), call


def test_readme_stays_short():
    assert len(README.read_text().splitlines()) <= 210


def setup_commands(text: str) -> list[str]:
    block = re.search(r"```bash\n(.*?)```", text, flags=re.S).group(1)
    return [line.split("#")[0].strip() for line in block.strip().splitlines()]


def test_readme_opens_with_two_setup_commands_and_ci_runs_the_test_one():
    commands = setup_commands(README.read_text())
    assert len(commands) == 2
    assert commands[0].startswith("pip install . && linop ")
    assert "pytest" in commands[1]
    ci = (README.parent / ".ci" / "run").read_text()
    assert commands[1] in ci
