"""Helpers shared by the report writers: ordering, counting and safe display text."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from scanner.model import Finding, RuleInfo, ScanResult, Severity

_BIDI = r"\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_CONTROL = re.compile(f"[\\x00-\\x08\\x0a-\\x1f\\x7f-\\x9f\\u2028\\u2029{_BIDI}]")
_CONTROL_BUT_NEWLINE = re.compile(f"[\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f\\u2028\\u2029{_BIDI}]")


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


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str, keep_newlines: bool = False) -> str:
    """`text` with control characters (ANSI escapes, CR, LF, NUL, line separators) and
    bidirectional-text controls ("Trojan Source": U+202A..U+202E, U+2066..U+2069,
    U+200E/U+200F, U+061C) shown escaped, e.g. `\\x0a`, `\\u202e`.

    Scanned code and file names can hold them; written as-is they would add lines to a
    report, move the cursor, recolour a terminal or reorder what the reader sees. Tabs are
    kept; newlines too with `keep_newlines` (for HTML, where they are mere spaces).
    """
    pattern = _CONTROL_BUT_NEWLINE if keep_newlines else _CONTROL
    return pattern.sub(_escape, text)


def plural(count: int, word: str) -> str:
    """`1 file`, `2 files`, `3,412 lines`."""
    return f"{count:,} {word}" if count == 1 else f"{count:,} {word}s"
