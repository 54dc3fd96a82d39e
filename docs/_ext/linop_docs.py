"""Pages of linop's documentation that are generated when the site builds.

* The API reference: one page per module of ``API_MODULES`` (``docs/conf.py``) with a
  table of its ``__all__``, and one page per public name (autosummary).  A module that
  cannot be imported, or has no ``__all__``, stops the build with a message that says
  which module and why: never an empty page.
* The proofs: every ``proofs/NN_*.py`` is run and its certificate (Markdown with LaTeX)
  becomes the page ``proofs/NN_*.md``; a proof that fails stops the build.
* The gallery's figures: the examples write PNG files (``--out DIR``); the scraper
  :func:`example_figures` hands them to sphinx-gallery, so nothing is committed.

Generated files live in ``docs/api/``, ``docs/proofs/`` and ``docs/auto_examples/``
(ignored by git) and are rewritten only when their text changes.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import io
import os
import pkgutil
import runpy
import shutil
import sys
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.pycode import ModuleAnalyzer

DOCS = Path(__file__).resolve().parents[1]
ROOT = DOCS.parent
PROOFS = ROOT / "proofs"

#: Set to 1 to run the examples at full size in the docs build (slower).
FULL_EXAMPLES_VARIABLE = "LINOP_DOCS_FULL_EXAMPLES"

#: The order of the gallery: the lecture's matrix first, then the three stories.
EXAMPLE_ORDER = ["lecture_matrix", "deblurring", "super_resolution", "backprop_is_adjoint"]


def write_if_changed(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` unless it already holds exactly that (keeps rebuilds incremental)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


# -- the API reference -------------------------------------------------------------------------


def public_names(module_name: str) -> list[str]:
    """The ``__all__`` of ``module_name``; the build stops if it cannot be imported or has none."""
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ExtensionError(
            f"API_MODULES in docs/conf.py lists {module_name!r}, which cannot be imported: {exc}. "
            "Install the extra that provides it (pip install -e '.[test]' installs every extra) "
            "or remove it from API_MODULES."
        ) from exc
    names = getattr(module, "__all__", None)
    if not names:
        raise ExtensionError(
            f"API_MODULES in docs/conf.py lists {module_name!r}, which has no __all__; "
            "its public names must be listed there to get API pages."
        )
    return [name for name in names if not name.startswith("_")]


def api_owners(modules: list[str]) -> dict[str, dict[str, str]]:
    """For each module, its public names mapped to the full name of the page documenting them.

    An object exported by several modules gets one page, under the first module of
    ``modules`` that exports it; the others link to that page.
    """
    owner_of: dict[int, str] = {}
    owners: dict[str, dict[str, str]] = {}
    for module_name in modules:
        module = importlib.import_module(module_name)
        owners[module_name] = {}
        for name in public_names(module_name):
            obj = getattr(module, name)
            full = f"{module_name}.{name}"
            # Plain data (numbers, strings, tuples) is never shared between names.
            key = id(obj) if callable(obj) or isinstance(obj, type) else id(full)
            owners[module_name][name] = owner_of.setdefault(key, full)
    return owners


def module_page(module_name: str, owned: dict[str, str]) -> str:
    """The reST page of one module: its docstring, then a table of its public names."""
    title = module_name
    mine = [name for name, page in owned.items() if page == f"{module_name}.{name}"]
    shared = [page for name, page in owned.items() if page != f"{module_name}.{name}"]
    lines = [
        title,
        "=" * len(title),
        "",
        f".. automodule:: {module_name}",
        "   :no-members:",
        "",
        f".. currentmodule:: {module_name}",
        "",
    ]
    if mine:
        lines += [".. autosummary::", "   :toctree: generated", "   :nosignatures:", ""]
        lines += [f"   {name}" for name in mine] + [""]
    if shared:
        lines += [
            "Also exported here, documented under the name shown:",
            "",
            ".. autosummary::",
            "   :nosignatures:",
            "",
        ]
        lines += [f"   {page}" for page in shared] + [""]
    return "\n".join(lines)


def write_api_pages(app: Sphinx) -> None:
    """Write ``api/index.rst`` and one page per module of ``API_MODULES``."""
    modules = list(app.config.linop_api_modules)
    owners = api_owners(modules)
    api = DOCS / "api"
    index = [
        "API reference",
        "=============",
        "",
        "Every public name of linop, module by module (each module's ``__all__``).",
        "",
        ".. toctree::",
        "   :maxdepth: 1",
        "",
    ]
    index += [f"   {module_name}" for module_name in modules]
    write_if_changed(api / "index.rst", "\n".join(index) + "\n")
    for module_name in modules:
        write_if_changed(api / f"{module_name}.rst", module_page(module_name, owners[module_name]))
    # Pages of modules or names no longer listed would be orphans (a warning, so an error).
    pages = {page for owned in owners.values() for page in owned.values()}
    remove_stale(api, {"index", *modules})
    remove_stale(api / "generated", pages)
    # Sphinx listed the source files before this hook ran; autosummary generates the stubs
    # of the files on that list only, so a page written just now (every page, in a fresh
    # checkout) must be put on it, or its names get no stub pages.
    app.env.find_files(app.config, app.builder)


def remove_stale(directory: Path, keep: set[str]) -> None:
    """Delete the generated ``.rst`` and ``.md`` pages in ``directory`` whose names are not in ``keep``."""
    if not directory.is_dir():
        return
    for path in directory.iterdir():
        if path.suffix in (".rst", ".md") and path.stem not in keep:
            path.unlink()


def api_page_names(modules: list[str]) -> dict[str, str]:
    """Every public name ``module.name`` mapped to the full name whose page documents it."""
    return {f"{module}.{name}": page for module, owned in api_owners(modules).items() for name, page in owned.items()}


def defining_comment(name: str, obj: object) -> list[str] | None:
    """The ``#:`` comment of a constant re-exported by a package, from the module that defines it.

    Autodoc looks for the comment in the package's ``__init__`` only and otherwise shows
    the docstring of the value's type (``int``, ``tuple``); this finds the comment in
    the submodule that holds the same object under the same name.
    """
    package_name, _, attr = name.rpartition(".")
    package = sys.modules.get(package_name)
    if package is None or not hasattr(package, "__path__"):
        return None
    for info in pkgutil.iter_modules(package.__path__, package_name + "."):
        module = importlib.import_module(info.name)
        if getattr(module, attr, None) is not obj:
            continue
        comment = ModuleAnalyzer.for_module(info.name).find_attr_docs().get(("", attr))
        if comment:
            return list(comment)
    return None


def constant_docstring(app: Sphinx, what: str, name: str, obj: object, options: object, lines: list[str]) -> None:
    """Give a re-exported constant its own comment instead of its type's docstring."""
    if what not in ("data", "attribute") or not name.startswith("linop."):
        return
    type_doc = inspect.getdoc(type(obj)) or ""
    if lines and "\n".join(lines).strip() != type_doc.strip():
        return
    comment = defining_comment(name, obj)
    if comment:
        lines[:] = comment


