"""The findings model shared by the engine and every report format.

These are plain, immutable dataclasses: the engine produces them, the report writers
(text, JSON, SARIF, HTML) only read them. Every path is relative to the scan root and
uses forward slashes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class TextEnum(str, Enum):
    """An enum whose members are their text: they compare equal to it, serialise to it
    (JSON, SARIF, templates) and print as it on every Python from 3.10 on."""

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)


class Severity(TextEnum):
    """How bad a finding is. Ordered from most to least severe."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """0 for the most severe level, growing as severity falls."""
        return list(Severity).index(self)


class Verdict(TextEnum):
    """What the policy says about a flow."""

    VIOLATION = "violation"
    """Forbidden: reported, and decides the exit status."""
    REVIEW = "review"
    """Possibly permitted: reported for a human to judge."""
    ALLOW = "allow"
    """Permitted: never reported."""


class SinkKind(TextEnum):
    """What kind of channel a sink rule describes (its `kind:` in a ruleset)."""

    AD_PLATFORM = "ad_platform"
    AMAZON = "amazon"
    ANALYTICS = "analytics"
    CARRIER = "carrier"
    CRM = "crm"
    EMAIL = "email"
    EMAIL_MARKETING = "email_marketing"
    HELPDESK = "helpdesk"
    HTTP = "http"
    LOG = "log"
    SMS = "sms"
    STORAGE = "storage"
    TAX = "tax"
    TRANSFER = "transfer"


class StepKind(TextEnum):
    """The role of one step in a finding's trace."""

    SOURCE = "source"
    STEP = "step"
    CALL = "call"
    RETURN = "return"
    SINK = "sink"


class SkipReason(TextEnum):
    """Why a file was not analysed (each is listed in every report)."""

    TOO_LARGE = "too-large"
    UNREADABLE = "unreadable"
    BINARY = "binary"
    UNDECODABLE = "undecodable"
    PYTHON2 = "python2"
    SYNTAX_ERROR = "syntax-error"
    TOO_DEEP = "too-deep"
    TOO_COMPLEX = "too-complex"
    PARSER_FAILURE = "parser-failure"
    MERGE_CONFLICT = "merge-conflict"
    """The file holds git merge-conflict markers."""
    PYTHON2_UNTRANSLATABLE = "python2-untranslatable"
    """Python 2 code the in-memory translation to Python 3 could not handle."""
    TOO_SLOW = "too-slow"
    """Parsing went past the per-file CPU-time limit."""
    TOO_MUCH_MEMORY = "too-much-memory"
    """Parsing went past the per-file memory limit."""
    NOT_A_REGULAR_FILE = "not-a-regular-file"
    """A FIFO, device or socket: never opened."""
    SYMLINK_LOOP = "symlink-loop"
    """A symbolic link that (eventually) points to itself."""
    OUTSIDE_ROOT = "outside-root"
    """A symbolic link to a file outside the scan root: never read."""


@dataclass(frozen=True, order=True)
class Location:
    """A place in a scanned file.

    Lines and columns are 1-based (columns count code points; `end_column` is exclusive,
    as in SARIF); `line == 0` means the position is unknown. `snippet` is the whole
    first line of the place, indentation kept."""

    path: str
    line: int
    column: int
    end_line: int = 0
    end_column: int = 0
    snippet: str = ""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "snippet": self.snippet,
        }


@dataclass(frozen=True)
class TraceStep:
    """One step of the path from a PII source to a sink."""

    location: Location
    action: str
    """What happened there, e.g. "assigned to `email`" or "passed as `addr` to `send()`"."""
    kind: StepKind = StepKind.STEP

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"kind": self.kind.value, "action": self.action, **self.location.to_dict()}


@dataclass(frozen=True)
class Destination:
    """Where a sink sends data: its class (ad_platform, carrier, ...) and host if known."""

    category: str
    host: str | None = None

    def describe(self) -> str:
        """Human text such as `ad_platform (graph.facebook.com)`."""
        return f"{self.category} ({self.host})" if self.host else self.category


@dataclass(frozen=True)
class Finding:
    """A forbidden (or to-be-reviewed) flow of PII from one source to one sink."""

    rule_id: str
    rule_name: str
    severity: Severity
    verdict: Verdict
    """`violation` or `review` (allowed flows are never findings)."""
    message: str
    pii_kinds: tuple[str, ...]
    hashed: bool
    sink_kind: SinkKind
    destination: Destination
    source_rule: str
    sink_rule: str
    source: Location
    sink: Location
    steps: tuple[TraceStep, ...] = field(default=())

    @property
    def sort_key(self) -> tuple[Any, ...]:
        """Deterministic report order: file, line, column, rule, then source."""
        return (
            self.sink.path,
            self.sink.line,
            self.sink.column,
            self.rule_id,
            self.source.path,
            self.source.line,
            self.source.column,
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict carrying everything the text report shows."""
        return {
            "rule_id": self.rule_id,
            "rule_name": self.rule_name,
            "severity": self.severity.value,
            "verdict": self.verdict.value,
            "message": self.message,
            "pii_kinds": list(self.pii_kinds),
            "hashed": self.hashed,
            "sink_kind": self.sink_kind.value,
            "destination": {"category": self.destination.category, "host": self.destination.host},
            "source_rule": self.source_rule,
            "sink_rule": self.sink_rule,
            "source": self.source.to_dict(),
            "sink": self.sink.to_dict(),
            "steps": [s.to_dict() for s in self.steps],
        }


@dataclass(frozen=True)
class SkippedFile:
    """A file that could not be analysed, and why."""

    path: str
    reason: SkipReason
    detail: str = ""

    def to_dict(self) -> dict[str, str]:
        """A JSON-ready dict."""
        return {"path": self.path, "reason": self.reason.value, "detail": self.detail}


@dataclass(frozen=True)
class RuleInfo:
    """What a report needs to know about a policy rule."""

    id: str
    name: str
    severity: Severity
    title: str
    explanation: str = ""
    fix: str = ""
    policy: str = ""
    tags: tuple[str, ...] = ()
    bad_example: str = ""
    good_example: str = ""


@dataclass
class ScanResult:
    """Everything one scan produced."""

    root: str
    findings: list[Finding]
    skipped: list[SkippedFile]
    files_scanned: int
    lines_scanned: int
    rules: list[RuleInfo]
    notes: list[str] = field(default_factory=list)
    """Engine notices for the reader (e.g. an analysis budget reached)."""
    python2_files: list[str] = field(default_factory=list)
    """Files analysed as Python 2 (translated to Python 3 in memory, lines kept)."""

    @property
    def violations(self) -> list[Finding]:
        """Findings whose verdict is `violation` (these decide the exit status)."""
        return [f for f in self.findings if f.verdict is Verdict.VIOLATION]
