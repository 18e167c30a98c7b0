"""A one-line progress indicator for long scans, shown on stderr only when it helps."""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Callable
from types import TracebackType
from typing import TextIO, final

from scanner.report.common import printable


@final
class Progress:
    """`with Progress(enabled, stream) as p: p.update(done, total, label)`.

    Nothing is written unless `enabled` (the CLI passes "stderr is a TTY") and the scan
    has been running for `delay` seconds; the line is redrawn in place with `\\r` at most
    every `interval` seconds, and cleared on exit.
    """

    def __init__(
        self,
        enabled: bool,
        stream: TextIO | None = None,
        *,
        delay: float = 1.0,
        interval: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.enabled = enabled
        self.stream = stream if stream is not None else sys.stderr
        self.delay = delay
        self.interval = interval
        self.clock = clock
        self._start = clock()
        self._last = float("-inf")
        self._width = 0

    def __enter__(self) -> Progress:
        self._start = self.clock()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.clear()

    def update(self, done: int, total: int, label: str = "") -> None:
        """Report that `done` of `total` items are finished, `label` being the current one."""
        if not self.enabled:
            return
        now = self.clock()
        if now - self._start < self.delay or now - self._last < self.interval:
            return
        self._last = now
        percent = f"{100 * done // total:3d}%" if total > 0 else "   "
        line = f"sellerscan {percent} [{done}/{total}] "
        room = max(shutil.get_terminal_size((80, 24)).columns - 1 - len(line), 0)
        label = printable(label)
        if len(label) > room:
            label = "\u2026" + label[len(label) - room + 1:] if room > 1 else ""
        line += label
        self.stream.write("\r" + line + " " * max(self._width - len(line), 0))
        self.stream.flush()
        self._width = len(line)

    def clear(self) -> None:
        """Erase the indicator line, if one was drawn."""
        if self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
            self._width = 0
