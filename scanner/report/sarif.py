"""SARIF 2.1.0 output, shaped for GitHub code scanning.

Every finding becomes one result: the sink is its primary location, the source its
related location, and the whole trace one thread flow. Fingerprints are content-based
(rule, sink file, sink and source code), so they survive lines inserted above a finding.
The file stays within GitHub's upload limits: what does not fit is left out and said so
in a tool notification, never silently dropped.
"""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

from scanner import __version__
from scanner.model import (
    Finding,
    Location,
    RuleInfo,
    ScanResult,
    Severity,
    StepKind,
    TraceStep,
    fingerprints,
)
from scanner.report.common import by_severity
from scanner.report.engines import engine_properties, sarif_extensions, sarif_invocations
from scanner.report.ruledocs import rule_doc_url

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
TOOL_NAME = "sellerscan"
INFORMATION_URI = "https://github.com/sellerscan/sellerscan"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "sellerscanFlow/v1"

LEVELS: dict[Severity, str] = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
"""SARIF `level` for each severity."""

SECURITY_SEVERITY: dict[Severity, str] = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "1.0",
}
"""GitHub's `security-severity` score (a numeric string, 0.0-10.0) for each severity."""


@dataclass(frozen=True)
class Limits:
    """Upload limits a SARIF file must respect (GitHub code scanning's, by default).

    See https://docs.github.com/en/code-security/code-scanning/troubleshooting-sarif-uploads/results-exceed-limit
    and .../file-too-large (10 MB gzip-compressed). The limit of 1,000 locations per
    result cannot be reached: a result has one location and one related location.
    """

    results_per_run: int = 25_000
    rules_per_run: int = 25_000
    thread_flow_locations_per_result: int = 10_000
    tags_per_rule: int = 10
    """The hard limit is 20; GitHub only shows 10, so more would be lost anyway."""
    gzip_bytes: int = 10 * 1024 * 1024


GITHUB_LIMITS = Limits()


def render_sarif(result: ScanResult, limits: Limits = GITHUB_LIMITS) -> str:
    """The SARIF 2.1.0 log of a finished scan, as indented JSON text."""
    ordered = by_severity(result.findings)
    prints = fingerprints(result.findings)
    keep = min(len(ordered), limits.results_per_run)
    reason = "the limit of results per run"
    while True:
        log = _log(result, ordered[:keep], len(ordered), reason, prints, limits)
        text = json.dumps(log, indent=2, ensure_ascii=False) + "\n"
        if keep == 0 or _fits(text, limits):
            return text
        keep //= 2
        reason = "the size limit of an upload"


def render_sarif_failure(error: str) -> str:
    """A SARIF log for a scan that failed: no results, `executionSuccessful` false.

    `results` is left out on purpose: in SARIF an absent result list means the tool could
    not determine results, whereas an empty one would claim the code is clean.
    """
    run = {
        "tool": {"driver": _driver([])},
        "invocations": [{
            "executionSuccessful": False,
            "exitCodeDescription": "scan failed",
            "toolExecutionNotifications": [
                _notification("error", "scan-failed", f"The scan failed: {error}"),
            ],
        }],
    }
    return json.dumps(_envelope(run), indent=2, ensure_ascii=False) + "\n"


def _fits(text: str, limits: Limits) -> bool:
    data = text.encode("utf-8")
    return len(data) <= limits.gzip_bytes or len(gzip.compress(data)) <= limits.gzip_bytes


def _envelope(run: dict[str, Any]) -> dict[str, Any]:
    return {"$schema": SARIF_SCHEMA_URI, "version": SARIF_VERSION, "runs": [run]}


