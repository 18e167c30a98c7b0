"""Vet a file in a guarded worker process (under memory and CPU-time limits) before the
scan parses it itself, so no single file can exhaust the machine or hang the scan.

The worker parses the file with libcst (after the shape check) and sends back only a
small verdict; the scan then parses the vetted file in its own process (a libcst tree
costs about as much to send between processes as to build). A file that makes its
worker run out of memory or time is listed as `too-much-memory` or `too-slow`."""

from __future__ import annotations

from pathlib import Path

from scanner.discover.files import SourceFile
from scanner.model import SkippedFile, SkipReason
from scanner.options import ParseLimits
from scanner.parse.source import parse_valid_python3
from scanner.workers.pool import Failed

VetTask = tuple[str, str, ParseLimits]


def vet_valid_python3(task: VetTask) -> SkippedFile | None:
    """In a worker: parse one file's text that CPython's parser accepted (see
    `parse_valid_python3`); None when libcst parses it too, else why not."""
    relpath, text, limits = task
    outcome = parse_valid_python3(SourceFile(Path(relpath), relpath), text, limits)
    return outcome if isinstance(outcome, SkippedFile) else None


def failure_reason(relpath: str, failed: Failed, limits: ParseLimits) -> SkippedFile:
    """Why a file whose worker ran out of memory or time (or died) is not analysed."""
    if failed.kind == "memory":
        return SkippedFile(relpath, SkipReason.TOO_MUCH_MEMORY,
                           f"parsing needs more than {limits.worker_memory_bytes // 1024**2} MB "
                           f"(--parse-memory-limit): {failed.detail}")
    if failed.kind == "time":
        return SkippedFile(relpath, SkipReason.TOO_SLOW,
                           f"parsing takes more than {limits.worker_cpu_seconds} s "
                           f"(--parse-time-limit): {failed.detail}")
    return SkippedFile(relpath, SkipReason.PARSER_FAILURE, failed.detail)

