"""Read every file and learn its plan facts, then vet with libcst the files the analysis
will parse, both in the guarded workers (under their memory and CPU-time limits), `jobs`
at a time, and both through the cache (same bytes, same path, same sellerscan and parse
limits: the same answer).

1. **Facts** of every file: CPython's parser reads them when it can (`scanner.plan.quick`),
   libcst otherwise, which also says why a file cannot be analysed at all.
2. **Check**: only the files of the groups the analysis needs, and only those whose facts
   came from CPython's parser, are parsed by libcst in a worker before the scan parses
   them in its own process. A file that fails here is reported as skipped then.

Workers send back only small verdicts, never a syntax tree. When the files to read come
to at most `IN_PROCESS_BYTES` (a warm re-scan after an edit), CPython's parser reads them
in this process: starting a worker costs more than that, and once the shape check has
passed that parser is fast and small on any input (it refuses the pathological shapes
itself, which then go to libcst in a worker). Without isolation everything runs in this
process, and files read by libcst keep their tree for the analysis."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from scanner.cache.store import ResultCache, digest
from scanner.discover.files import SourceFile
from scanner.model import SkippedFile
from scanner.options import ParseLimits
from scanner.parse.text import load_text
from scanner.plan.filefacts import FileFacts
from scanner.plan.quick import quick_facts
from scanner.plan.tasks import examine
from scanner.workers.pool import Failed, GuardedPool, Limits

if TYPE_CHECKING:  # without importing libcst
    from scanner.parse.source import ParsedFile

IN_PROCESS_BYTES = 256 * 1024
FILE_NAMESPACE = "file-facts-v2"
CHECK_NAMESPACE = "libcst-check"
_CHECKED = "parses"
"""The cached verdict of a file libcst parses within the limits."""


@dataclass
class Examined:
    """Every file read, with its facts or why it cannot be analysed."""

    facts: dict[str, FileFacts] = field(default_factory=dict)
    texts: dict[str, tuple[SourceFile, str]] = field(default_factory=dict)
    hashes: dict[str, str] = field(default_factory=dict)
    """relpath -> key of its content (for the per-group cache keys)."""
    skipped: list[SkippedFile] = field(default_factory=list)
    trees: dict[str, ParsedFile] = field(default_factory=dict)
    """Files parsed by libcst in this process (without isolation), kept for the analysis."""
    parsed: set[str] = field(default_factory=set)
    """Files parsed in this run (not taken from the cache)."""
    full_parsed: set[str] = field(default_factory=set)
    """Files parsed by libcst in this run."""
    rejected: dict[str, SkippedFile] = field(default_factory=dict)
    """Files with facts that libcst then could not parse within the limits."""
    vetted: set[str] = field(default_factory=set)
    """Files read by CPython's parser that libcst then parsed within the limits."""
    from_cache: int = 0