def _log(
    result: ScanResult,
    kept: list[Finding],
    total: int,
    reason: str,
    fingerprints: dict[int, str],
    limits: Limits,
) -> dict[str, Any]:
    rules = _rules(result, kept, limits)
    index = {rule.id: i for i, rule in enumerate(rules)}
    notifications = [
        _notification("warning", "skipped-file", _skip_text(s.path, s.reason, s.detail),
                      {"physicalLocation": _physical(Location(s.path, 0, 0))})
        for s in result.skipped
    ]
    notifications += [_notification("note", "engine-note", note) for note in result.notes]
    if len(kept) < total:
        notifications.append(_notification(
            "warning", "results-truncated",
            f"{total - len(kept)} of {total} findings were left out of this SARIF file to stay "
            f"within {reason} of GitHub code scanning; the most severe were kept. "
            "Run with --format json or --format html to see all of them."))
    results = []
    cut_traces = 0
    for finding in kept:
        sarif_result, cut = _result(finding, index[finding.rule_id],
                                    fingerprints[id(finding)], limits)
        results.append(sarif_result)
        cut_traces += cut
    if cut_traces:
        notifications.append(_notification(
            "warning", "trace-truncated",
            f"{cut_traces} findings have traces longer than "
            f"{limits.thread_flow_locations_per_result} steps; only their first and last "
            "steps are in this SARIF file."))
    tool: dict[str, Any] = {"driver": _driver(rules, limits)}
    if sarif_extensions(result):
        tool["extensions"] = sarif_extensions(result)
    run: dict[str, Any] = {
        "tool": tool,
        "invocations": [{
            "executionSuccessful": True,
            "toolExecutionNotifications": notifications,
        }] + sarif_invocations(result),
        "originalUriBaseIds": {SRCROOT: _root_location(result.root)},
        "columnKind": "unicodeCodePoints",
        "results": results,
        "properties": {
            "filesScanned": result.files_scanned,
            "linesScanned": result.lines_scanned,
            "filesSkipped": len(result.skipped),
            **({"work": result.work.as_dict()} if result.work is not None else {}),
            **({"engines": engine_properties(result)} if result.engines else {}),
        },
    }
    return _envelope(run)


def _rules(result: ScanResult, kept: list[Finding], limits: Limits) -> list[RuleInfo]:
    """The rules to describe: every rule that ran, plus any a finding names but the
    scan did not list. Rules with results come first should the rule limit bite."""
    rules = {rule.id: rule for rule in result.rules}
    for f in kept:
        rules.setdefault(f.rule_id, RuleInfo(f.rule_id, f.rule_name, f.severity, f.rule_name))
    used = {f.rule_id for f in kept}
    ordered = sorted(rules.values(), key=lambda r: (r.id not in used, r.id))
    return sorted(ordered[: max(limits.rules_per_run, len(used))], key=lambda r: r.id)


def _driver(rules: list[RuleInfo], limits: Limits = GITHUB_LIMITS) -> dict[str, Any]:
    return {
        "name": TOOL_NAME,
        "version": __version__,
        "semanticVersion": __version__,
        "informationUri": INFORMATION_URI,
        "rules": [_rule(rule, limits) for rule in rules],
    }


def _rule(rule: RuleInfo, limits: Limits) -> dict[str, Any]:
    text = [rule.title, "", rule.explanation or rule.title]
    markdown = [f"## {rule.title}", "", rule.explanation or rule.title]
    if rule.fix:
        text += ["", f"How to fix: {rule.fix}"]
        markdown += ["", f"**How to fix:** {rule.fix}"]
    if rule.policy:
        text += ["", f"Policy: {rule.policy}"]
        markdown += ["", f"**Policy:** {rule.policy}"]
    return {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": (rule.explanation or rule.title).strip()},
        "help": {"text": "\n".join(text).strip(), "markdown": "\n".join(markdown).strip()},
        "helpUri": rule_doc_url(rule.id),
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": {
            "tags": list(rule.tags)[: limits.tags_per_rule],
            "security-severity": SECURITY_SEVERITY[rule.severity],
        },
    }


