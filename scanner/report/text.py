"""Plain-text report for the terminal: one block per finding, then the skipped files,
then the summary (last, so it is what a developer sees without scrolling)."""

from __future__ import annotations

from scanner.model import Finding, Location, ScanResult, Severity
from scanner.report.common import plural, printable, severity_counts

_RESET = "\x1b[0m"
_BOLD, _DIM, _CYAN = "\x1b[1m", "\x1b[2m", "\x1b[36m"
_SEVERITY_STYLE = {
    Severity.CRITICAL: "\x1b[1;97;41m",
    Severity.HIGH: "\x1b[1;31m",
    Severity.MEDIUM: "\x1b[1;33m",
    Severity.LOW: "\x1b[1;34m",
    Severity.INFO: "\x1b[2m",
}


class _Paint:
    """Wraps text in an ANSI style, or leaves it alone when colour is off."""

    def __init__(self, color: bool) -> None:
        self.color = color

    def __call__(self, style: str, text: str) -> str:
        return f"{style}{text}{_RESET}" if self.color and text else text


def render_text(result: ScanResult, color: bool = False) -> str:
    """The human-readable report; ANSI colours only when `color` is true (a TTY).

    Everything taken from the scanned code has its control characters made visible, so
    a snippet cannot move the cursor or recolour the terminal.
    """
    paint = _Paint(color)
    blocks = [_finding(f, paint) for f in result.active]
    if result.skipped:
        lines = [paint(_BOLD, f"Files that could not be analysed ({len(result.skipped)}):")]
        for skipped in result.skipped:
            detail = f" ({printable(skipped.detail)})" if skipped.detail else ""
            lines.append(f"  {paint(_CYAN, printable(skipped.path))}: "
                         f"{printable(skipped.reason)}{detail}")
        blocks.append("\n".join(lines))
    if result.notes:
        blocks.append("\n".join([paint(_BOLD, "Notes:")]
                                + [f"  {printable(note)}" for note in result.notes]))
    blocks.append(_summary(result, paint))
    return "\n\n".join(blocks) + "\n"


def _finding(finding: Finding, paint: _Paint) -> str:
    sev = finding.severity
    verdict = "" if finding.verdict == "violation" else f"  [{printable(finding.verdict)}]"
    kinds = ", ".join(printable(k) for k in finding.pii_kinds) or "PII"
    lines = [
        (f"{paint(_SEVERITY_STYLE[sev], f' {sev.value.upper():<8} ')} "
         f"{paint(_BOLD, printable(finding.rule_id))} {printable(finding.rule_name)}{verdict}"),
        f"  {printable(finding.message)}",
        f"  PII: {kinds}{' (hashed)' if finding.hashed else ''}",
        f"  Destination: {printable(finding.destination.describe())}",
        "  Path:",
    ]
    steps = [(s.location, s.action) for s in finding.steps] or [
        (finding.source, "source"), (finding.sink, "sink")]
    lines += [_step(number, loc, action, paint) for number, (loc, action) in enumerate(steps, 1)]
    return "\n".join(lines)


def _step(number: int, loc: Location, action: str, paint: _Paint) -> str:
    where = printable(f"{loc.path}:{loc.line}:{loc.column}")
    code = printable(loc.snippet.strip())
    return f"    {number}. {paint(_CYAN, where)}  {code}  {paint(_DIM, '— ' + printable(action))}"


def _summary(result: ScanResult, paint: _Paint) -> str:
    active = result.active
    total = len(active)
    scanned = (f"Scanned {plural(result.files_scanned, 'file')} "
               f"({plural(result.lines_scanned, 'line')}); "
               f"{plural(len(result.skipped), 'file')} could not be analysed.")
    if result.work is not None:
        scanned += f"\nWork: {result.work.describe()}."
    suppressed = sum(1 for f in result.findings if f.suppression is not None)
    baselined = len(result.findings) - total - suppressed
    if suppressed or baselined:
        scanned += (f"\nNot shown: {suppressed} suppressed inline, {baselined} already in "
                    "the baseline.")
    if not total:
        return f"{paint(_BOLD, 'Summary: no findings.')}\n{scanned}"
    by_severity = ", ".join(paint(_SEVERITY_STYLE[sev], f"{n} {sev.value}")
                            for sev, n in severity_counts(active).items() if n)
    violations = sum(1 for f in active if f.verdict == "violation")
    head = (f"{paint(_BOLD, 'Summary:')} {plural(total, 'finding')} ({by_severity}); "
            f"{plural(violations, 'violation')}, {total - violations} to review.")
    return f"{head}\n{scanned}"
