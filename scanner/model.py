"""The findings model shared by the engine and every report format.

These are plain, immutable dataclasses: the engine produces them, the report writers
(text, JSON, SARIF, HTML) only read them. Every path is relative to the scan root and
uses forward slashes.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
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
    AI_MODEL = "ai_model"
    """A hosted language model (chat and completion APIs): the prompt goes to its provider."""
    AMAZON = "amazon"
    ANALYTICS = "analytics"
    CARRIER = "carrier"
    COMMENT = "comment"
    """Not a channel: the place of a sellerscan comment (invalid-suppression findings)."""
    CRM = "crm"
    EMAIL = "email"
    EMAIL_MARKETING = "email_marketing"
    EXECUTION = "execution"
    """An interpreter of the data: a shell, a database's query language, a template
    engine, `eval` (injection sinks)."""
    HELPDESK = "helpdesk"
    HTTP = "http"
    LOG = "log"
    RESPONSE = "response"
    """The value a handler returns to whoever called it (a web route's response body)."""
    SMS = "sms"
    STORAGE = "storage"
    TAX = "tax"
    TRANSFER = "transfer"
    SOURCE_CODE = "source_code"
    """A secret written in the code itself (pattern rules of the second engine)."""
    USER_INPUT = "user_input"
    """A form, prompt or request field that asks a user for a secret (pattern rules)."""


class StepKind(TextEnum):
    """The role of one step in a finding's trace."""

    SOURCE = "source"
    STEP = "step"
    CALL = "call"
    RETURN = "return"
    SINK = "sink"


class BaselineState(TextEnum):
    """Whether a finding was already in the baseline the scan was compared with."""

    NEW = "new"
    UNCHANGED = "unchanged"


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
class Suppression:
    """An inline `# sellerscan: ignore[RULE] reason` comment that silences a finding."""

    justification: str
    line: int
    """The line of the comment."""
    kind: str = "inSource"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"kind": self.kind, "justification": self.justification, "line": self.line}


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
    suppression: Suppression | None = None
    """Set when an inline comment suppresses the finding (kept in reports, never fails)."""
    baseline_state: BaselineState | None = None
    """Set when the scan was compared with a baseline (`unchanged` ones never fail)."""

    @property
    def active(self) -> bool:
        """Whether the finding is neither suppressed nor already in the baseline."""
        return self.suppression is None and self.baseline_state is not BaselineState.UNCHANGED

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
            "suppression": self.suppression.to_dict() if self.suppression else None,
            "baseline_state": self.baseline_state.value if self.baseline_state else None,
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


class EngineStatus(TextEnum):
    """How one analysis engine's run ended."""

    OK = "ok"
    FAILED = "failed"
    """Missing, crashed or timed out: its rules were not checked (never a clean result)."""
    NOT_NEEDED = "not-needed"
    """Not started: no scanned file could match its rules."""
    DISABLED = "disabled"
    """Switched off by the user, or no rules for it."""


@dataclass(frozen=True)
class EngineRun:
    """What one engine (the taint analysis, semgrep) did: its status, a message for the
    reader, and the root-relative files it analysed."""

    name: str
    status: EngineStatus
    message: str = ""
    files: tuple[str, ...] = ()
    version: str = ""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"name": self.name, "status": self.status.value, "message": self.message,
                "files": list(self.files), "version": self.version}


@dataclass(frozen=True)
class WorkStats:
    """How much work a scan did: what the cost of a scan follows."""

    parsed: int = 0
    """Files parsed in this run (the others were known from the cache)."""
    full_parsed: int = 0
    """Of those, files parsed into full syntax trees (libcst): the files the analysis
    needed, and those CPython's parser rejected; the others needed only their index facts."""
    indexed: int = 0
    """Files whose index facts (names, imports, methods) the plan used."""
    analysed: int = 0
    """Files in the groups the taint analysis covered (the groups that can reach PII)."""
    groups: int = 0
    """Groups of files connected by imports."""
    groups_analysed: int = 0
    files_from_cache: int = 0
    groups_from_cache: int = 0
    """Groups (or combined runs) whose findings came from the cache."""

    def as_dict(self) -> dict[str, int]:
        """The figures by name (JSON and SARIF)."""
        return dict(self.__dict__)

    def describe(self) -> str:
        """One line for the text and HTML reports."""
        line = (f"parsed {self.parsed:,} ({self.full_parsed:,} into full syntax trees), "
                f"indexed {self.indexed:,}, analysed {self.analysed:,} file(s); "
                f"{self.groups_analysed:,} of {self.groups:,} import group(s) can reach a PII source")
        if self.files_from_cache or self.groups_from_cache:
            line += (f"; from the cache: {self.files_from_cache:,} file(s), "
                     f"{self.groups_from_cache:,} group result(s)")
        return line


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
    stale_baseline: list[dict[str, Any]] = field(default_factory=list)
    """Baseline entries no finding matches any more (fingerprint, rule_id, path, message)."""
    engines: list[EngineRun] = field(default_factory=list)
    """Each engine's run (taint first), with the files it saw."""
    python2_files: list[str] = field(default_factory=list)
    """Files analysed as Python 2 (translated to Python 3 in memory, lines kept)."""
    work: WorkStats | None = None
    """How many files were parsed, indexed and analysed (None: not recorded)."""

    @property
    def active(self) -> list[Finding]:
        """Findings neither suppressed inline nor already in the baseline."""
        return [f for f in self.findings if f.active]

    @property
    def failed_engines(self) -> list[EngineRun]:
        """Engines that failed: their rules were not checked."""
        return [e for e in self.engines if e.status is EngineStatus.FAILED]

    @property
    def violations(self) -> list[Finding]:
        """Findings whose verdict is `violation` (these decide the exit status)."""
        return [f for f in self.findings if f.verdict is Verdict.VIOLATION]


def _normalize(code: str) -> str:
    return " ".join(code.split())


def finding_hash(finding: Finding) -> str:
    """Hash of what identifies a finding regardless of where the lines moved: rule, sink
    file, sink code and source file and code, with whitespace runs collapsed."""
    parts = (
        finding.rule_id,
        finding.sink.path,
        _normalize(finding.sink.snippet),
        finding.source.path,
        _normalize(finding.source.snippet),
    )
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]


def fingerprints(findings: Iterable[Finding]) -> dict[int, str]:
    """Stable fingerprint of every finding keyed by `id()`: its `finding_hash` and the
    occurrence number of that hash, counted in file order (used by SARIF and baselines)."""
    seen: Counter[str] = Counter()
    out: dict[int, str] = {}
    for finding in sorted(findings, key=lambda f: f.sort_key):
        base = finding_hash(finding)
        seen[base] += 1
        out[id(finding)] = f"{base}:{seen[base]}"
    return out
