"""A scan with the developer workflow around it: file selection by configuration and
`.gitignore`, then the pipeline, then inline suppressions, disabled rules, the baseline
and the diff-aware filter, in that order."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from scanner.discover.files import Discovery, SourceFile, find_files
from scanner.model import Finding, ScanResult, Severity
from scanner.options import DiffLimits, ScanOptions
from scanner.pipeline import run_pipeline, scan_root
from scanner.workflow.baseline import apply_baseline, load_baseline
from scanner.workflow.gitdiff import changed_lines
from scanner.workflow.select import select_files
from scanner.workflow.suppress import SuppressionComment, apply_suppressions, read_comments


@dataclass
class WorkflowOptions:
    """What the workflow adds to a plain scan (all off by default)."""

    include: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    pattern_base: Path | None = None
    """Folder the include/exclude patterns are relative to (default: the scan root)."""
    respect_gitignore: bool = True
    disable: list[str] = field(default_factory=list)
    baseline: Path | None = None
    diff_base: str | None = None
    diff_limits: DiffLimits = field(default_factory=DiffLimits)


@dataclass
class WorkflowResult:
    """The scan and the warnings the workflow wants shown on the console."""

    result: ScanResult
    warnings: list[str] = field(default_factory=list)


def run_workflow(options: ScanOptions, workflow: WorkflowOptions | None = None) -> WorkflowResult:
    """Run a scan with the workflow steps of `workflow` (suppressions always apply).

    Raises what `run_pipeline` raises, and `BaselineError` for a bad baseline file."""
    workflow = workflow or WorkflowOptions()
    root = scan_root(options.paths, options.root) if options.paths else Path.cwd()
    files: list[SourceFile] = []
    notes: list[str] = []
    discovery: Discovery | None = None
    if all(p.exists() for p in options.paths):
        discovery = find_files(options.paths, root, options.excludes, options.default_excludes)
        files = discovery.files
        kept, left_out = select_files(files, root, workflow.pattern_base or root,
                                      workflow.include, workflow.exclude,
                                      workflow.respect_gitignore)
        if left_out:
            notes.append(f"{left_out} file(s) left out by include/exclude patterns or .gitignore")
            if kept:
                options = replace(options, paths=[s.path for s in kept], root=root)
            else:  # nothing left: an empty scan (with its note), not an error
                options = replace(options, excludes=[*options.excludes, "*"], root=root)
            files, discovery = kept, None
    entries = load_baseline(workflow.baseline) if workflow.baseline else None
    result = run_pipeline(options, discovery)
    comments: list[SuppressionComment] = []
    for source in files:
        try:
            text = source.path.read_bytes().decode("utf-8", errors="replace")
        except OSError:
            continue
        comments += read_comments(source.relpath, text)
    findings = apply_suppressions(result.findings, comments, result.rules)
    if workflow.disable:
        findings = [f for f in findings if f.rule_id not in workflow.disable]
    result = replace(result, findings=findings, notes=notes + result.notes)
    if entries is not None:
        result = apply_baseline(result, entries)
    warnings: list[str] = []
    if workflow.diff_base:
        changed = changed_lines(Path(result.root), workflow.diff_base, workflow.diff_limits)
        if isinstance(changed, str):
            warnings.append(f"--diff-base {workflow.diff_base}: {changed}; "
                            "reporting the findings of the whole scan instead")
            result = replace(result, notes=result.notes + warnings)
        else:
            shown = [f for f in result.findings if changed.covers(f)]
            note = (f"diff-aware scan: {len(result.findings) - len(shown)} finding(s) on lines "
                    f"not changed since {changed.merge_base[:12]} ({workflow.diff_base}) are "
                    "not reported")
            result = replace(result, findings=shown, notes=result.notes + [note])
    return WorkflowResult(result, warnings)


def failing(result: ScanResult, fail_on: Severity | None) -> list[Finding]:
    """The active findings at or above `fail_on` (any severity when None)."""
    limit = (fail_on or Severity.INFO).rank
    return [f for f in result.active if f.severity.rank <= limit]