def _result(
    finding: Finding, rule_index: int, fp: str, limits: Limits
) -> tuple[dict[str, Any], bool]:
    """One SARIF result, and whether its trace had to be shortened."""
    steps = list(finding.steps) or [
        TraceStep(finding.source, "PII read here", StepKind.SOURCE),
        TraceStep(finding.sink, "PII leaves the application here", StepKind.SINK),
    ]
    cap = limits.thread_flow_locations_per_result
    cut = len(steps) > cap
    if cut:
        head = cap // 2
        steps = steps[:head] + steps[len(steps) - (cap - head):]
    kinds = ", ".join(finding.pii_kinds) or "PII"
    source = finding.source
    message = (
        f"{_md_escape(finding.message.strip())} "
        f"(PII: {_md_escape(kinds)}{', hashed' if finding.hashed else ''}; "
        f"destination: {_md_escape(finding.destination.describe())}; "
        f"source: [{_md_escape(source.path)}:{source.line}](1))"
    )
    flow_text = (f"{kinds} from {source.path}:{source.line} to "
                 f"{finding.sink.path}:{finding.sink.line}")
    sarif_result: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index,
        "level": LEVELS[finding.severity],
        "kind": "fail",
        "message": {"text": message},
        "locations": [{"physicalLocation": _physical(finding.sink)}],
        "relatedLocations": [{
            "id": 1,
            "physicalLocation": _physical(source),
            "message": {"text": f"PII source ({finding.source_rule})"},
        }],
        "codeFlows": [{
            "message": {"text": flow_text},
            "threadFlows": [{"locations": [_flow_step(s, i) for i, s in enumerate(steps)]}],
        }],
        "partialFingerprints": {FINGERPRINT_KEY: fp},
        **_states(finding),
        "properties": {
            "verdict": finding.verdict,
            "severity": finding.severity.value,
            "piiKinds": list(finding.pii_kinds),
            "hashed": finding.hashed,
            "sinkKind": finding.sink_kind,
            "destination": finding.destination.category,
            "destinationHost": finding.destination.host,
            "sourceRule": finding.source_rule,
            "sinkRule": finding.sink_rule,
            "traceLength": len(finding.steps),
        },
    }
    return sarif_result, cut


def _states(finding: Finding) -> dict[str, Any]:
    """SARIF `suppressions` and `baselineState` of a finding, when it has them."""
    out: dict[str, Any] = {}
    if finding.suppression is not None:
        out["suppressions"] = [{"kind": finding.suppression.kind,
                                "justification": finding.suppression.justification}]
    if finding.baseline_state is not None:
        out["baselineState"] = finding.baseline_state.value
    return out


def _flow_step(step: TraceStep, order: int) -> dict[str, Any]:
    return {
        "location": {
            "physicalLocation": _physical(step.location),
            "message": {"text": step.action or step.kind},
        },
        "kinds": [step.kind],
        "nestingLevel": 0,
        "executionOrder": order + 1,
    }


def _physical(loc: Location) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(loc.path), "uriBaseId": SRCROOT}}
    if loc.line >= 1:
        region: dict[str, Any] = {"startLine": loc.line}
        if loc.column >= 1:
            region["startColumn"] = loc.column
        if loc.end_line >= loc.line:
            region["endLine"] = loc.end_line
            if loc.end_column >= 1 and (loc.end_line > loc.line or loc.end_column > loc.column):
                region["endColumn"] = loc.end_column
        physical["region"] = region
        if loc.snippet:
            physical["contextRegion"] = {"startLine": loc.line, "snippet": {"text": loc.snippet}}
    return physical


def _uri(path: str) -> str:
    """A relative URI reference for a scan-root-relative path (percent-encoded, so a
    path such as `javascript:x` can never read as a URI with a scheme)."""
    return quote(path.replace("\\", "/"), safe="/")


def _root_location(root: str) -> dict[str, Any]:
    """`%SRCROOT%`: the scan root as a file URI when it is absolute. A relative root is
    only described, which keeps committed example reports independent of the machine."""
    path = PurePosixPath(root.replace("\\", "/"))
    description = {"text": "The root of the scanned source tree."}
    if path.is_absolute():
        uri = path.as_uri()
        return {"uri": uri if uri.endswith("/") else uri + "/", "description": description}
    return {"description": description}


_MD_SPECIAL = re.compile(r"([\[\]\\])")


def _md_escape(text: str) -> str:
    """Escape `[`, `]` and `\\` so text from scanned code cannot forge embedded links."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def _notification(
    level: str, descriptor: str, text: str, location: dict[str, Any] | None = None
) -> dict[str, Any]:
    note: dict[str, Any] = {
        "level": level,
        "descriptor": {"id": descriptor},
        "message": {"text": text},
    }
    if location is not None:
        note["locations"] = [location]
    return note


def _skip_text(path: str, reason: str, detail: str) -> str:
    return f"{path} could not be analysed: {reason}" + (f" ({detail})" if detail else "")
