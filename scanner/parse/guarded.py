"""Parse a project's files with every file first vetted in a worker process under memory
and CPU-time limits, so no single file can exhaust the machine or hang the scan.

A worker runs the whole parse of a file (shape check, Python 2 translation, libcst) and
sends back only a small verdict; the scan then parses the vetted files itself (a libcst
tree costs about as much to send between processes as to build). A file that makes its
worker run out of memory or time is listed as `too-much-memory` or `too-slow`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from scanner.discover.files import SourceFile
from scanner.model import SkippedFile, SkipReason
from scanner.options import ParseLimits
from scanner.parse.source import ParsedFile, load_text, parse_source_text
from scanner.workers.pool import Failed, GuardedPool, Limits, worker_count

VetTask = tuple[str, str, ParseLimits]


def vet(task: VetTask) -> SkippedFile | None:
    """In a worker: parse one file's text; None when it parses, else why not."""
    relpath, text, limits = task
    outcome = parse_source_text(SourceFile(Path(relpath), relpath), text, limits)
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


def parse_files(files: list[SourceFile], limits: ParseLimits,
                report: Callable[[int, int, str], None]) -> tuple[list[ParsedFile], list[SkippedFile]]:
    """Every file parsed (in path order) or listed as skipped with its reason."""
    parsed: list[ParsedFile] = []
    skipped: list[SkippedFile] = []
    texts: dict[str, tuple[SourceFile, str]] = {}
    for source in files:
        text = load_text(source, limits)
        if isinstance(text, SkippedFile):
            skipped.append(text)
        else:
            texts[source.relpath] = (source, text)
    if not limits.isolated:
        for number, (source, text) in enumerate(texts.values(), 1):
            report(number, len(texts), f"parsing {source.relpath}")
            _keep(parse_source_text(source, text, limits), parsed, skipped)
        return parsed, skipped
    pool_limits = Limits(limits.worker_memory_bytes, limits.worker_cpu_seconds,
                         wall_seconds=4.0 * limits.worker_cpu_seconds)
    tasks = [(rel, (rel, text, limits)) for rel, (_, text) in texts.items()]
    pool = GuardedPool(min(worker_count(), len(tasks)), pool_limits, preload=(__name__,))
    try:
        for number, (rel, verdict) in enumerate(pool.run(vet, tasks), 1):
            report(number, len(tasks), f"parsing {rel}")
            if isinstance(verdict, Failed):
                skipped.append(failure_reason(rel, verdict, limits))
            elif isinstance(verdict, SkippedFile):
                skipped.append(verdict)
            else:
                source, text = texts[rel]
                _keep(parse_source_text(source, text, limits), parsed, skipped)
    finally:
        pool.close()
    parsed.sort(key=lambda p: p.relpath)
    return parsed, skipped


def _keep(outcome: ParsedFile | SkippedFile, parsed: list[ParsedFile], skipped: list[SkippedFile]) -> None:
    if isinstance(outcome, SkippedFile):
        skipped.append(outcome)
    else:
        parsed.append(outcome)
