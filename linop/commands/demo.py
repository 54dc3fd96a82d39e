"""``linop demo``: run the worked examples, show their progress, tabulate what they measured."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..demos import DEMOS, DemoReport, load_demo
from ..demos.script import DEFAULT_OUT, figure_directory


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo",
        help="run the worked examples (quick sizes) and print what they measured",
        description="Run the worked examples (the lecture's matrix, deblurring, super-resolution, "
        "backpropagation is the adjoint) at quick sizes, show their progress, print a table of the "
        "measured results and where the figures went. Exit status 1 if a demo's claim failed.",
    )
    p.add_argument("--full", action="store_true", help="the full sizes of the example scripts (about a minute)")
    p.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        metavar="DIR",
        help=f"directory for the PNG figures (default: ./{DEFAULT_OUT})",
    )
    p.add_argument("--no-figures", action="store_true", help="measure and print only")
    p.add_argument(
        "--only", nargs="+", choices=DEMOS, metavar="NAME", help=f"run only these demos ({', '.join(DEMOS)})"
    )
    p.set_defaults(handler=run)


def _run_all(names: list[str], quick: bool, out_dir: Path | None, console: Console) -> list[tuple[DemoReport, float]]:
    results = []
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        overall = progress.add_task("demos", total=len(names))
        for name in names:
            module = load_demo(name)
            progress.update(overall, description=f"{name}: starting")

            def log(message: str, name: str = name) -> None:
                progress.update(overall, description=f"{name}: {message}")

            start = time.perf_counter()
            report = module.run(quick=quick, out_dir=out_dir, log=log)
            seconds = time.perf_counter() - start
            results.append((report, seconds))
            progress.advance(overall)
            mark = "[green]ok[/green]" if report.ok else "[red]FAILED[/red]"
            console.print(f"{mark} {name} ({seconds:.1f} s)")
    return results


def _measurements_table(results: list[tuple[DemoReport, float]]) -> Table:
    table = Table(title="Measured results", show_lines=False)
    table.add_column("demo", style="bold")
    table.add_column("measurement")
    table.add_column("value", justify="right")
    for report, _ in results:
        for i, m in enumerate(report.measurements):
            table.add_row(
                report.name if i == 0 else "", m.label, m.formatted(), end_section=i == len(report.measurements) - 1
            )
    return table


def _claims_table(results: list[tuple[DemoReport, float]]) -> Table:
    table = Table(title="Claims checked")
    table.add_column("demo", style="bold")
    table.add_column("claim")
    table.add_column("holds", justify="center")
    for report, _ in results:
        for i, c in enumerate(report.claims):
            table.add_row(
                report.name if i == 0 else "",
                c.statement,
                "[green]yes[/green]" if c.holds else "[red]NO[/red]",
                end_section=i == len(report.claims) - 1,
            )
    return table


def run(args: argparse.Namespace) -> int:
    out_dir = figure_directory(args.out, args.no_figures)
    names = list(args.only) if args.only else list(DEMOS)
    console = Console()
    quick = not args.full
    console.print(f"Running {len(names)} demo{'s' if len(names) > 1 else ''} at {'quick' if quick else 'full'} sizes")
    results = _run_all(names, quick, out_dir, console)
    console.print(_measurements_table(results))
    console.print(_claims_table(results))
    figures = [path for report, _ in results for path in report.figures]
    plain: dict[str, Any] = dict(soft_wrap=True, markup=False, highlight=False)  # paths and notes exactly as they are
    if figures:
        assert out_dir is not None, "figures are written only when there is a figure directory"
        console.print(f"Figures ({len(figures)}) written to {out_dir.resolve()}:", **plain)
        for path in figures:
            console.print(f"  {path}", **plain)
    notes = sorted({note for report, _ in results for note in report.notes})
    for note in notes:
        console.print(f"note: {note}", **plain)
    if quick:
        console.print("These are the quick sizes; `linop demo --full` or `python examples/NAME.py` run the full ones.")
    return 0 if all(report.ok for report, _ in results) else 1
