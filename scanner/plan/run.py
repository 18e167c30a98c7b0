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

from scanner.cache.store import ResultCache, digest
from scanner.discover.files import SourceFile
from scanner.model import SkippedFile, SkipReason, WorkStats
from scanner.options import ScanOptions, no_progress
from scanner.parse.source import ParsedFile, parse_source_text
from scanner.plan.analyse import Analysis, analyse
from scanner.plan.facts import FileFacts
from scanner.plan.groups import group_files
from scanner.plan.keys import code_fingerprint, ruleset_digest
from scanner.plan.relevance import needs_of
from scanner.plan.vetting import Examined, examine_files
from scanner.rules.schema import RuleSet
from scanner.workers.pool import worker_count

GROUP_NAMESPACE = "group-findings"


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
    examined = examine_files(files, options.parse_limits, jobs, cache, fingerprint, report)
    facts = [examined.facts[rel] for rel in sorted(examined.facts)]
    project = group_files(facts, root.resolve().name)
    needs = needs_of(ruleset)
    by_rel = {f.relpath: f for f in facts}
    words = {g: frozenset().union(*(by_rel[r].words for r in g)) for g in project.groups}
    sourced = [g for g in project.groups if needs.may_source(words[g])]
    runner = _Runner(examined, root, ruleset, options, cache, project.census,
                     fingerprint, ruleset_digest(ruleset))
    results = [runner.result(g, words[g]) for g in sourced]
    runs = list(zip(sourced, results))
    groups_analysed = len(sourced)
    if any(r.wrote_shared_store for r in results):
        readers = [g for g in project.groups if g in sourced or needs.may_read_store(words[g])]
        if len(readers) > 1:
            combined = tuple(sorted(r for g in readers for r in g))
            union = frozenset().union(*(words[g] for g in readers))
            runs = [(combined, runner.result(combined, union))]
            groups_analysed = len(readers)
    analysis = Analysis()
    for _, result in runs:
        analysis.findings.extend(result.findings)
        analysis.failed.extend(result.failed)
        analysis.notes.extend(n for n in result.notes if n not in analysis.notes)
        analysis.budget_hit = analysis.budget_hit or result.budget_hit
    analysed = sum(len(g) for g, _ in runs)
    work = WorkStats(parsed=len(examined.parsed | runner.reparsed), indexed=len(facts),
                     analysed=analysed, groups=len(project.groups),
                     groups_analysed=groups_analysed,
                     files_from_cache=examined.from_cache, groups_from_cache=runner.cached)
    return Planned(analysis, facts, examined.skipped + runner.skipped, list(cache.notes), work)


class _Runner:
    """Analyses one group (or a combined run), through the per-group cache."""

    def __init__(self, examined: Examined, root: Path, ruleset: RuleSet, options: ScanOptions,
                 cache: ResultCache, census: dict[str, int], fingerprint: str,
                 rules_key: str | None) -> None:
        self.examined = examined
        self.root = root
        self.ruleset = ruleset
        self.options = options
        self.cache = cache
        self.census = census
        self.prefix = None if rules_key is None else digest(
            fingerprint, rules_key, repr(options.limits), root.resolve().name)
        self.skipped: list[SkippedFile] = []
        self.reparsed: set[str] = set()
        self.cached = 0

    def result(self, group: tuple[str, ...], words: frozenset[str]) -> Analysis:
        """The analysis of `group` (from the cache when its files are unchanged)."""
        key = None
        if self.prefix is not None:
            census = sorted((w, min(self.census[w], 2)) for w in words if w in self.census)
            key = digest(self.prefix, repr(census),
                         *(f"{rel}\0{self.examined.hashes[rel]}" for rel in group))
            known = self.cache.get(GROUP_NAMESPACE, key)
            if isinstance(known, Analysis):
                self.cached += 1
                return known
        parsed = [p for p in (self._tree(rel) for rel in group) if p is not None]
        result = analyse(parsed, self.root, self.ruleset, self.options.limits,
                         self.options.progress or no_progress, self.census)
        if key is not None and not result.budget_hit:
            self.cache.put(GROUP_NAMESPACE, key, result)
        return result

    def _tree(self, rel: str) -> ParsedFile | None:
        """The syntax tree of a vetted file (parsed here: trees never cross processes)."""
        tree = self.examined.trees.get(rel)
        if tree is not None:
            return tree
        source, text = self.examined.texts[rel]
        self.reparsed.add(rel)
        try:
            outcome = parse_source_text(source, text, self.options.parse_limits)
        except MemoryError:
            outcome = SkippedFile(rel, SkipReason.TOO_MUCH_MEMORY, "the parser ran out of memory")
        if isinstance(outcome, SkippedFile):
            self.skipped.append(outcome)
            return None
        return outcome
