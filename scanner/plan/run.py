"""The plan: examine every file (workers, cache), group the files by imports, and run
the taint analysis only over the groups that can reach buyer PII, one group at a time
(each group's findings cached under the keys of its files).

Groups are analysed separately, since no name resolves across them; the analysis's
store can still carry PII across groups through a file or a table written by one and
read by another, so when any group wrote PII to one, every group that can call a source
or read a file or table back is analysed again in one run, which decides the findings."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from scanner.cache.store import ResultCache, digest
from scanner.discover.files import SourceFile
from scanner.model import SkippedFile, SkipReason, WorkStats
from scanner.options import ScanOptions, no_progress
from scanner.plan.analyse import Analysis
from scanner.plan.filefacts import FileFacts
from scanner.plan.groups import group_files
from scanner.plan.keys import code_fingerprint, ruleset_digest
from scanner.plan.relevance import needs_of
from scanner.plan.vetting import Examined, Examiner
from scanner.rules.schema import RuleSet
from scanner.workers.pool import worker_count

if TYPE_CHECKING:  # without importing libcst
    from scanner.parse.source import ParsedFile

GROUP_NAMESPACE = "group-findings"
_RESOURCE_LIMITS = (SkipReason.TOO_MUCH_MEMORY, SkipReason.TOO_SLOW)
"""Skips that depend on the worker limits (not in the keys): their groups are not cached."""


@dataclass
class Planned:
    """The analysis of a project, with what it cost."""

    analysis: Analysis
    facts: list[FileFacts]
    """Every parseable file, in path order."""
    skipped: list[SkippedFile] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    work: WorkStats = field(default_factory=WorkStats)


def plan_and_analyse(files: list[SourceFile], root: Path, ruleset: RuleSet,
                     options: ScanOptions, cache: ResultCache) -> Planned:
    """Examine, group and analyse (see the module docstring)."""
    report = options.progress or no_progress
    jobs = options.jobs or worker_count()
    fingerprint = code_fingerprint()
    examiner = Examiner(options.parse_limits, jobs, cache, fingerprint, report)
    try:
        return _plan(examiner, files, root, ruleset, options, cache, fingerprint)
    finally:
        examiner.close()


def _plan(examiner: Examiner, files: list[SourceFile], root: Path, ruleset: RuleSet,
          options: ScanOptions, cache: ResultCache, fingerprint: str) -> Planned:
    examined = examiner.examine(files)
    facts = [examined.facts[rel] for rel in sorted(examined.facts)]
    project = group_files(facts, root.resolve().name)
    needs = needs_of(ruleset)
    by_rel = {f.relpath: f for f in facts}
    words = {g: frozenset().union(*(by_rel[r].words for r in g)) for g in project.groups}
    sourced = [g for g in project.groups if needs.may_source(words[g])]
    runner = _Runner(examiner, root, ruleset, options, cache, project.census,
                     fingerprint, ruleset_digest(ruleset))
    results = runner.results([(g, words[g]) for g in sourced])
    runs = list(zip(sourced, results))
    groups_analysed = len(sourced)
    if any(r.wrote_shared_store for r in results):
        readers = [g for g in project.groups if g in sourced or needs.may_read_store(words[g])]
        if len(readers) > 1:
            combined = tuple(sorted(r for g in readers for r in g))
            union = frozenset().union(*(words[g] for g in readers))
            runs = [(combined, runner.results([(combined, union)])[0])]
            groups_analysed = len(readers)
    analysis = Analysis()
    for _, result in runs:
        analysis.findings.extend(result.findings)
        analysis.failed.extend(result.failed)
        analysis.notes.extend(n for n in result.notes if n not in analysis.notes)
        analysis.budget_hit = analysis.budget_hit or result.budget_hit
        analysis.skipped.extend(s for s in result.skipped if s not in analysis.skipped)
    analysed = sum(len(g) for g, _ in runs)
    work = WorkStats(parsed=len(examined.parsed), full_parsed=len(examined.full_parsed),
                     indexed=len(facts),
                     analysed=analysed, groups=len(project.groups),
                     groups_analysed=groups_analysed,
                     files_from_cache=examined.from_cache, groups_from_cache=runner.cached)
    return Planned(analysis, facts, examined.skipped + analysis.skipped, list(cache.notes), work)


class _Runner:
    """Analyses groups (or a combined run), through the per-group cache."""

    def __init__(self, examiner: Examiner, root: Path, ruleset: RuleSet, options: ScanOptions,
                 cache: ResultCache, census: dict[str, int], fingerprint: str,
                 rules_key: str | None) -> None:
        self.examiner = examiner
        self.examined: Examined = examiner.out
        self.root = root
        self.ruleset = ruleset
        self.options = options
        self.cache = cache
        self.census = census
        self.prefix = None if rules_key is None else digest(
            fingerprint, rules_key, repr(options.limits), root.resolve().name)
        self.cached = 0
        self.trees: dict[str, ParsedFile | SkippedFile] = {}
        """Trees parsed ahead, while the workers vetted other files."""

    def results(self, groups: list[tuple[tuple[str, ...], frozenset[str]]]) -> list[Analysis]:
        """The analysis of each (group, its words): from the cache when the group's files
        are unchanged, else after vetting every file still unvetted (all groups at once,
        so the workers stay busy), parsing and analysing."""
        keys = [self._key(group, words) for group, words in groups]
        known = [None if key is None else self.cache.get(GROUP_NAMESPACE, key) for key in keys]
        missing = [group for (group, _), hit in zip(groups, known) if not isinstance(hit, Analysis)]
        early = list(missing[0]) if missing else []

        def parse_early() -> bool:
            """Parse one file of the first group to analyse that is cleared already (while
            the workers vet the others); whether any of its files is still unparsed."""
            ready = next((rel for rel in early if self.examiner.cleared(rel)), None)
            if ready is not None:
                early.remove(ready)
                self.trees[ready] = self._tree(ready)
            return ready is not None and bool(early)

        self.examiner.check((rel for group in missing for rel in group), idle=parse_early)
        results: list[Analysis] = []
        for (group, _), key, hit in zip(groups, keys, known):
            if isinstance(hit, Analysis):
                self.cached += 1
                results.append(hit)
                continue
            trees = [self.trees.pop(rel) if rel in self.trees else self._tree(rel) for rel in group]
            from scanner.plan.analyse import analyse

            result = analyse([t for t in trees if not isinstance(t, SkippedFile)], self.root,
                             self.ruleset, self.options.limits,
                             self.options.progress or no_progress, self.census)
            result.skipped = [t for t in trees if isinstance(t, SkippedFile)]
            if key is not None and not result.budget_hit and not any(
                    s.reason in _RESOURCE_LIMITS for s in result.skipped):
                self.cache.put(GROUP_NAMESPACE, key, result)
            results.append(result)
        return results

    def _key(self, group: tuple[str, ...], words: frozenset[str]) -> str | None:
        if self.prefix is None:
            return None
        census = sorted((w, min(self.census[w], 2)) for w in words if w in self.census)
        return digest(self.prefix, repr(census),
                      *(f"{rel}\0{self.examined.hashes[rel]}" for rel in group))

    def _tree(self, rel: str) -> ParsedFile | SkippedFile:
        """The syntax tree of a vetted file (parsed here: trees never cross processes), or
        why it has none."""
        if rel in self.examined.rejected:
            return self.examined.rejected[rel]
        tree = self.examined.trees.get(rel)
        if tree is not None:
            return tree
        from scanner.parse.source import parse_source_text, parse_valid_python3

        source, text = self.examined.texts[rel]
        self.examined.full_parsed.add(rel)
        parse = parse_source_text if self.examined.facts[rel].checked else parse_valid_python3
        try:
            outcome = parse(source, text, self.options.parse_limits)
        except MemoryError:
            outcome = SkippedFile(rel, SkipReason.TOO_MUCH_MEMORY, "the parser ran out of memory")
        return outcome
