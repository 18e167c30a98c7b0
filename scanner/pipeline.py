"""The pipeline: discover -> parse -> resolve (index) -> propagate -> policy -> findings."""

from __future__ import annotations

import gc
import os
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from scanner.discover.files import find_files
from scanner.model import EngineRun, EngineStatus, ScanResult, SkippedFile, SkipReason
from scanner.options import ScanOptions, no_progress
from scanner.parse.guarded import parse_files
from scanner.policy.findings import build_findings, rule_infos
from scanner.propagate.engine import Engine
from scanner.resolve.project import build_index
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


def run_pipeline(options: ScanOptions) -> ScanResult:
    """Run every stage; see `scanner.api.run_scan`.

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
    run_with_big_stack(lambda: results.append(_stages(options, ruleset, semgrep_rules)))
    return results[0]


def _stages(options: ScanOptions, ruleset: RuleSet, semgrep_rules: SemgrepRules) -> ScanResult:
    root = scan_root(options.paths, options.root)
    discovery = find_files(options.paths, root, options.excludes, options.default_excludes)
    files, notes = discovery.files, discovery.notes
    semgrep = SemgrepJob.start(semgrep_rules, options.semgrep, root, options.paths, files,
                               options.excludes, options.default_excludes,
                               options.parse_limits.max_file_bytes)
    report = options.progress or no_progress
    parsed, skipped = parse_files(files, options.parse_limits, report)
    skipped.extend(discovery.skipped)
    index = build_index(parsed, root)
    engine = Engine(index, ruleset, options.limits, report)
    with _trees_frozen():
        engine.run()
    for path, reason in engine.failed:
        skipped.append(SkippedFile(path, SkipReason.TOO_DEEP, reason))
    if engine.budget_hit:
        notes.append("the analysis stopped at its work budget; results may be incomplete")
    notes.extend(engine.notes)
    python2 = [p.relpath for p in parsed if p.python2]
    notes.extend(f"{path}: analysed as Python 2 (translated in memory; lines as in the file)"
                 for path in python2)
    by_path = {p.relpath: p for p in parsed}
    findings = build_findings(engine.raw.values(), ruleset, by_path)
    extra, semgrep_run, semgrep_notes = semgrep.finish(ruleset, findings, skipped)
    findings = sorted(findings + extra, key=lambda f: f.sort_key)
    notes.extend(semgrep_notes)
    taint_run = EngineRun("taint", EngineStatus.OK, f"analysed {len(parsed)} Python file(s)",
                          tuple(sorted(by_path)))
    return ScanResult(
        root=str(root),
        findings=findings,
        skipped=sorted(skipped, key=lambda s: s.path),
        files_scanned=len(parsed),
        lines_scanned=sum(len(p.lines) for p in parsed),
        rules=rule_infos(ruleset),
        notes=notes,
        engines=[taint_run, semgrep_run],
        python2_files=python2,
    )


@contextmanager
def _trees_frozen() -> Iterator[None]:
    """Keep the garbage collector off the (large, long-lived) syntax trees while the
    analysis allocates: they are moved to the permanent generation until it ends."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


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
