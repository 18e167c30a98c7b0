"""The HTML report: one self-contained page (inline CSS, JS and SVG; no network).

Everything that comes from the scanned code reaches the page only through jinja2's
autoescaping or through `_json_for_script`; the only markup marked safe is this package's
own stylesheet and script (and its JSON data block, escaped for a script element). A strict
Content-Security-Policy allows the one inline script by its hash.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections import Counter
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib.resources import files
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from scanner import __version__
from scanner.model import Finding, Location, RuleInfo, ScanResult, Severity
from scanner.report.common import (
    by_severity,
    destination_counts,
    pii_counts,
    printable,
    rule_map,
    severity_counts,
)
from scanner.report.highlight import Piece, highlight

if TYPE_CHECKING:  # jinja2 is imported only when a page is written
    from jinja2 import Environment

_JSON_ESCAPES = {
    ord("<"): "\\u003c",
    ord(">"): "\\u003e",
    ord("&"): "\\u0026",
    0x2028: "\\u2028",
    0x2029: "\\u2029",
    **{code: f"\\u{code:04x}" for code in (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F),
                                            *range(0x2066, 0x206A))},
}


def render_html(result: ScanResult) -> str:
    """The HTML report of a scan, as one self-contained page."""
    script = _asset("report.js")
    findings = by_severity(result.findings)
    rules = rule_map(result)
    data = {"findings": [_facets(f) for f in findings]}
    context = {
        "result": result,
        "version": __version__,
        "css": Markup(_asset("report.css")),
        "script": Markup(script),
        "csp": _csp(script),
        "data_json": Markup(_json_for_script(data)),
        "severities": [s.value for s in Severity],
        "severity_counts": {s.value: n for s, n in severity_counts(findings).items()},
        "pii_counts": pii_counts(findings),
        "destination_counts": destination_counts(findings),
        "destination_hosts": _hosts(findings),
        "violations": len(result.violations),
        "findings": [_view(f, i, rules) for i, f in enumerate(findings)],
        "flow_map": flow_map(findings),
        "filter_rules": sorted({(f.rule_id, f.rule_name) for f in findings}),
        "filter_pii": sorted({k for f in findings for k in f.pii_kinds}),
        "filter_files": sorted({p for f in findings for p in _files(f)}),
    }
    return _environment().get_template("report.html.j2").render(context)


def _json_for_script(data: Any) -> str:
    """JSON that cannot end its `<script>` element or be read as markup or a JS line end."""
    return json.dumps(data, ensure_ascii=False, sort_keys=True).translate(_JSON_ESCAPES)


def _csp(script: str) -> str:
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
    return (
        "default-src 'none'; "
        "style-src 'unsafe-inline'; "
        f"script-src 'sha256-{digest}'; "
        "img-src data:; "
        "base-uri 'none'; form-action 'none'"
    )


@cache
def _asset(name: str) -> str:
    text = (files("scanner.report") / "templates" / name).read_text(encoding="utf-8")
    if "</" in text:  # an end tag inside would close the inline <script>/<style> early
        raise ValueError(f"report asset {name} must not contain '</'")
    return text


def _visible(value: Any) -> Any:
    """Every value a template prints, with control and bidi characters shown escaped
    (this package's own markup, already safe, is left alone)."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return printable(value, keep_newlines=True)
    return value


@lru_cache(maxsize=1)
def _environment() -> Environment:
    from jinja2 import Environment, PackageLoader, StrictUndefined  # only when HTML is written

    return Environment(
        loader=PackageLoader("scanner.report", "templates"),
        autoescape=True,
        finalize=_visible,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _files(finding: Finding) -> list[str]:
    paths = [finding.source.path, *(s.location.path for s in finding.steps), finding.sink.path]
    return list(dict.fromkeys(paths))


def _facets(finding: Finding) -> dict[str, Any]:
    """What the filters need to know about one finding."""
    return {
        "severity": finding.severity.value,
        "rule": finding.rule_id,
        "pii": list(finding.pii_kinds),
        "files": [printable(path, keep_newlines=True) for path in _files(finding)],
    }


def _hosts(findings: list[Finding]) -> dict[str, list[str]]:
    hosts: dict[str, set[str]] = {}
    for f in findings:
        if f.destination.host:
            hosts.setdefault(f.destination.category, set()).add(f.destination.host)
    return {k: sorted(v) for k, v in hosts.items()}


@dataclass(frozen=True)
class StepView:
    """One trace step as the template shows it."""

    number: int
    kind: str
    action: list[tuple[bool, str]]
    where: str
    line: int
    code: list[Piece]


def _where(loc: Location) -> str:
    return f"{loc.path}:{loc.line}:{loc.column}" if loc.line else loc.path


def _step_view(number: int, kind: str, action: str, loc: Location) -> StepView:
    end = loc.end_column if loc.end_line == loc.line else 0
    return StepView(number, kind, code_spans(action), _where(loc), loc.line,
                    highlight(loc.snippet, loc.column, end))


def code_spans(text: str) -> list[tuple[bool, str]]:
    """`text` cut at backticks into (is_code, text) parts, e.g. "assigned to `x`"."""
    if text.count("`") % 2:
        return [(False, text)]
    return [(i % 2 == 1, part) for i, part in enumerate(text.split("`")) if part]


def _view(finding: Finding, index: int, rules: dict[str, RuleInfo]) -> dict[str, Any]:
    views = [_step_view(i + 1, s.kind, s.action, s.location) for i, s in enumerate(finding.steps)]
    if not views:
        views = [_step_view(1, "source", "PII read here", finding.source),
                 _step_view(2, "sink", "PII leaves the application here", finding.sink)]
    return {
        "index": index,
        "anchor": f"finding-{index + 1}",
        "finding": finding,
        "message": code_spans(finding.message),
        "rule": rules.get(finding.rule_id),
        "sink_where": _where(finding.sink),
        "source_where": _where(finding.source),
        "steps": views,
    }


@dataclass(frozen=True)
class MapNode:
    """A PII kind or destination in the data-flow map."""

    label: str
    short: str
    count: int
    y: float


@dataclass(frozen=True)
class MapEdge:
    """A weighted link from a PII kind to a destination."""

    source: str
    target: str
    count: int
    severity: str
    path: str
    width: float


@dataclass(frozen=True)
class FlowMap:
    """Geometry of the data-flow SVG."""

    width: int
    height: int
    left_x: int
    right_x: int
    left: list[MapNode]
    right: list[MapNode]
    edges: list[MapEdge]


def flow_map(findings: list[Finding]) -> FlowMap:
    """The layout of the PII kind -> destination map, edges weighted by finding count."""
    width, left_x, right_x, row, pad = 880, 250, 630, 46, 28
    kinds = pii_counts(findings)
    dests = destination_counts(findings)
    weights: Counter[tuple[str, str]] = Counter()
    worst: dict[tuple[str, str], Severity] = {}
    for f in findings:
        for kind in f.pii_kinds:
            key = (kind, f.destination.category)
            weights[key] += 1
            if key not in worst or f.severity.rank < worst[key].rank:
                worst[key] = f.severity
    height = pad * 2 + row * max(len(kinds), len(dests), 1)

    def column(counts: dict[str, int]) -> list[MapNode]:
        top = (height - row * len(counts)) / 2 + row / 2
        return [MapNode(k, _shorten(k), n, top + i * row) for i, (k, n) in enumerate(counts.items())]

    left, right = column(kinds), column(dests)
    ys_left = {n.label: n.y for n in left}
    ys_right = {n.label: n.y for n in right}
    top_weight = max(weights.values(), default=1)
    mid = (left_x + right_x) / 2
    edges = []
    for (kind, dest), count in sorted(weights.items(), key=lambda kv: -kv[1]):
        y1, y2 = ys_left[kind], ys_right[dest]
        path = (f"M{left_x + 8} {y1:.1f} C{mid:.1f} {y1:.1f} {mid:.1f} {y2:.1f} "
                f"{right_x - 8} {y2:.1f}")
        edges.append(MapEdge(kind, dest, count, worst[(kind, dest)].value, path,
                             round(2 + 12 * count / top_weight, 1)))
    return FlowMap(width, height, left_x, right_x, left, right, edges)


def _shorten(label: str, limit: int = 26) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "\u2026"
