"""The code of the documentation runs: the user guide's Python blocks (doctests where they
show output) and the Examples section of every public docstring."""

from __future__ import annotations

import doctest
import importlib
import inspect

import numpy as np
import pytest

import linop
from tests.support.doc_blocks import OPTIONS, api_modules, run_markdown_blocks
from tests.support.paths import ROOT

GUIDE = sorted((ROOT / "docs" / "guide").glob("*.md"))


def public_objects() -> dict[str, object]:
    """Every public function and class of the API modules, once each, by its documented name."""
    seen: dict[int, str] = {}
    objects: dict[str, object] = {}
    for module_name in api_modules():
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if (inspect.isclass(obj) or inspect.isroutine(obj)) and id(obj) not in seen:
                seen[id(obj)] = f"{module_name}.{name}"
                objects[f"{module_name}.{name}"] = obj
    return objects


PUBLIC = public_objects()


@pytest.mark.parametrize("page", GUIDE, ids=[page.stem for page in GUIDE])
def test_user_guide_page_code_runs_and_prints_what_it_shows(page):
    run_markdown_blocks(page)


def test_every_public_function_and_class_has_an_examples_section():
    missing = [name for name, obj in PUBLIC.items() if ">>>" not in (obj.__doc__ or "")]
    assert not missing, f"no Examples in the docstrings of {missing}"


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_docstring_examples_run_and_print_what_they_show(name):
    finder = doctest.DocTestFinder(recurse=False)
    globs = {"np": np, "linop": linop}  # as in numpy's docs: the examples assume these imports
    tests = [test for test in finder.find(PUBLIC[name], name, globs=globs) if test.examples]
    assert tests, f"{name} has no runnable examples"
    runner = doctest.DocTestRunner(optionflags=OPTIONS)
    for test in tests:
        report: list[str] = []
        result = runner.run(test, out=report.append)
        assert not result.failed, "".join(report)
