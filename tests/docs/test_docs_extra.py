"""``pip install '.[docs]'`` is enough to build the documentation, and pulls no deep-learning framework.

The check runs in the test environment (which holds every extra) by refusing, in a
subprocess, every installed package outside the closure of the docs extra
(tests/support/docs_extra.py), then importing what the docs build imports. tests/docs/test_site.py
builds the whole site under the same refusal.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

pytest.importorskip("packaging", reason="the docs extra is not installed")
pytest.importorskip("sphinx", reason="the docs extra is not installed")

from tests.support import docs_extra  # noqa: E402
from tests.support.paths import ROOT, SUPPORT  # noqa: E402

SCRIPT = SUPPORT / "docs_extra.py"


def run(*code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *code], capture_output=True, text=True, cwd=ROOT, timeout=300)


def test_the_docs_extra_installs_every_module_the_docs_build_imports():
    done = run(str(SCRIPT), "imports")
    assert done.returncode == 0 and not done.stdout.strip(), (
        "modules the docs build imports that pip install '.[docs]' does not install:\n" + done.stdout + done.stderr
    )


def test_the_docs_build_imports_the_optional_layers_it_documents():
    modules = docs_extra.build_imports()
    for module in ("linop.dask", "linop.testing.strategies", "linop.interop.torch", "linop.dask.halo"):
        assert module in modules


def test_the_docs_extra_pulls_no_deep_learning_framework():
    _, requirements = docs_extra.project_requirements("docs")
    pulled = docs_extra.installed_closure(requirements)
    assert {"hypothesis", "dask"} <= pulled
    assert not pulled & set(docs_extra.HEAVY), sorted(pulled & set(docs_extra.HEAVY))


def test_a_package_outside_the_extra_cannot_be_imported_under_the_guard():
    code = (
        f"import sys; sys.path.insert(0, {str(SCRIPT.parent)!r}); import docs_extra; docs_extra.install()\n"
        "import numpy, sphinx, hypothesis, dask.array\n"
        "try:\n    import torch\nexcept ModuleNotFoundError as exc:\n    print(exc)\n"
    )
    done = run("-c", code)
    assert done.returncode == 0, done.stderr
    assert "No module named 'torch' (installed here by torch, which linop's docs extra does not install)" in done.stdout


def test_the_closure_follows_extras_and_markers_as_pip_does():
    from packaging.requirements import Requirement

    with_array = docs_extra.installed_closure([Requirement("dask[array]")])
    assert "numpy" in with_array and "dask" in with_array
    assert "numpy" not in docs_extra.installed_closure([Requirement("dask")])
    assert not docs_extra.installed_closure([Requirement("numpy; python_version < '3'")])
