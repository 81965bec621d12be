"""The progress bar of a grading run (rich, on stderr): done/total, failures so far, ETA."""

from __future__ import annotations

import sys

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


class GradingProgress:
    """Counts graded notebooks; ``failed`` ones (stopped, timed out, sandbox errors) too.

    Use as a context manager; ``log`` prints above the bar."""

    def __init__(self, total: int, enabled: bool = True) -> None:
        self.total, self.done, self.failures = total, 0, 0
        self.console = Console(stderr=True)
        self.bar = Progress(
            TextColumn("grading"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("failures: {task.fields[failures]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=self.console,
            disable=not enabled or total == 0,
            transient=False,
        )
        self.task = self.bar.add_task("grading", total=total, failures=0)

    def __enter__(self) -> GradingProgress:
        self.bar.start()
        return self

    def __exit__(self, *exc) -> None:
        self.bar.stop()

    def advance(self, failed: bool) -> None:
        self.done += 1
        self.failures += bool(failed)
        self.bar.update(self.task, advance=1, failures=self.failures)

    def log(self, message: str) -> None:
        if self.bar.disable:
            print(message, file=sys.stderr)
        else:
            self.bar.console.print(message, markup=False, highlight=False)
