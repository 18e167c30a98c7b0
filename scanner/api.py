"""The one entry point that runs the whole pipeline:
discover -> parse -> resolve -> propagate -> policy -> findings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from scanner.model import ScanResult

DEFAULT_MAX_FILE_BYTES = 2_000_000


@dataclass
class ScanOptions:
    """What to scan and with which rules."""

    paths: list[Path]
    root: Path | None = None
    """Paths in outputs are relative to this; default: the common parent of `paths`."""
    rulesets: list[Path] = field(default_factory=list)
    """Extra ruleset files or directories, applied over the bundled ones."""
    include_bundled_rulesets: bool = True
    excludes: list[str] = field(default_factory=list)
    """Glob patterns (matched against root-relative paths) of files and folders to skip."""
    default_excludes: bool = True
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    time_budget_seconds: float = 900.0
    """Stop the analysis (with a note in every report) after this long."""
    progress: Callable[[int, int, str], None] | None = None
    """Called as (done, total, stage) while parsing and analysing."""


def run_scan(options: ScanOptions) -> ScanResult:
    """Scan the given paths and return every finding and every skipped file.

    Raises `scanner.rules.loader.RulesetError` for a bad ruleset and `ScanInputError`
    for paths that do not exist."""
    from scanner.pipeline import run_pipeline

    return run_pipeline(options)


class ScanInputError(Exception):
    """A path given to scan does not exist or cannot be read."""