def constructor_signature(
    app: Sphinx,
    what: str,
    name: str,
    obj: object,
    options: object,
    signature: str | None,
    return_annotation: str | None,
):
    """Show the constructor's parameters for linop's classes.

    scipy's ``LinearOperator`` defines ``__new__(cls, *args, **kwargs)``, which autodoc
    prefers to ``__init__``; every operator would read ``Convolution(*args, **kwargs)``.
    """
    if what != "class" or not name.startswith("linop.") or signature != "(*args, **kwargs)":
        return None
    try:
        parameters = list(inspect.signature(obj.__init__).parameters.values())[1:]
    except (TypeError, ValueError):
        return None
    shown = [parameter.replace(annotation=inspect.Parameter.empty) for parameter in parameters]
    return str(inspect.Signature(shown)), return_annotation


# -- the proofs --------------------------------------------------------------------------------


def proof_scripts() -> list[Path]:
    """The proof scripts, ``proofs/NN_*.py``, in order."""
    return sorted(PROOFS.glob("[0-9][0-9]_*.py"))


def run_proof(script: Path) -> str:
    """Run one proof script in this process and return the certificate it printed.

    Raises
    ------
    sphinx.errors.ExtensionError
        If the script raises or exits with a non-zero status (its statement is not proved).
    """
    out = io.StringIO()
    status = 0
    with contextlib.redirect_stdout(out):
        try:
            runpy.run_path(str(script), run_name="__main__")
        except SystemExit as exc:
            status = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except Exception as exc:
            raise ExtensionError(f"proof script proofs/{script.name} raised {exc!r}") from exc
    if status != 0:
        raise ExtensionError(f"proof script proofs/{script.name} exited with status {status}:\n{out.getvalue()}")
    return out.getvalue()


def proof_page(script: Path, certificate: str) -> str:
    """The Markdown page of one proof: the certificate, then the script that printed it."""
    return (
        f"{certificate.rstrip()}\n\n"
        "## The script\n\n"
        f"This page is the output of `python proofs/{script.name}` (run when the documentation "
        "was built; the script exits with status 0 only when every check holds):\n\n"
        f"```{{literalinclude}} ../../proofs/{script.name}\n:language: python\n```\n"
    )


