"""HTML report: content, self-containment, CSP, and that injected text stays inert."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest
from report_samples import (
    PAYLOADS,
    RULES,
    SKIPPED,
    injection_finding,
    injection_result,
    sample_result,
)

from scanner.report.common import printable
from scanner.report.highlight import highlight
from scanner.report.html import code_spans, flow_map, render_html

ALLOWED_TAGS = {
    "html", "head", "meta", "title", "style", "body", "header", "main", "footer", "section",
    "div", "span", "h2", "h3", "h4", "p", "ul", "ol", "li", "dl", "dt", "dd", "table", "thead",
    "tbody", "tr", "th", "td", "code", "pre", "small", "details", "summary", "article", "form",
    "label", "select", "option", "button", "output", "script", "svg", "path", "g", "rect",
    "text", "tspan", "i",
}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "srcset", "poster"}


@dataclass
class Page(HTMLParser):
    """Every tag with its attributes, every script body and the visible text."""

    tags: list[tuple[str, dict[str, str | None]]] = field(default_factory=list)
    scripts: list[tuple[dict[str, str | None], str]] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    _script: dict[str, str | None] | None = None

    def __post_init__(self) -> None:
        super().__init__(convert_charrefs=True)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._script = dict(attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._script = None

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self.scripts.append((self._script, data))
        else:
            self.text.append(data)

    def by_class(self, name: str) -> list[dict[str, str | None]]:
        return [a for _, a in self.tags if name in (a.get("class") or "").split()]


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    return page


@pytest.fixture(scope="module")
def sample_html() -> str:
    return render_html(sample_result())


@pytest.fixture(scope="module")
def injected_html() -> str:
    return render_html(injection_result())


def test_summary_counts(sample_html: str) -> None:
    page = parse(sample_html)
    result = sample_result()
    counts = {a["data-count"] for _, a in page.tags if "data-count" in a}
    assert counts == {"critical", "high", "medium", "low", "info"}
    assert 'id="total-findings">4<' in sample_html
    for sev, n in {"critical": 1, "high": 1, "medium": 1, "low": 1, "info": 0}.items():
        assert f'data-count="{sev}">{n}<' in sample_html
    assert "3 violations, 1 to review" in " ".join(" ".join(page.text).split())
    pii_table = sample_html.split('id="by-pii"')[1].split("</table>")[0]
    assert pii_table.count("<tr>") == 4  # email, address, name, phone
    assert "<th scope=\"row\">email</th>" in pii_table
    dest_table = sample_html.split('id="by-destination"')[1].split("</table>")[0]
    assert dest_table.count("<tr>") == 4
    assert "graph.facebook.com" in dest_table
    assert f"{result.files_scanned}" in sample_html and "3,412" in sample_html


def test_every_finding_with_trace_code_and_guidance(sample_html: str) -> None:
    page = parse(sample_html)
    text, flat = " ".join(page.text), "".join(page.text)
    result = sample_result()
    articles = [a for t, a in page.tags if t == "article"]
    assert len(articles) == len(result.findings)
    # most severe first
    assert [a["data-severity"] for a in articles] == ["critical", "high", "medium", "low"]
    assert len(page.by_class("step")) == sum(len(f.steps) for f in result.findings)
    assert page.by_class("focus"), "the code of each step is highlighted"
    for finding in result.findings:
        assert finding.rule_id in text
        assert finding.message in text
        for step in finding.steps:
            assert step.action.replace("`", "") in flat  # `x` is shown as <code>x</code>
            assert f"{step.location.path}:{step.location.line}:{step.location.column}" in text
    for rule in RULES:
        assert rule.explanation in text
        assert rule.fix in text
        assert rule.policy in text


def test_skipped_files_and_notes(sample_html: str) -> None:
    text = " ".join(parse(sample_html).text)
    for skipped in SKIPPED:
        assert skipped.path in text and skipped.reason in text and skipped.detail in text
    assert "Call depth budget reached" in text


def test_filters_offer_every_facet(sample_html: str) -> None:
    page = parse(sample_html)
    options = {a.get("value") for t, a in page.tags if t == "option"}
    assert {"critical", "high", "medium", "low"} <= options
    assert "info" not in options  # no info findings: no empty choice
    assert {"SS101", "SS103", "SS108", "SS109"} <= options
    assert {"email", "address", "name", "phone"} <= options
    assert {"app/orders.py", "app/marketing/audience.py", "app/sync.py"} <= options


def test_flow_map_edges_are_weighted(sample_html: str) -> None:
    fmap = flow_map(sample_result().findings)
    edges = {(e.source, e.target): e for e in fmap.edges}
    assert set(edges) == {
        ("email", "ad_platform"), ("address", "email"), ("name", "email"),
        ("email", "log"), ("name", "log"), ("phone", "log"), ("address", "file"),
        ("email", "file"),
    }
    assert edges[("email", "ad_platform")].severity == "critical"
    assert [n.label for n in fmap.left] == ["email", "address", "name", "phone"]
    doubled = flow_map([*sample_result().findings, sample_result().findings[0]])
    heavy = {(e.source, e.target): e.width for e in doubled.edges}
    assert heavy[("email", "ad_platform")] > heavy[("email", "log")]
    assert sample_html.count('class="edge ') == len(edges)


def test_self_contained_with_strict_csp(sample_html: str) -> None:
    page = parse(sample_html)
    tags = [t for t, _ in page.tags]
    assert "link" not in tags and "img" not in tags and "iframe" not in tags
    for _, attrs in page.tags:
        assert not URL_ATTRIBUTES & set(attrs), attrs
    csp = next(a["content"] for t, a in page.tags
               if t == "meta" and a.get("http-equiv") == "Content-Security-Policy")
    assert csp is not None
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["img-src"] == "data:"
    assert directives["style-src"] == "'unsafe-inline'"
    code = [body for attrs, body in page.scripts if attrs.get("type") != "application/json"]
    assert len(code) == 1
    digest = base64.b64encode(hashlib.sha256(code[0].encode()).digest()).decode()
    assert directives["script-src"] == f"'sha256-{digest}'"
    assert "http://" not in sample_html and "https://" not in sample_html


def test_empty_scan_renders_a_clean_report() -> None:
    html = render_html(sample_result([]))
    page = parse(html)
    assert not [t for t, _ in page.tags if t == "article"]
    assert "No flows of buyer PII" in " ".join(page.text)
    assert "Files that could not be analysed" in " ".join(page.text)


def test_injection_is_inert_in_every_tag_and_attribute(injected_html: str) -> None:
    page = parse(injected_html)
    for tag, attrs in page.tags:
        assert tag in ALLOWED_TAGS, tag
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            assert name not in URL_ATTRIBUTES, (tag, name)
            if name == "style":
                assert value and value.startswith("width: ") and value.endswith("%"), value
    assert [t for t, _ in page.tags].count("svg") == 1
    assert [t for t, _ in page.tags].count("script") == 2
    lowered = injected_html.lower()
    assert "<script>alert" not in lowered
    assert "<img" not in lowered
    assert "<svg onload" not in lowered
    # Autoescaping turns every `"` of the data into &#34;, so the remaining quotes delimit
    # attribute values: with those blanked, no tag may hold a handler or a javascript: URL.
    skeleton = re.sub(r'"[^"]*"', '""', lowered.split('<script type="application/json"')[0])
    assert re.findall(r"<[a-z][^>]*[\s/]on[a-z]+\s*=", skeleton) == []
    assert re.findall(r"<[a-z][^>]*javascript:", skeleton) == []


def test_injection_payloads_are_shown_as_text(injected_html: str) -> None:
    text = "".join(parse(injected_html).text)
    finding = injection_finding()
    assert printable(finding.message) in text  # its U+2028 shown as \u2028
    for payload in PAYLOADS[:5]:
        assert payload in text, payload
    assert "{{7*7}}" in text and "49" not in text  # no template evaluation of data


def test_json_data_block_is_escaped_and_round_trips(injected_html: str) -> None:
    page = parse(injected_html)
    (body,) = [body for attrs, body in page.scripts if attrs.get("type") == "application/json"]
    for char in "<>&\u2028\u2029":
        assert char not in body
    data = json.loads(body)
    assert len(data["findings"]) == len(injection_result().findings)
    injected = next(f for f in data["findings"] if f["rule"] == "SS107")
    assert PAYLOADS[0] in injected["pii"]
    assert "javascript:alert(1)" in injected["files"]


def test_highlight_marks_the_region_and_keeps_the_text() -> None:
    code = "    hashed = buyer_emails(since)  # note"
    pieces = highlight(code, 14, 33)
    assert "".join(p.text for p in pieces) == code.strip()
    assert "".join(p.text for p in pieces if p.focus) == "buyer_emails(since)"
    classes = {p.text: p.cls for p in pieces}
    assert classes["buyer_emails"] == "call" and classes["# note"] == "com"
    assert highlight('x = f"{a[\'b\']}"  # </script>')[-1].text == "# </script>"
    assert highlight("") == []


def test_code_spans() -> None:
    assert code_spans("passed as `users` to `add()`") == [
        (False, "passed as "), (True, "users"), (False, " to "), (True, "add()")]
    assert code_spans("odd ` tick") == [(False, "odd ` tick")]
