"""The README's Python examples run as written (in order, sharing one namespace)."""

from __future__ import annotations

import pathlib
import re

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_readme_python_examples_run():
    blocks = python_blocks(README.read_text())
    assert len(blocks) >= 3
    namespace: dict = {}
    for i, block in enumerate(blocks):
        try:
            exec(compile(block, f"README.md python block {i + 1}", "exec"), namespace)
        except Exception as exc:  # pragma: no cover - the message is the point
            raise AssertionError(f"README python block {i + 1} failed: {exc!r}\n{block}") from exc


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
