"""Progress bars for `run` and `gate`: one overall bar with the time left, one for the phase under way."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


class RichProgress:
    """The runner's progress (`runner.Progress`) as rich bars.

    The overall bar counts items over every checkpoint × suite of the command (`total_items`): an item
    counts when it is generated (the main work), and a run's remaining items count when it ends (cached
    or reused ones at once), so the estimated time left follows the real work. The phase bar shows what
    is happening now: loading a model, generating, log-likelihoods, each metric.
    """

    def __init__(self, progress: Progress, *, total_items: int, runs: int) -> None:
        self.progress = progress
        self.runs, self.runs_done = runs, 0
        self.overall: TaskID | None = progress.add_task("overall", total=max(total_items, 1)) if runs else None
        self.task: TaskID | None = None
        self._counting = False
        self._before = 0  # overall items done before the current run
        self._run_items = 0
        self._run_done = 0

    def run_started(self, label: str, n_items: int) -> None:
        self._run_items, self._run_done = n_items, 0
        if self.overall is not None:
            run_no = min(self.runs_done + 1, self.runs)
            self.progress.update(self.overall, description=f"overall · run {run_no} of {self.runs}: {label}")

    def run_finished(self) -> None:
        self._before += self._run_items
        self.runs_done += 1
        if self.overall is not None:
            self.progress.update(self.overall, completed=self._before)

    def start(self, description: str, total: int, *, counts: bool = False) -> None:
        self.task = self.progress.add_task(description, total=total or None)
        self._counting = counts

    def advance(self, n: int = 1) -> None:
        if self.task is not None:
            self.progress.advance(self.task, n)
        if self._counting and self.overall is not None:
            self._run_done = min(self._run_items, self._run_done + n)
            self.progress.update(self.overall, completed=self._before + self._run_done)

    def done(self) -> None:
        if self.task is not None:
            self.progress.remove_task(self.task)
            self.task = None
        self._counting = False


@contextmanager
def progress_bars(console: Console, *, total_items: int, runs: int, disable: bool) -> Iterator[RichProgress]:
    """Bars that vanish when done (the results stay on screen), drawn on `console`."""
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=disable,
    ) as bars:
        yield RichProgress(bars, total_items=total_items, runs=runs)
