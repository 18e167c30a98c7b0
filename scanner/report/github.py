"""GitHub Actions output: workflow-command annotations and a Markdown job summary.

Annotations (`::error file=...,line=...,title=...::message`) are escaped by GitHub's
workflow-command rules: `%`, CR and LF in the message; also `:` and `,` in properties. The
job summary has the counts, a findings table and the PII-kind -> destination map as a
Mermaid diagram."""

from __future__ import annotations

from collections import Counter

from scanner.model import Finding, ScanResult, Severity
from scanner.report.common import by_severity, severity_counts

COMMANDS: dict[Severity, str] = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "notice",
    Severity.INFO: "notice",
}
"""The workflow command of each severity."""


def escape_data(text: str) -> str:
    """Escape a workflow-command message."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow-command property value."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _path(prefix: str, path: str) -> str:
    return f"{prefix.rstrip('/')}/{path}" if prefix else path


def trace_summary(finding: Finding, prefix: str = "") -> str:
    """The trace in one line: `a.py:6 -> a.py:8 -> b.py:9`."""
    locs = [s.location for s in finding.steps] or [finding.source, finding.sink]
    places = [f"{_path(prefix, loc.path)}:{loc.line}" for loc in locs]
    return " -> ".join(places)


def annotation_lines(result: ScanResult, prefix: str = "") -> list[str]:
    """One workflow command per active finding; `prefix` is the scan root relative to the
    repository (paths in annotations are repository-relative)."""
    out = []
    for f in by_severity(result.active):
        props = [f"file={escape_property(_path(prefix, f.sink.path))}",
                 f"line={f.sink.line}"]
        if f.sink.end_line > f.sink.line:
            props.append(f"endLine={f.sink.end_line}")
        props.append(f"title={escape_property(f'{f.rule_id} {f.rule_name} ({f.severity})')}")
        message = f"{f.message}\nTrace: {trace_summary(f, prefix)}"
        out.append(f"::{COMMANDS[f.severity]} {','.join(props)}::{escape_data(message)}")
    return out


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|").replace("`", "'")


def _node(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in text)


def summary_markdown(result: ScanResult, prefix: str = "") -> str:
    """The Markdown job summary of a scan."""
    active = by_severity(result.active)
    suppressed = sum(1 for f in result.findings if f.suppression is not None)
    baselined = len(result.findings) - len(active) - suppressed
    lines = ["## sellerscan", ""]
    counts = ", ".join(f"{n} {s.value}" for s, n in severity_counts(active).items() if n)
    lines.append(f"**{len(active)} finding(s)**" + (f" ({counts})" if counts else "")
                 + f"; {suppressed} suppressed inline, {baselined} in the baseline; "
                 f"{result.files_scanned} file(s) scanned, {len(result.skipped)} skipped.")
    lines += [f"> {_cell(note)}" for note in result.notes if note.startswith("diff-aware")]
    if active:
        lines += ["", "| severity | rule | sink | PII | destination | trace |",
                  "|---|---|---|---|---|---|"]
        for f in active:
            lines.append(f"| {f.severity} | {f.rule_id} {_cell(f.rule_name)} | "
                         f"`{_cell(_path(prefix, f.sink.path))}:{f.sink.line}` | "
                         f"{_cell(', '.join(f.pii_kinds))} | {_cell(f.destination.describe())} | "
                         f"{_cell(trace_summary(f, prefix))} |")
        edges = Counter((kind, f.destination.category) for f in active for kind in f.pii_kinds)
        if edges:
            lines += ["", "```mermaid", "flowchart LR"]
            for (kind, dest), n in sorted(edges.items()):
                lines.append(f'  pii_{_node(kind)}["{_cell(kind)}"] -->|{n}| '
                             f'dest_{_node(dest)}["{_cell(dest)}"]')
            lines.append("```")
    return "\n".join(lines) + "\n"
