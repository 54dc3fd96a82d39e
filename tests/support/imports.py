"""linop's import graph, read from the source (no module is imported): for the architecture tests.

Every ``import`` and ``from ... import`` statement of every module of a package becomes an
edge ``(importer, imported module, at_module_level)``; ``from package import name`` points
at the submodule ``package.name`` when there is one. Statements under
``if TYPE_CHECKING:`` are left out: they never run.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Edge", "cycles", "edges", "module_name", "modules"]


@dataclass(frozen=True)
class Edge:
    """``importer`` imports ``imported``; ``top_level``: at module level (not inside a function or class)."""

    importer: str
    imported: str
    top_level: bool
    line: int


def module_name(path: Path, root: Path) -> str:
    """The dotted name of the module at ``path`` under the directory ``root`` holding the package."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules(package_dir: Path) -> dict[str, Path]:
    """Every module of the package at ``package_dir``, by dotted name."""
    root = package_dir.parent
    return {module_name(p, root): p for p in sorted(package_dir.rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _statements(tree: ast.Module) -> Iterator[tuple[ast.stmt, bool]]:
    """Every import statement with whether it runs at module level."""

    def visit(node: ast.AST, top: bool) -> Iterator[tuple[ast.stmt, bool]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                yield from (item for stmt in child.orelse for item in visit_one(stmt, top))
                continue
            yield from visit_one(child, top)

    def visit_one(child: ast.AST, top: bool) -> Iterator[tuple[ast.stmt, bool]]:
        if isinstance(child, (ast.Import, ast.ImportFrom)):
            yield child, top
        elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            yield from visit(child, False)
        else:
            yield from visit(child, top)

    yield from visit(tree, True)


def edges(package_dir: Path) -> list[Edge]:
    """The import edges among the modules of the package at ``package_dir`` (imports of other
    packages are left out)."""
    known = modules(package_dir)
    package = package_dir.name
    out = []
    for name, path in known.items():
        is_package = path.name == "__init__.py"
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for stmt, top in _statements(tree):
            for target in _targets(stmt, name, is_package, known):
                if target.split(".")[0] == package and target != name:
                    out.append(Edge(name, target, top, stmt.lineno))
    return out


def _targets(stmt: ast.stmt, name: str, is_package: bool, known: dict[str, Path]) -> Iterable[str]:
    if isinstance(stmt, ast.Import):
        return [alias.name for alias in stmt.names]
    assert isinstance(stmt, ast.ImportFrom)
    if stmt.level:
        base = name.split(".") if is_package else name.split(".")[:-1]
        base = base[: len(base) - (stmt.level - 1)]
        source = ".".join(base + ([stmt.module] if stmt.module else []))
    else:
        source = stmt.module or ""
    targets = []
    for alias in stmt.names:
        candidate = f"{source}.{alias.name}"
        targets.append(candidate if candidate in known else source)
    return targets


def cycles(nodes: Iterable[str], graph_edges: Iterable[tuple[str, str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan's algorithm)."""
    graph: dict[str, list[str]] = {n: [] for n in nodes}
    for a, b in graph_edges:
        graph.setdefault(a, []).append(b)
        graph.setdefault(b, [])
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def connect(v: str) -> None:
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return found
