"""Read every file, then parse and index it (shape check, Python 2 translation, libcst,
per-file facts) in the guarded workers under their memory and CPU-time limits, `jobs`
at a time; a file whose content was seen before (same bytes, same path, same sellerscan
and parse limits) is taken from the cache instead. Workers send back only the small
`FileFacts` (or why the file cannot be analysed), never a syntax tree."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field

from scanner.cache.store import ResultCache, digest
from scanner.discover.files import SourceFile
from scanner.model import SkippedFile
from scanner.options import ParseLimits
from scanner.parse.guarded import failure_reason
from scanner.parse.source import ParsedFile, load_text, parse_source_text
from scanner.plan.facts import FileFacts, examine, file_facts
from scanner.workers.pool import Failed, GuardedPool, Limits

FILE_NAMESPACE = "file-facts"


@dataclass
class Examined:
    """Every file read, with its facts or why it cannot be analysed."""

    facts: dict[str, FileFacts] = field(default_factory=dict)
    texts: dict[str, tuple[SourceFile, str]] = field(default_factory=dict)
    hashes: dict[str, str] = field(default_factory=dict)
    """relpath -> key of its content (for the per-group cache keys)."""
    skipped: list[SkippedFile] = field(default_factory=list)
    trees: dict[str, ParsedFile] = field(default_factory=dict)
    """Files parsed in this process (without isolation), kept for the analysis."""
    parsed: set[str] = field(default_factory=set)
    """Files parsed in this run (not taken from the cache)."""
    from_cache: int = 0


def examine_files(files: list[SourceFile], limits: ParseLimits, jobs: int, cache: ResultCache,
                  fingerprint: str, report: Callable[[int, int, str], None]) -> Examined:
    """Facts of every file of `files` (see the module docstring)."""
    out = Examined()
    limits_key = repr(dataclasses.replace(limits, isolated=True, worker_memory_bytes=0,
                                          worker_cpu_seconds=0))
    todo: list[str] = []
    for source in files:
        text = load_text(source, limits)
        if isinstance(text, SkippedFile):
            out.skipped.append(text)
            continue
        rel = source.relpath
        out.texts[rel] = (source, text)
        out.hashes[rel] = digest(fingerprint, limits_key, rel, text)
        known = cache.get(FILE_NAMESPACE, out.hashes[rel])
        if isinstance(known, (FileFacts, SkippedFile)):
            out.from_cache += 1
            _keep(out, known)
        else:
            todo.append(rel)
    if not limits.isolated:
        for number, rel in enumerate(todo, 1):
            report(number, len(todo), f"parsing {rel}")
            source, text = out.texts[rel]
            parsed = parse_source_text(source, text, limits)
            if isinstance(parsed, ParsedFile):
                out.trees[rel] = parsed
            _remember(out, cache, rel, parsed if isinstance(parsed, SkippedFile) else file_facts(parsed))
        return out
    if not todo:
        return out
    pool_limits = Limits(limits.worker_memory_bytes, limits.worker_cpu_seconds,
                         wall_seconds=4.0 * limits.worker_cpu_seconds)
    tasks = [(rel, (rel, out.texts[rel][1], limits)) for rel in todo]
    pool = GuardedPool(min(jobs, len(tasks)), pool_limits, preload=(examine.__module__,))
    try:
        for number, (rel, verdict) in enumerate(pool.run(examine, tasks), 1):
            report(number, len(tasks), f"parsing {rel}")
            if isinstance(verdict, Failed):
                out.parsed.add(rel)
                out.skipped.append(failure_reason(rel, verdict, limits))
            else:
                _remember(out, cache, rel, verdict)
    finally:
        pool.close()
    return out


def _remember(out: Examined, cache: ResultCache, rel: str, outcome: FileFacts | SkippedFile) -> None:
    out.parsed.add(rel)
    cache.put(FILE_NAMESPACE, out.hashes[rel], outcome)
    _keep(out, outcome)


def _keep(out: Examined, outcome: FileFacts | SkippedFile) -> None:
    if isinstance(outcome, SkippedFile):
        out.skipped.append(outcome)
    else:
        out.facts[outcome.relpath] = outcome
