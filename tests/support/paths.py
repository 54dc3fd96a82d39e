"""The repository's directories, for tests that read or run files outside the package.

Every path a test needs is computed here, once, from this file's place
(``tests/support/paths.py``), so that moving a test never changes what it finds.
"""

from __future__ import annotations

from pathlib import Path

#: The repository root: pyproject.toml, README.md and the ``linop`` package.
ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "linop"
PYPROJECT = ROOT / "pyproject.toml"
README = ROOT / "README.md"
CI_RUN = ROOT / ".ci" / "run"
TESTS = ROOT / "tests"
SUPPORT = TESTS / "support"
DATA = TESTS / "data"
DOCS = ROOT / "docs"
GUIDE = DOCS / "guide"
EXAMPLES = ROOT / "examples"
PROOFS = ROOT / "proofs"
BENCHMARKS = ROOT / "benchmarks"
