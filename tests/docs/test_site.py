"""The documentation site builds with warnings as errors (nitpicky), and has what it promises:
a page for every public name, one page per proof with its certificate, the gallery with
its figures drawn, and every user-guide page.

The build runs as in a venv holding only ``pip install '.[docs]'`` (tests/support/docs_extra.py
refuses to import the packages the docs extra does not install), so that it passes here
only if it passes there."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.doc_blocks import api_modules
from tests.support.paths import ROOT, SUPPORT

DOCS = ROOT / "docs"
sys.path.insert(0, str(DOCS / "_ext"))
linop_docs = pytest.importorskip("linop_docs", reason="the docs extra is not installed")  # needs Sphinx

EXAMPLES = sorted(path.stem for path in (ROOT / "examples").glob("*.py"))
PROOFS = sorted(path.stem for path in (ROOT / "proofs").glob("[0-9][0-9]_*.py"))


class Build:
    """One ``python -m sphinx -W`` build of docs/ into ``out`` (or the record of an earlier one)."""

    def __init__(self, out: Path):
        self.html = out / "html"
        record = out / "build.json"
        if record.exists():  # built by another pytest-xdist worker of this session
            self.returncode, self.output = json.loads(record.read_text())
            return
        # The gallery keeps its output in docs/auto_examples and skips unchanged examples;
        # removing it makes this build run every example and draw every figure.
        shutil.rmtree(DOCS / "auto_examples", ignore_errors=True)
        command = [
            sys.executable,
            str(SUPPORT / "docs_extra.py"),
            "sphinx",
            "-W",
            "--keep-going",
            "-E",
            "-q",
            "-b",
            "html",
            "-d",
            str(out / "doctrees"),
            str(DOCS),
            str(self.html),
        ]
        done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=600)
        self.returncode, self.output = done.returncode, done.stdout + done.stderr
        record.write_text(json.dumps([self.returncode, self.output]))

    def page(self, relative: str) -> str:
        path = self.html / relative
        assert path.is_file(), f"the site has no {relative}"
        return path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Build:
    """The built site; under pytest-xdist the workers share one build (it writes into docs/)."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return Build(tmp_path_factory.mktemp("docs"))
    import fcntl  # POSIX; pytest-xdist runs are a CI matter

    shared = tmp_path_factory.getbasetemp().parent  # one directory per session, shared by the workers
    with open(shared / "docs-build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        (shared / "docs-site").mkdir(exist_ok=True)
        return Build(shared / "docs-site")


def test_site_builds_with_warnings_as_errors(site):
    assert site.returncode == 0, site.output[-6000:]
    assert "WARNING" not in site.output and "ERROR" not in site.output, site.output[-6000:]


def test_every_public_name_has_an_api_page_that_documents_it(site):
    pages = linop_docs.api_page_names(api_modules())
    for module_name in api_modules():
        assert f'id="module-{module_name}"' in site.page(f"api/{module_name}.html")
    for name, page in pages.items():
        html = site.page(f"api/generated/{page}.html")
        assert f'id="{page}"' in html, f"the page of {name} does not document it"


@pytest.mark.parametrize("proof", PROOFS)
def test_every_proof_has_a_page_with_its_certificate(site, proof):
    html = site.page(f"proofs/{proof}.html")
    assert "Verdict: proved." in html
    assert "\\(" in html or "\\[" in html  # LaTeX for MathJax


@pytest.mark.parametrize("example", EXAMPLES)
def test_gallery_renders_every_example_with_figures_drawn_at_build_time(site, example):
    html = site.page(f"auto_examples/{example}.html")
    image = site.html / "_images" / f"sphx_glr_{example}_001.png"
    assert image.name in html and image.stat().st_size > 5000
    assert "[ok]" in html and "[FAILED]" not in html  # the demo's claims, printed


def test_every_user_guide_page_is_in_the_site(site):
    index = site.page("index.html")
    for page in sorted((DOCS / "guide").glob("*.md")):
        site.page(f"guide/{page.stem}.html")
        assert f"guide/{page.stem}.html" in index, f"guide/{page.name} is not in the table of contents"


def test_benchmark_and_design_pages_are_in_the_site(site):
    assert "benchmarks/run.py" in site.page("benchmarks.html")
    assert "linop.geometry" in site.page("design.html")


def test_an_api_module_that_cannot_be_imported_stops_the_build_with_its_name():
    from sphinx.errors import ExtensionError

    with pytest.raises(ExtensionError, match=r"API_MODULES.*linop\.no_such_module.*cannot be imported"):
        linop_docs.public_names("linop.no_such_module")


def test_an_api_module_without_all_stops_the_build():
    from sphinx.errors import ExtensionError

    with pytest.raises(ExtensionError, match=r"linop\.cli.*no __all__"):
        linop_docs.public_names("linop.cli")


def test_api_pages_show_the_constructor_and_the_comment_of_a_constant(site):
    # scipy's LinearOperator.__new__ would otherwise make every operator read (*args, **kwargs),
    # and a re-exported constant would show the docstring of int or tuple.
    assert "input_shape" in site.page("api/generated/linop.Convolution.html").split("Bases")[0]
    assert "in the order it runs" in site.page("api/generated/linop.verification.CHECK_NAMES.html")
