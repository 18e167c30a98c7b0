"""Turn semgrep results into sellerscan `Finding`s under the sellerscan rule each semgrep
rule names, one per (rule, file, line), and drop those a taint finding already reports
on the same line (the semgrep rule's `sellerscan-dedupe` list)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scanner.model import (
    Destination,
    Finding,
    Location,
    StepKind,
    TraceStep,
    Verdict,
)
from scanner.rules.schema import RuleSet
from scanner.semgrep.config import SemgrepRules

CREDENTIAL = "credential"


class Lines:
    """The text of the scanned files' lines, read on first use."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._files: dict[str, list[str]] = {}

    def line(self, relpath: str, number: int) -> str:
        """Line `number` (1-based) of the file, or "" when unknown."""
        if relpath not in self._files:
            try:
                text = (self.root / relpath).read_text(encoding="utf-8", errors="replace")
            except OSError:
                text = ""
            self._files[relpath] = text.splitlines()
        lines = self._files[relpath]
        return lines[number - 1] if 0 < number <= len(lines) else ""


def semgrep_findings(results: list[dict[str, Any]], rules: SemgrepRules, ruleset: RuleSet,
                     root: Path, taint: list[Finding]) -> list[Finding]:
    """The findings of semgrep's results, deduplicated (see the module docstring)."""
    lines = Lines(root)
    taken = {(f.rule_id, f.sink.path, f.sink.line) for f in taint}
    seen: set[tuple[str, str, int]] = set()
    findings: list[Finding] = []
    for result in sorted(results, key=_order):
        rule = rules.rules.get(str(result.get("check_id", "")))
        if rule is None:
            continue
        path = str(result.get("path", "")).replace("\\", "/")
        start, end = result.get("start") or {}, result.get("end") or {}
        line = int(start.get("line", 0))
        key = (rule.rule_id, path, line)
        if key in seen or any((d, path, line) in taken for d in rule.dedupe):
            continue
        seen.add(key)
        doc = ruleset.rules[rule.rule_id]
        where = Location(path, line, int(start.get("col", 0)), int(end.get("line", 0)),
                         int(end.get("col", 0)), lines.line(path, line))
        message = " ".join(str((result.get("extra") or {}).get("message", doc.title)).split())
        findings.append(Finding(
            rule_id=doc.id, rule_name=doc.name, severity=doc.severity,
            verdict=Verdict.VIOLATION, message=message, pii_kinds=(CREDENTIAL,), hashed=False,
            sink_kind=rule.sink_kind, destination=Destination(rule.destination),
            source_rule=rule.id, sink_rule=rule.id, source=where, sink=where,
            steps=(TraceStep(where, f"matched by semgrep rule `{rule.id}`", StepKind.SINK),),
        ))
    return findings


def _order(result: dict[str, Any]) -> tuple[str, int, int, str]:
    start = result.get("start") or {}
    return (str(result.get("path", "")), int(start.get("line", 0)), int(start.get("col", 0)),
            str(result.get("check_id", "")))
