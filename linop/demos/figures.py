"""Whether a demo draws its figures, and saving them into its report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .. import plot
from .findings import DemoReport

__all__ = ["figures_wanted", "save_into_report"]


def figures_wanted(report: DemoReport, out_dir: Path | None) -> bool:
    """True when figures were asked for (``out_dir`` given) and matplotlib is installed.

    When they were asked for but matplotlib is missing, the report gets a note that
    says how to install it; the demo still measures and prints everything else.
    """
    if out_dir is None:
        return False
    if not plot.matplotlib_available():
        report.notes.append(f"figures skipped: matplotlib is not installed ({plot.INSTALL_HINT})")
        return False
    return True


def save_into_report(report: DemoReport, fig: Any, out_dir: Path, filename: str) -> Path:
    """Save ``fig`` as ``out_dir/filename`` (a PNG) and list it in the report."""
    path = plot.save_figure(fig, Path(out_dir) / filename)
    report.figures.append(path)
    return path
