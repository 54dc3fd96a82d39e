"""The import contract: layers point down, no circle of imports runs between two packages.

The layers and the allowed hand-ups are declared once, in ``pyproject.toml``
(``[tool.importlinter]``); import-linter checks them, and so do the tests here on linop's
own import graph read from the source (``tests/support/imports.py``, lazy imports
included), which also tell a module-level import from one inside a function.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.support.imports import cycles, edges, modules
from tests.support.paths import ROOT

PACKAGE = ROOT / "linop"
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
LAYERS_CONTRACT = next(c for c in CONFIG["contracts"] if c["type"] == "layers")

#: The numeric core: it never imports an extra at module level.
CORE = ("arguments", "deprecation", "errors", "immutable", "_version", "geometry", "backends", "operators")


def _layer_of() -> dict[str, int]:
    """Each package or module directly under linop, by its layer (0: the top)."""
    rank = {}
    for level, layer in enumerate(LAYERS_CONTRACT["layers"]):
        for name in layer.replace("|", ":").split(":"):
            rank[name.strip()] = level
    return rank


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "(root)"


def _hand_ups() -> set[tuple[str, str]]:
    return {tuple(part.strip() for part in rule.split("->")) for rule in LAYERS_CONTRACT["ignore_imports"]}


def _cross_package_cycles(package_dir: Path) -> list[list[str]]:
    graph = [(e.importer, e.imported) for e in edges(package_dir)]
    return [c for c in cycles(modules(package_dir), graph) if len({_package(m) for m in c}) > 1]


def _core_imports_of_extras(package_dir: Path) -> list[str]:
    rank = _layer_of()
    hand_ups = _hand_ups()
    found = []
    for e in edges(package_dir):
        a, b = _package(e.importer), _package(e.imported)
        above = a in CORE and b in rank and rank[b] < rank[a]
        if above and (e.top_level or (e.importer, e.imported) not in hand_ups):
            where = "at module level" if e.top_level else "outside the declared hand-ups"
            found.append(f"{e.importer}:{e.line} imports {e.imported} {where}")
    return found


def test_every_package_of_linop_has_a_layer():
    rank = _layer_of()
    packages = {_package(m) for m in modules(PACKAGE)} - {"(root)"}
    assert packages <= set(rank), packages - set(rank)


def test_no_import_circle_spans_two_packages():
    """Lazy imports included: a hand-up from the core leads to a module that never imports the core back."""
    assert _cross_package_cycles(PACKAGE) == []


def test_the_core_imports_no_extra_except_through_the_declared_hand_ups():
    assert _core_imports_of_extras(PACKAGE) == []


def test_every_hand_up_is_inside_a_function():
    hand_ups = _hand_ups()
    for e in edges(PACKAGE):
        if (e.importer, e.imported) in hand_ups:
            assert not e.top_level, f"{e.importer}:{e.line} hands up to {e.imported} at module level"


def test_import_linter_keeps_every_contract():
    result = subprocess.run(
        [sys.executable, "-c", "from importlinter.cli import lint_imports_command; lint_imports_command()"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "Contracts: 2 kept, 0 broken" in result.stdout


@pytest.fixture(scope="module")
def broken_copy(tmp_path_factory) -> Path:
    """A copy of linop whose ``operators/base.py`` imports an extra at module level (one that
    imports the operators back: a circle through two packages)."""
    root = tmp_path_factory.mktemp("broken")
    shutil.copytree(PACKAGE, root / "linop", ignore=shutil.ignore_patterns("__pycache__", "*.so", "_kernels"))
    base = root / "linop" / "operators" / "base.py"
    text = base.read_text()
    base.write_text(
        text.replace(
            "from __future__ import annotations\n",
            "from __future__ import annotations\n\nfrom ..formula.operator import FormulaOperator  # noqa: F401\n",
            1,
        )
    )
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    return root


def test_the_contract_fails_when_a_core_module_imports_an_extra_at_module_level(broken_copy):
    assert any(
        "linop.operators.base" in line and "at module level" in line
        for line in _core_imports_of_extras(broken_copy / "linop")
    )
    result = subprocess.run(
        [sys.executable, "-c", "from importlinter.cli import lint_imports_command; lint_imports_command()"],
        cwd=broken_copy,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(broken_copy), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode != 0 and "BROKEN" in result.stdout, result.stdout[-2000:]


def test_the_cycle_check_finds_a_circle_through_two_packages(broken_copy):
    # formula.operator imports the operators' base, which now imports it back
    assert any(
        {"operators", "formula"} <= {_package(m) for m in c} for c in _cross_package_cycles(broken_copy / "linop")
    )
