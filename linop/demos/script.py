"""The command line every demo shares: ``[--quick] [--out DIR] [--no-figures]``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from .findings import DemoReport, format_report

__all__ = ["DEFAULT_OUT", "Log", "DemoRun", "build_parser", "figure_directory", "run_script"]

#: Where figures go unless ``--out`` says otherwise (relative to the working directory).
DEFAULT_OUT = Path("linop-figures")

#: A function that receives progress messages ("solving with lsqr").
Log = Callable[[str], None]

#: The signature of a demo's ``run`` function.
DemoRun = Callable[..., DemoReport]


def build_parser(description: str, prog: str | None = None) -> argparse.ArgumentParser:
    """The argument parser of a demo script."""
    parser = argparse.ArgumentParser(
        prog=prog, description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="small sizes, a few seconds (what the tests and `linop demo` run)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        metavar="DIR",
        help=f"directory for the PNG figures (default: ./{DEFAULT_OUT})",
    )
    parser.add_argument("--no-figures", action="store_true", help="print the measurements only")
    return parser


def figure_directory(out: Path | None, no_figures: bool) -> Path | None:
    """The directory to write figures to, or None when figures are switched off.

    Raises
    ------
    ValueError
        If ``out`` exists and is not a directory.
    """
    if no_figures or out is None:
        return None
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out must be a directory; {str(out)!r} is a file")
    return out


def run_script(run: DemoRun, description: str, argv: Sequence[str] | None = None, prog: str | None = None) -> int:
    """Parse the demo's command line, run it with progress messages, print its report.

    Returns the exit status: 0 when every claim of the report holds, 1 otherwise,
    2 for bad usage.
    """
    args = build_parser(description, prog).parse_args(argv)
    try:
        out_dir = figure_directory(args.out, args.no_figures)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    report = run(quick=args.quick, out_dir=out_dir, log=lambda message: print(f"... {message}", flush=True))
    print()
    print(format_report(report))
    return 0 if report.ok else 1
