"""The pipeline: discover -> plan (parse and index in workers, group, cache) -> analyse the
groups that can reach PII (resolve, propagate, policy) -> findings."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from scanner.cache.store import ResultCache
from scanner.discover.files import Discovery, find_files
from scanner.model import EngineRun, EngineStatus, ScanResult, SkippedFile, SkipReason
from scanner.options import ScanOptions
from scanner.plan.run import plan_and_analyse
from scanner.policy.evaluate import rule_infos
from scanner.rules.loader import load_rulesets
from scanner.rules.schema import RuleSet
from scanner.semgrep.config import SemgrepRules, load_semgrep_rules
from scanner.semgrep.engine import SemgrepJob

THREAD_STACK_BYTES = 512 * 1024 * 1024
RECURSION_LIMIT = 20_000


class ScanInputError(Exception):
    """A path given to scan does not exist or cannot be read."""


def scan_root(paths: list[Path], root: Path | None) -> Path:
    """The directory every reported path is relative to."""
    if root is not None:
        return root.resolve()
    resolved = [p.resolve() for p in paths]
    dirs = [p if p.is_dir() else p.parent for p in resolved]
    return Path(os.path.commonpath([str(d) for d in dirs]))


def run_pipeline(options: ScanOptions, discovery: Discovery | None = None) -> ScanResult:
    """Run every stage; see `scanner.api.run_scan`. `discovery`: what `find_files` found
    for exactly these options, when the caller has it already.

    Parsing and analysis run in a thread with a large stack, so that deeply nested
    (possibly hostile) code cannot overflow the interpreter's or the parser's stack."""
    missing = [str(p) for p in options.paths if not p.exists()]
    if missing:
        raise ScanInputError(f"no such file or directory: {', '.join(missing)}")
    if not options.paths:
        raise ScanInputError("nothing to scan: give at least one path")
    results: list[ScanResult] = []
    ruleset = load_rulesets(options.rulesets, options.include_bundled_rulesets,
                            options.max_ruleset_bytes)
    semgrep_rules = load_semgrep_rules(options.rulesets, options.include_bundled_rulesets, ruleset)
    run_with_big_stack(lambda: results.append(_stages(options, ruleset, semgrep_rules, discovery)))
    return results[0]


def _stages(options: ScanOptions, ruleset: RuleSet, semgrep_rules: SemgrepRules,
            discovery: Discovery | None) -> ScanResult:
    root = scan_root(options.paths, options.root)
    if discovery is None:
        discovery = find_files(options.paths, root, options.excludes, options.default_excludes)
    files, notes = discovery.files, discovery.notes
    semgrep = SemgrepJob.start(semgrep_rules, options.semgrep, root, options.paths, files,
                               options.excludes, options.default_excludes,
                               options.parse_limits.max_file_bytes)
    cache = ResultCache(options.cache_dir)
    try:
        planned = plan_and_analyse(files, root, ruleset, options, cache)
    finally:
        cache.close()
    analysis, skipped = planned.analysis, planned.skipped
    skipped.extend(discovery.skipped)
    for path, reason in analysis.failed:
        skipped.append(SkippedFile(path, SkipReason.TOO_DEEP, reason))
    if analysis.budget_hit:
        notes.append("the analysis stopped at its work budget; results may be incomplete")
    notes.extend(analysis.notes)
    notes.extend(planned.notes)
    python2 = [f.relpath for f in planned.facts if f.python2]
    notes.extend(f"{path}: analysed as Python 2 (translated in memory; lines as in the file)"
                 for path in python2)
    extra, semgrep_run, semgrep_notes = semgrep.finish(ruleset, analysis.findings, skipped)
    findings = sorted(analysis.findings + extra, key=lambda f: f.sort_key)
    notes.extend(semgrep_notes)
    work = planned.work
    taint_run = EngineRun("taint", EngineStatus.OK,
                          f"analysed {work.analysed} of {len(planned.facts)} Python file(s) "
                          "(the others cannot reach a PII source)",
                          tuple(f.relpath for f in planned.facts))
    return ScanResult(
        root=str(root),
        findings=findings,
        skipped=sorted(skipped, key=lambda s: s.path),
        files_scanned=len(planned.facts),
        lines_scanned=sum(f.lines for f in planned.facts),
        rules=rule_infos(ruleset),
        notes=notes,
        engines=[taint_run, semgrep_run],
        python2_files=python2,
        work=work,
    )


def run_with_big_stack(target: Callable[[], None]) -> None:
    """Run `target` in a thread with a large stack (and a deep recursion limit), so
    deeply nested code cannot crash Python; exceptions are re-raised here."""
    if sys.getrecursionlimit() < RECURSION_LIMIT:
        sys.setrecursionlimit(RECURSION_LIMIT)
    errors: list[BaseException] = []

    def runner() -> None:
        try:
            target()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            errors.append(exc)

    old = threading.stack_size()
    threading.stack_size(THREAD_STACK_BYTES)
    try:
        thread = threading.Thread(target=runner, name="sellerscan-engine")
        thread.start()
        thread.join()
    finally:
        threading.stack_size(old)
    if errors:
        raise errors[0]