def write_proof_pages(app: Sphinx) -> None:
    """Run every proof script and write ``proofs/index.md`` and one page per script."""
    scripts = proof_scripts()
    pages = DOCS / "proofs"
    for script in scripts:
        write_if_changed(pages / f"{script.stem}.md", proof_page(script, run_proof(script)))
    index = [
        "# Proofs",
        "",
        "One runnable script per statement of the lecture, in `proofs/`. Each checks its statement in",
        "exact arithmetic with `linop.symbolic` and prints a certificate (statement, steps, verdict) in",
        "Markdown with LaTeX; the pages below are those certificates, produced by running the scripts",
        "when this site was built.",
        "",
        "```{toctree}",
        ":maxdepth: 1",
        "",
        *[script.stem for script in scripts],
        "```",
        "",
    ]
    write_if_changed(pages / "index.md", "\n".join(index))
    remove_stale(pages, {"index", *(script.stem for script in scripts)})


# -- figures drawn by scripts -------------------------------------------------------------------


def draw_figures(app: Sphinx) -> None:
    """Run every ``figures/make_NAME.py`` and have it draw ``figures/NAME.png`` (not committed).

    Each script's ``main(path)`` draws its figure from linop's own code, so the picture
    shows what the code does at the time of the build.
    """
    for script in sorted((DOCS / "figures").glob("make_*.py")):
        target = script.with_name(script.stem.removeprefix("make_") + ".png")
        try:
            runpy.run_path(str(script))["main"](target)
        except Exception as exc:
            raise ExtensionError(f"{script.name} failed to draw {target.name}: {exc!r}") from exc


# -- the gallery -------------------------------------------------------------------------------


def figure_directory(src_file: str | os.PathLike) -> Path:
    """Where the docs build has the example ``src_file`` write its PNG figures."""
    return DOCS / "auto_examples" / "_figures" / Path(src_file).stem


def example_arguments(gallery_conf: dict, script_vars: dict) -> list[str]:
    """The command line sphinx-gallery gives each example: quick sizes, figures into a fresh directory.

    With the environment variable ``LINOP_DOCS_FULL_EXAMPLES=1`` the examples run at
    their full sizes (the numbers quoted in their text), which takes about ten seconds more.
    """
    out = figure_directory(script_vars["src_file"])
    shutil.rmtree(out, ignore_errors=True)
    full = os.environ.get(FULL_EXAMPLES_VARIABLE, "") not in ("", "0")
    # sphinx-gallery runs the example from its own directory; a relative path keeps the
    # build machine's directories out of the printed output.
    relative = os.path.relpath(out, Path(script_vars["src_file"]).parent)
    return ["--out", relative] if full else ["--quick", "--out", relative]


def example_figures(block, block_vars: dict, gallery_conf: dict) -> str:
    """sphinx-gallery image scraper: the PNG files the example wrote into its figure directory.

    The figures of a code block are those written while it ran, oldest first.
    """
    from sphinx_gallery.scrapers import figure_rst

    seen = block_vars.setdefault("linop_figures_seen", set())
    out = figure_directory(block_vars["src_file"])
    pngs = out.glob("*.png") if out.is_dir() else ()
    written = sorted((p for p in pngs if p not in seen), key=lambda p: (p.stat().st_mtime_ns, p.name))
    targets = []
    for png, target in zip(written, block_vars["image_path_iterator"]):
        shutil.copyfile(png, target)
        seen.add(png)
        targets.append(target)
    return figure_rst(targets, gallery_conf["src_dir"])


class ExampleOrder:
    """sphinx-gallery sort key: the examples in :data:`EXAMPLE_ORDER`, then any others by name."""

    def __init__(self, src_dir: str):
        self.src_dir = src_dir

    def __call__(self, filename: str) -> tuple[int, str]:
        stem = Path(filename).stem
        return (EXAMPLE_ORDER.index(stem) if stem in EXAMPLE_ORDER else len(EXAMPLE_ORDER), stem)

    def __repr__(self) -> str:
        return "ExampleOrder"


def setup(app: Sphinx) -> dict:
    """Register the generators; they run before Sphinx reads the sources."""
    app.add_config_value("linop_api_modules", [], "env")
    app.connect("builder-inited", write_api_pages, priority=400)  # before autosummary reads them
    app.connect("builder-inited", write_proof_pages)
    app.connect("builder-inited", draw_figures)
    app.connect("autodoc-process-docstring", constant_docstring, priority=400)
    app.connect("autodoc-process-signature", constructor_signature, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