class Examiner:
    """The two phases of the module docstring over one project, sharing one pool."""

    def __init__(self, limits: ParseLimits, jobs: int, cache: ResultCache, fingerprint: str,
                 report: Callable[[int, int, str], None]) -> None:
        self.limits = limits
        self.jobs = jobs
        self.cache = cache
        self.report = report
        self.limits_key = repr(dataclasses.replace(limits, isolated=True, worker_memory_bytes=0,
                                                   worker_cpu_seconds=0))
        self.fingerprint = fingerprint
        self.out = Examined()
        self._pool: GuardedPool | None = None

    def examine(self, files: list[SourceFile]) -> Examined:
        """Phase 1: the facts of every file of `files`."""
        out = self.out
        todo: list[str] = []
        for source in files:
            text = load_text(source, self.limits)
            if isinstance(text, SkippedFile):
                out.skipped.append(text)
                continue
            rel = source.relpath
            out.texts[rel] = (source, text)
            out.hashes[rel] = digest(self.fingerprint, self.limits_key, rel, text)
            known = self.cache.get(FILE_NAMESPACE, out.hashes[rel])
            if isinstance(known, (FileFacts, SkippedFile)):
                out.from_cache += 1
                self._keep(known)
            else:
                todo.append(rel)
        if not self.limits.isolated:
            for number, rel in enumerate(todo, 1):
                self.report(number, len(todo), f"reading {rel}")
                self._remember(rel, self._examine_here(rel))
            return out
        if sum(len(out.texts[rel][1]) for rel in todo) <= IN_PROCESS_BYTES:
            quick = {rel: quick_facts(rel, out.texts[rel][1], self.limits) for rel in todo}
            for rel, facts in quick.items():
                if facts is not None:
                    self._remember(rel, facts)
            todo = [rel for rel, facts in quick.items() if facts is None]
        tasks = [(rel, (rel, out.texts[rel][1], self.limits)) for rel in todo]
        for number, (rel, verdict) in enumerate(self._run(examine, tasks), 1):
            self.report(number, len(tasks), f"reading {rel}")
            if isinstance(verdict, Failed):
                out.parsed.add(rel)
                out.skipped.append(_failure(rel, verdict, self.limits))
            else:
                if isinstance(verdict, SkippedFile) or verdict.checked:
                    out.full_parsed.add(rel)
                self._remember(rel, verdict)
        return out

    def cleared(self, rel: str) -> bool:
        """Whether the analysis may parse `rel` in this process now."""
        facts = self.out.facts.get(rel)
        return facts is not None and (facts.checked or rel in self.out.vetted
                                      or not self.limits.isolated)

    def check(self, rels: Iterable[str], idle: Callable[[], bool] | None = None) -> None:
        """Phase 2: make sure libcst parses each file of `rels` within the limits before
        the analysis parses it here (`rejected` says which do not); `idle`: the caller's
        work, done while the workers do theirs (see `GuardedPool.run`)."""
        out = self.out
        todo: list[str] = []
        for rel in sorted(set(rels)):
            facts = out.facts.get(rel)
            if facts is None or facts.checked or rel in out.rejected or not self.limits.isolated:
                continue
            known = self.cache.get(CHECK_NAMESPACE, out.hashes[rel])
            if known == _CHECKED:
                out.vetted.add(rel)
                continue
            if isinstance(known, SkippedFile):
                out.rejected[rel] = known
            else:
                todo.append(rel)
        if not todo:
            return
        from scanner.parse.guarded import vet_valid_python3

        tasks = [(rel, (rel, out.texts[rel][1], self.limits)) for rel in todo]
        for number, (rel, verdict) in enumerate(self._run(vet_valid_python3, tasks, idle), 1):
            self.report(number, len(tasks), f"parsing {rel}")
            out.full_parsed.add(rel)
            if isinstance(verdict, Failed):
                out.rejected[rel] = _failure(rel, verdict, self.limits)
            elif isinstance(verdict, SkippedFile):
                out.rejected[rel] = verdict
                self.cache.put(CHECK_NAMESPACE, out.hashes[rel], verdict)
            else:
                out.vetted.add(rel)
                self.cache.put(CHECK_NAMESPACE, out.hashes[rel], _CHECKED)

    def close(self) -> None:
        """End the workers."""
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    def _run(self, function: Callable[[tuple[str, str, ParseLimits]], Any],
             tasks: list[tuple[str, tuple[str, str, ParseLimits]]],
             idle: Callable[[], bool] | None = None) -> Iterable[tuple[str, Any]]:
        if not tasks:
            return []
        if self._pool is None:
            limits = self.limits
            pool_limits = Limits(limits.worker_memory_bytes, limits.worker_cpu_seconds,
                                 wall_seconds=4.0 * limits.worker_cpu_seconds)
            self._pool = GuardedPool(min(self.jobs, len(tasks)), pool_limits,
                                     preload=(examine.__module__,))
        return self._pool.run(function, tasks, idle)

    def _examine_here(self, rel: str) -> FileFacts | SkippedFile:
        """Phase 1 in this process (no isolation): libcst's tree is kept when it is built."""
        source, text = self.out.texts[rel]
        quick = quick_facts(rel, text, self.limits)
        if quick is not None:
            return quick
        from scanner.parse.source import ParsedFile, parse_source_text
        from scanner.plan.facts import file_facts

        self.out.full_parsed.add(rel)
        parsed = parse_source_text(source, text, self.limits)
        if isinstance(parsed, ParsedFile):
            self.out.trees[rel] = parsed
            return file_facts(parsed)
        return parsed

    def _remember(self, rel: str, outcome: FileFacts | SkippedFile) -> None:
        self.out.parsed.add(rel)
        self.cache.put(FILE_NAMESPACE, self.out.hashes[rel], outcome)
        self._keep(outcome)

    def _keep(self, outcome: FileFacts | SkippedFile) -> None:
        if isinstance(outcome, SkippedFile):
            self.out.skipped.append(outcome)
        else:
            self.out.facts[outcome.relpath] = outcome


def _failure(rel: str, failed: Failed, limits: ParseLimits) -> SkippedFile:
    from scanner.parse.guarded import failure_reason

    return failure_reason(rel, failed, limits)
