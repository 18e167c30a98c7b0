"""Inline suppressions: `# sellerscan: ignore[SS108, SS110] reason` comments.

A comment applies to a finding whose sink is on the comment's line, on the line after a
comment that stands alone on its line, or whose (multi-line) sink call ends on the
comment's line. Comments are read with `tokenize`, so text inside strings never counts.
Comments without a reason, naming no rule or an unknown rule, or suppressing nothing are
reported under the invalid-suppression rule (SS900)."""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from scanner.model import (
    Destination,
    Finding,
    Location,
    RuleInfo,
    Severity,
    SinkKind,
    Suppression,
    Verdict,
)

SUPPRESSION_RULE = "SS900"
MARKER = "sellerscan"
_COMMENT = re.compile(r"#\s*sellerscan\s*:\s*ignore\b(?P<ids>\[[^\]]*\])?(?P<reason>.*)$",
                      re.IGNORECASE)
_ANYWHERE = re.compile(r"#\s*sellerscan\s*:\s*ignore\b", re.IGNORECASE)
"""A suppression comment's start anywhere in the text: files without one are not tokenized."""


@dataclass
class SuppressionComment:
    """One `# sellerscan: ignore[...]` comment of a file."""

    path: str
    line: int
    column: int
    end_column: int
    rule_ids: tuple[str, ...]
    reason: str
    standalone: bool
    """Whether the comment is alone on its line (then it also covers the next line)."""
    snippet: str
    used: set[str] = field(default_factory=set)

    @property
    def location(self) -> Location:
        """Where the comment is."""
        return Location(self.path, self.line, self.column, self.line, self.end_column,
                        self.snippet)


def read_comments(path: str, text: str) -> list[SuppressionComment]:
    """The suppression comments of one file's text (none when it does not tokenize)."""
    if MARKER not in text.lower() or _ANYWHERE.search(text) is None:
        return []
    lines = text.splitlines()
    found: list[SuppressionComment] = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type != tokenize.COMMENT:
                continue
            match = _COMMENT.match(tok.string)
            if match is None:
                continue
            ids_text = (match.group("ids") or "")[1:-1]
            ids = tuple(i.strip() for i in ids_text.split(",") if i.strip())
            row, col = tok.start
            before = tok.line[:col] if tok.line else ""
            snippet = lines[row - 1].rstrip() if row <= len(lines) else ""
            found.append(SuppressionComment(path, row, col + 1, tok.end[1] + 1, ids,
                                            match.group("reason").strip(), not before.strip(),
                                            snippet))
    except (tokenize.TokenError, SyntaxError):
        return found
    return found


def _candidates(finding: Finding) -> list[tuple[int, bool]]:
    """(line, needs a standalone comment) pairs where a comment may suppress `finding`."""
    sink = finding.sink
    places = [(sink.line, False), (sink.line - 1, True)]
    if sink.end_line > sink.line:
        places.append((sink.end_line, False))
    return places


def apply_suppressions(
    findings: list[Finding], comments: Iterable[SuppressionComment], rules: list[RuleInfo]
) -> list[Finding]:
    """`findings` with matching suppressions attached, plus one SS900 finding per comment
    without a reason, naming no or an unknown rule, or suppressing nothing."""
    by_place: dict[tuple[str, int], list[SuppressionComment]] = {}
    all_comments = list(comments)
    for comment in all_comments:
        by_place.setdefault((comment.path, comment.line), []).append(comment)
    out: list[Finding] = []
    for finding in findings:
        suppression = None
        for line, standalone in _candidates(finding):
            for comment in by_place.get((finding.sink.path, line), []):
                if standalone and not comment.standalone:
                    continue
                if finding.rule_id in comment.rule_ids:
                    comment.used.add(finding.rule_id)
                    suppression = suppression or Suppression(comment.reason, comment.line)
        out.append(replace(finding, suppression=suppression) if suppression else finding)
    known = {rule.id for rule in rules}
    rule = next((r for r in rules if r.id == SUPPRESSION_RULE), None)
    for comment in all_comments:
        problem = _problem(comment, known)
        if problem:
            out.append(_finding(comment, problem, rule))
    out.sort(key=lambda f: f.sort_key)
    return out


def _problem(comment: SuppressionComment, known: set[str]) -> str:
    """What is wrong with a comment ("" when nothing)."""
    problems = []
    if not comment.rule_ids:
        problems.append("names no rule id (write `ignore[SS108]`)")
    unknown = [i for i in comment.rule_ids if i not in known]
    if unknown:
        problems.append(f"names unknown rule id(s) {', '.join(unknown)}")
    if not comment.reason:
        problems.append("gives no reason")
    unused = [i for i in comment.rule_ids if i in known and i not in comment.used]
    if unused:
        problems.append(f"suppresses no {', '.join(unused)} finding here (unused)")
    return "; ".join(problems)


def _finding(comment: SuppressionComment, problem: str, rule: RuleInfo | None) -> Finding:
    where = comment.location
    return Finding(
        rule_id=SUPPRESSION_RULE,
        rule_name=rule.name if rule else "invalid-suppression",
        severity=rule.severity if rule else Severity.LOW,
        verdict=Verdict.VIOLATION,
        message=f"suppression comment {problem}",
        pii_kinds=(),
        hashed=False,
        sink_kind=SinkKind.COMMENT,
        destination=Destination("none"),
        source_rule=SUPPRESSION_RULE,
        sink_rule=SUPPRESSION_RULE,
        source=where,
        sink=where,
    )
