"""A progress bar for the iterations of a solver: shown when a person is watching, silent otherwise."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["iteration_progress"]


class _Silent:
    def update(self, iteration: int, residual: float) -> None:
        pass


class _Bar:
    def __init__(self, progress, task):
        self.progress, self.task = progress, task

    def update(self, iteration: int, residual: float) -> None:
        self.progress.update(self.task, completed=iteration, residual=residual)


@contextmanager
def iteration_progress(name: str, limit: int, show: bool | None) -> Iterator[_Silent | _Bar]:
    """A context whose ``update(iteration, residual)`` advances a rich progress bar.

    ``show=None`` shows the bar only on an interactive terminal or in Jupyter (never in
    logs, pipes or tests); ``True`` / ``False`` force it on or off.
    """
    from rich.console import Console

    console = Console(stderr=True)
    if show is None:
        show = console.is_terminal or console.is_jupyter
    if not show:
        yield _Silent()
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("residual {task.fields[residual]:.3e}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task(name, total=limit, residual=float("nan"))
        yield _Bar(progress, task)
