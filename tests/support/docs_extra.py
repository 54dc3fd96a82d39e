"""Run Python as if only linop and its ``docs`` extra were installed: the other installed packages cannot be imported.

The test environment holds every extra, so a docs build there cannot tell whether
``pip install '.[docs]'`` is enough. This module reads pyproject.toml, follows the
requirements of the core dependencies and of the docs extra through the installed
packages' metadata (markers and extras evaluated as pip does: the closure pip would
install), and installs an import hook that refuses every top-level module that belongs
to an installed distribution outside that closure, with the ``ModuleNotFoundError`` a
fresh venv would give. Optional imports (``try: import torch``) then take their fallback,
as they would there. The standard library and modules of no distribution (linop, the
docs extension, scripts) are never refused.

``python tests/support/docs_extra.py sphinx ARGS`` runs ``python -m sphinx ARGS`` that way;
``python tests/support/docs_extra.py imports`` imports what the build imports (the extensions and
theme of docs/conf.py, every API module, the modules the examples, proofs and figure
scripts import at their top) without building, and prints each one refused.
"""

from __future__ import annotations

import ast
import importlib
import importlib.abc
import importlib.metadata as metadata
import runpy
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

# Computed here, not taken from tests.support.paths: this file also runs as a script, with only
# its own directory on sys.path.
ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"

#: Frameworks the docs extra must not pull in (each is large; the pages import them lazily).
HEAVY = ("torch", "jax", "jaxlib", "pylops", "tensorflow")


def project_requirements(extra: str = "docs") -> tuple[str, list[Requirement]]:
    """The project's canonical name and the requirements ``pip install '.[extra]'`` starts from.

    Self-references such as ``linop[plot]`` inside an extra are followed to those extras.
    """
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    name = canonicalize_name(project["name"])
    optional = project.get("optional-dependencies", {})
    requirements = [Requirement(spec) for spec in project.get("dependencies", [])]
    pending, seen = [extra], set()
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        for requirement in map(Requirement, optional[current]):
            if canonicalize_name(requirement.name) == name:
                pending.extend(requirement.extras)
            else:
                requirements.append(requirement)
    return name, requirements


def installed_closure(requirements: list[Requirement]) -> set[str]:
    """The canonical names of the installed distributions that ``requirements`` pull in, transitively.

    A requirement whose marker is false here (another platform or Python, an extra not
    asked for) pulls nothing; a distribution that is not installed ends the chain (it
    cannot be imported either way).
    """
    closure: set[str] = set()
    visited: set[tuple[str, str]] = set()
    pending = [(requirement, "") for requirement in requirements]
    while pending:
        requirement, extra = pending.pop()
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": extra}):
            continue
        name = canonicalize_name(requirement.name)
        extras = {""} | {canonicalize_name(e) for e in requirement.extras}
        try:
            distribution = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        closure.add(name)
        for wanted in extras:
            if (name, wanted) in visited:
                continue
            visited.add((name, wanted))
            for spec in distribution.requires or ():
                pending.append((Requirement(spec), wanted))
    return closure


def refused_modules(extra: str = "docs") -> dict[str, list[str]]:
    """Top-level module names of installed distributions outside the extra's closure, with their distributions."""
    project, requirements = project_requirements(extra)
    allowed = installed_closure(requirements) | {project}
    refused = {}
    for module, distributions in metadata.packages_distributions().items():
        names = {canonicalize_name(d) for d in distributions}
        if not names & allowed and module not in sys.stdlib_module_names:
            refused[module] = sorted(names)
    return refused


class DocsExtraOnly(importlib.abc.MetaPathFinder):
    """An import hook that refuses the modules of :func:`refused_modules`, recording each refusal."""

    def __init__(self, refused: dict[str, list[str]]):
        self.refused = refused
        self.attempts: dict[str, list[str]] = {}

    def find_spec(self, fullname, path, target=None):
        top = fullname.partition(".")[0]
        if top in self.refused:
            self.attempts[top] = self.refused[top]
            raise ModuleNotFoundError(
                f"No module named {fullname!r} (installed here by {', '.join(self.refused[top])}, "
                "which linop's docs extra does not install)",
                name=fullname,
            )
        return None


def install(extra: str = "docs") -> DocsExtraOnly:
    """Put the hook first on ``sys.meta_path`` (modules imported before stay importable)."""
    hook = DocsExtraOnly(refused_modules(extra))
    sys.meta_path.insert(0, hook)
    return hook


def script_imports(script: Path) -> list[str]:
    """The absolute modules a script imports at its top level (read from its source, not run)."""
    modules = []
    for node in ast.parse(script.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Import):
            modules += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module != "__future__":
            modules.append(node.module)
    return modules


def build_imports() -> list[str]:
    """The modules a docs build imports: the extensions and theme of docs/conf.py, every API
    module, and what the examples (and the demos they run), the proofs and the figure scripts
    import at their top."""
    conf = runpy.run_path(str(DOCS / "conf.py"))
    modules = list(conf["extensions"]) + [conf["html_theme"]] + list(conf["API_MODULES"])
    examples = sorted((ROOT / "examples").glob("*.py"))
    modules += [f"linop.demos.{path.stem}" for path in examples]
    scripts = (
        examples + sorted((ROOT / "proofs").glob("[0-9][0-9]_*.py")) + sorted((DOCS / "figures").glob("make_*.py"))
    )
    for script in scripts:
        modules += [module for module in script_imports(script) if module not in modules]
    return modules


def check_imports() -> list[str]:
    """Import every module of :func:`build_imports`; the failures, one line each."""
    failures = []
    for module in build_imports():
        try:
            importlib.import_module(module)
        except ImportError as exc:
            failures.append(f"{module}: {exc}")
    return failures


def main(argv: list[str]) -> int:
    """``sphinx ARGS``: the docs build under the hook; ``imports``: :func:`check_imports`, one failure a line."""
    sys.path.insert(0, str(ROOT))
    install()
    if argv[:1] == ["sphinx"]:
        from sphinx.cmd.build import main as sphinx_main

        return sphinx_main(argv[1:])
    if argv[:1] == ["imports"]:
        failures = check_imports()
        print("\n".join(failures))
        return 1 if failures else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
