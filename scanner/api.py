"""The library entry point: `run_scan(ScanOptions(...))` runs the whole pipeline
(discover -> parse -> resolve -> propagate -> policy) and returns a `ScanResult`;
`run_workflow` adds configuration-driven file selection, baselines and diff-aware
filtering (inline suppressions apply to both)."""

from __future__ import annotations

from scanner.model import ScanResult
from scanner.options import (
    DEFAULT_MAX_FILE_BYTES,
    DEFAULT_MAX_RULESET_BYTES,
    AnalysisLimits,
    ParseLimits,
    ScanOptions,
    SemgrepOptions,
)
from scanner.pipeline import ScanInputError
from scanner.rules.loader import RulesetError
from scanner.workflow.baseline import BaselineError
from scanner.workflow.run import WorkflowOptions, WorkflowResult, failing, run_workflow

__all__ = [
    "DEFAULT_MAX_FILE_BYTES",
    "DEFAULT_MAX_RULESET_BYTES",
    "AnalysisLimits",
    "BaselineError",
    "ParseLimits",
    "RulesetError",
    "ScanInputError",
    "ScanOptions",
    "ScanResult",
    "SemgrepOptions",
    "WorkflowOptions",
    "WorkflowResult",
    "failing",
    "run_scan",
    "run_workflow",
]


def run_scan(options: ScanOptions) -> ScanResult:
    """Scan the given paths and return every finding and every skipped file.

    Raises `RulesetError` for a bad ruleset and `ScanInputError` for paths that do not
    exist."""
    return run_workflow(options).result
