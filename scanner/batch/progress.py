"""What a batch shows while it runs: one line per finished app on standard error, and on
a terminal a progress bar with the time remaining (rich) below those lines."""

from __future__ import annotations

import sys
from types import TracebackType
from typing import TextIO, final

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from scanner.batch.app import AppRow
from scanner.report.common import printable


def app_line(done: int, total: int, row: AppRow) -> str:
    """The line shown when an app is finished (control characters escaped)."""
    if row.status == "scanned":
        what = f"{row.findings} violation(s), {row.files_not_analysed} file(s) not analysed"
    else:
        what = f"error: {row.error}"
    return printable(f"sellerscan: [{done}/{total}] {row.name}: {what} ({row.scan_seconds:.1f} s)")


@final
class BatchProgress:
    """`with BatchProgress(total) as p: ... p.done(n, total, row)`: the per-app lines, plus a
    bar with an ETA when `stream` (default: standard error) is a terminal."""

    def __init__(self, total: int, stream: TextIO | None = None,
                 terminal: bool | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        is_tty = terminal if terminal is not None else self.stream.isatty()
        self.console = Console(file=self.stream, force_terminal=is_tty, highlight=False,
                               markup=False, emoji=False) if is_tty else None
        self.bar: Progress | None = None
        self.total = total
        self.task = TaskID(0)

    def __enter__(self) -> BatchProgress:
        if self.console is not None:
            self.bar = Progress(TextColumn("sellerscan batch"), BarColumn(), MofNCompleteColumn(),
                                TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                                console=self.console, transient=True)
            self.bar.start()
            self.task = self.bar.add_task("apps", total=self.total)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.bar is not None:
            self.bar.stop()

    def done(self, done: int, total: int, row: AppRow) -> None:
        """Show that `row`'s app is finished (`done` of `total`)."""
        line = app_line(done, total, row)
        if self.bar is not None and self.console is not None:
            self.console.print(line, markup=False, highlight=False)
            self.bar.update(self.task, completed=done)
        else:
            self.stream.write(line + "\n")
            self.stream.flush()
