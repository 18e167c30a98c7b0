"""Helpers shared by the report writers: ordering, counting and safe display text."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from scanner.model import Finding, RuleInfo, ScanResult, Severity

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def by_severity(findings: Iterable[Finding]) -> list[Finding]:
    """Findings ordered most severe first, then by the model's deterministic sort key."""
    return sorted(findings, key=lambda f: (f.severity.rank, f.sort_key))


def severity_counts(findings: Iterable[Finding]) -> dict[Severity, int]:
    """The number of findings per severity, every severity present (most severe first)."""
    counts = Counter(f.severity for f in findings)
    return {sev: counts.get(sev, 0) for sev in Severity}


def pii_counts(findings: Iterable[Finding]) -> dict[str, int]:
    """The number of findings that carry each PII kind, most frequent first."""
    counts = Counter(kind for f in findings for kind in f.pii_kinds)
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def destination_counts(findings: Iterable[Finding]) -> dict[str, int]:
    """The number of findings per destination category, most frequent first."""
    counts = Counter(f.destination.category for f in findings)
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def rule_map(result: ScanResult) -> dict[str, RuleInfo]:
    """The scan's rules keyed by id."""
    return {rule.id: rule for rule in result.rules}


def printable(text: str) -> str:
    """`text` with control characters (ANSI escapes, CR, NUL, line separators) made visible.

    Scanned code can hold raw control characters; written as-is they would move the
    cursor or recolour a terminal. Tabs are kept.
    """
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                        else f"\\u{ord(m.group()):04x}", text)


def plural(count: int, word: str) -> str:
    """`1 file`, `2 files`, `3,412 lines`."""
    return f"{count:,} {word}" if count == 1 else f"{count:,} {word}s"
