"""Sphinx configuration of linop's documentation.

Build it with ``python -m sphinx -W -b html docs <output directory>`` from the
repository root (``pip install -e '.[docs]'`` installs the tools).  At build time
``docs/_ext/linop_docs.py`` writes the API pages (from ``__all__`` of every module in
:data:`API_MODULES`) and one page per proof script (from the script's own output), and
sphinx-gallery runs ``examples/`` to draw the figures.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
# The checkout's linop, also when an older linop is installed elsewhere.
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(DOCS / "_ext"))

import linop  # noqa: E402

project = "linop"
author = "the linop authors"
copyright = "the linop authors"
release = linop.__version__
version = ".".join(release.split(".")[:2])

#: The modules whose ``__all__`` becomes the API reference, in this order; a name
#: exported by several of them gets its page under the first.  One line per module.
API_MODULES = [
    "linop",
    "linop.geometry",
    "linop.operators",
    "linop.operators.blocking",
    "linop.arguments",
    "linop.immutable",
    "linop.backends",
    "linop.backends.compiled",
    "linop.verification",
    "linop.verification.spaces",
    "linop.testing",
    "linop.testing.strategies",
    "linop.symbolic",
    "linop.formula",
    "linop.formula.catalogue",
    "linop.plot",
    "linop.demos",
    "linop.interop",
    "linop.interop.torch",
    "linop.interop.torch_conversion",
    "linop.interop.torch_layers",
    "linop.interop.jax",
    "linop.interop.pylops",
    "linop.interop.odl",
    "linop.interop.sigpy",
    "linop.interop.physics",
    "linop.interop.pair",
    "linop.interop.foreign",
    "linop.interop.array_api",
    "linop.solvers",
    "linop.dask",
]
linop_api_modules = API_MODULES

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
    "linop_docs",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
templates_path = ["_templates"]
exclude_patterns = [
    "_build",
    "**.ipynb_checkpoints",
    "auto_examples/*.ipynb",
    "auto_examples/*.py",
    "auto_examples/*.zip",
    "auto_examples/*.json",
    "auto_examples/*.md5",
]
nitpicky = True
# Names in signatures and type annotations that have no page of their own.
nitpick_ignore_regex = [
    # Other projects' names: intersphinx is off (the build needs no network).
    (
        r"py:.*",
        r"(numpy|np|scipy|sympy|sp|hypothesis|matplotlib|dask|distributed|torch|jax|pylops|odl|sigpy|deepinv|zarr|array_api_compat|rich)(\..*)?",
    ),
    (r"py:.*", r"(collections\.abc|typing|pathlib|os|argparse|dataclasses)(\..*)?"),
    # linop's internal modules (named in the docstrings of the public ones) have no pages.
    ("py:mod", r"linop\..*"),
    ("py:class", r"(optional|default.*|array_like|array-like|scalar|callable|iterable|sequence|mapping|ndarray)"),
]

# The proof certificates and benchmarks/README.md go from "#" to "###" by design.
suppress_warnings = ["myst.header"]

# -- MyST: the guide pages and the proof certificates are Markdown with $...$ math --------------
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3

# -- autodoc, autosummary, numpydoc -----------------------------------------------------------
autosummary_generate = True
autosummary_imported_members = True
autodoc_default_options = {"member-order": "bysource"}
autodoc_typehints = "none"  # the numpydoc sections state the types
numpydoc_show_class_members = False  # the class template lists the members
numpydoc_class_members_toctree = False
numpydoc_show_inherited_class_members = False
numpydoc_attributes_as_param_list = False
# Regressions in the key sections fail the build (-W): every public function and class
# needs a docstring, every parameter documented with a description, a Returns section
# (functions that return something), and an Examples section.  Methods and
# attributes are shown on their class's page; they need a docstring only.
numpydoc_validation_checks = {"GL08", "PR01", "PR02", "PR07", "RT01", "EX01"}
numpydoc_validation_exclude = {
    r"\.__init__$",  # the class docstring documents the constructor
    r"\._[^.]*$",  # private members
    r"\.[A-Z]\w*\.\w+$",  # methods and attributes of a class
    r"\.[A-Z][A-Z0-9_]*$",  # constants: their comment says what they hold
    r"^linop\.geometry\.PaddingSpec$",  # a type alias
}

# -- intersphinx is OFF: the build needs no network. ------------------------------------------

# -- sphinx-gallery over examples/ ------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r".*\.py$",  # run every example, not only plot_*.py
    "reset_argv": "linop_docs.example_arguments",
    "within_subsection_order": "linop_docs.ExampleOrder",
    "image_scrapers": ("linop_docs.example_figures",),
    "download_all_examples": False,
    "remove_config_comments": True,
    "write_computation_times": False,
    "plot_gallery": "True",
}

# -- HTML ---------------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"linop {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
}
html_static_path: list[str] = []
os.environ.setdefault("MPLBACKEND", "Agg")
