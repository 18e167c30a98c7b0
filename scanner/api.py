"""The library entry point: `run_scan(ScanOptions(...))` runs the whole pipeline
(discover -> parse -> resolve -> propagate -> policy) and returns a `ScanResult`."""

from __future__ import annotations

from scanner.model import ScanResult
from scanner.options import (
    DEFAULT_MAX_FILE_BYTES,
    DEFAULT_MAX_RULESET_BYTES,
    AnalysisLimits,
    ParseLimits,
    ScanOptions,
)
from scanner.pipeline import ScanInputError, run_pipeline
from scanner.rules.loader import RulesetError

__all__ = [
    "DEFAULT_MAX_FILE_BYTES", "DEFAULT_MAX_RULESET_BYTES", "AnalysisLimits", "ParseLimits",
    "RulesetError", "ScanInputError", "ScanOptions", "ScanResult", "run_scan",
]


def run_scan(options: ScanOptions) -> ScanResult:
    """Scan the given paths and return every finding and every skipped file.

    Raises `RulesetError` for a bad ruleset and `ScanInputError` for paths that do not
    exist."""
    return run_pipeline(options)
