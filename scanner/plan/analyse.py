"""The taint analysis of one set of parsed files (a group, or several at once): index,
engine, findings, and whether it stored PII where another group could read it back."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from scanner.model import Finding, SkippedFile
from scanner.options import AnalysisLimits, ProgressCallback
from scanner.rules.schema import RuleSet

if TYPE_CHECKING:  # the analysis's modules (and libcst) load only when a group is analysed
    from scanner.parse.source import ParsedFile

SHARED_STORES = ("file", "table")
"""Store entries keyed by a file path or a table name: any module can read them back."""


@dataclass
class Analysis:
    """What the analysis of a set of files found (picklable: it is cached)."""

    findings: list[Finding] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    """(path, reason) of code too deeply nested to analyse."""
    notes: list[str] = field(default_factory=list)
    budget_hit: bool = False
    wrote_shared_store: bool = False
    """PII was written to a file or table (another group may read it back)."""
    skipped: list[SkippedFile] = field(default_factory=list)
    """Files of the set that libcst could not parse (so they were left out of it)."""


def analyse(parsed: list[ParsedFile], root: Path, ruleset: RuleSet, limits: AnalysisLimits,
            progress: ProgressCallback, census: dict[str, int] | None) -> Analysis:
    """Run the taint analysis over `parsed` (a closed part of the project, see
    `scanner.plan.groups`; `census`: the project's method-name census)."""
    from scanner.policy.findings import build_findings
    from scanner.propagate.engine import Engine
    from scanner.resolve.project import build_index

    index = build_index(parsed, root)
    engine = Engine(index, ruleset, limits, progress, method_census=census)
    with _trees_frozen():
        engine.run()
    by_path = {p.relpath: p for p in parsed}
    findings = build_findings(engine.raw.values(), ruleset, by_path)
    wrote = any(key.tag in SHARED_STORES and value.facts
                for key, value in engine.store.values.items())
    return Analysis(findings, list(engine.failed), list(engine.notes), engine.budget_hit, wrote)


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
