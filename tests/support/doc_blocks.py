"""Running the Python code blocks of Markdown documents (the README, the user guide) as tests,
and the list of API modules of the documentation.

A ```` ```python ```` block that contains ``>>>`` prompts is a doctest: its printed output
must match. Any other Python block is run as written. The blocks of one document share
one namespace, in order, as a reader who pastes them one after the other would.
"""

from __future__ import annotations

import ast
import doctest
import re
from pathlib import Path

from tests.support.paths import DOCS

PYTHON_BLOCK = re.compile(r"^```python\n(.*?)^```", flags=re.S | re.M)

#: Output comparison as in numpy's own doctests: runs of spaces and line breaks compare equal.
OPTIONS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def python_blocks(text: str) -> list[tuple[int, str]]:
    """The ``python`` code blocks of a Markdown text, with the line number each starts on."""
    return [(text.count("\n", 0, match.start()) + 2, match.group(1)) for match in PYTHON_BLOCK.finditer(text)]


def run_markdown_blocks(path: Path) -> int:
    """Run every Python block of the Markdown file ``path``; return how many ran.

    Raises
    ------
    AssertionError
        For the first block whose doctest output differs or whose code raises, with the
        file, the line and what happened.
    """
    namespace: dict = {"__name__": f"doc_{path.stem}"}
    blocks = python_blocks(path.read_text(encoding="utf-8"))
    parser = doctest.DocTestParser()
    for line, block in blocks:
        where = f"{path.name}, block at line {line}"
        if ">>>" in block:
            test = parser.get_doctest(block, namespace, where, str(path), line - 1)
            report: list[str] = []
            runner = doctest.DocTestRunner(optionflags=OPTIONS)
            result = runner.run(test, out=report.append, clear_globs=False)
            namespace.update(test.globs)  # DocTest works on a copy of the namespace
            if result.failed:
                raise AssertionError(f"doctest failed in {where}:\n" + "".join(report))
        else:
            try:
                exec(compile(block, where, "exec"), namespace)
            except Exception as exc:
                raise AssertionError(f"{where} raised {exc!r}:\n{block}") from exc
    return len(blocks)


def api_modules() -> list[str]:
    """``API_MODULES`` of docs/conf.py (read, not executed: it is a literal list)."""
    tree = ast.parse((DOCS / "conf.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "API_MODULES" for t in node.targets):
            return ast.literal_eval(node.value)
    raise AssertionError("docs/conf.py has no API_MODULES list")
