"""End to end: a fixture whose strings and comments carry injection payloads is scanned
for real, and every report format shows them inert."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from test_html import ALLOWED_TAGS, URL_ATTRIBUTES, parse

from scanner.api import ScanOptions, run_scan
from scanner.model import ScanResult
from scanner.report import render

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "injection"


@pytest.fixture(scope="module")
def result() -> ScanResult:
    return run_scan(ScanOptions(paths=[FIXTURE], root=FIXTURE))


def test_fixture_findings_carry_the_payloads(result: ScanResult) -> None:
    assert {(f.sink.line, f.rule_id) for f in result.findings} == {(23, "SS108"), (24, "SS107")}
    snippets = " ".join(s.location.snippet for f in result.findings for s in f.steps)
    assert "<script>alert(4)</script>" in snippets and "onerror=alert(5)" in snippets


def test_html_report_of_real_scan_is_inert(result: ScanResult) -> None:
    html = render(result, "html")
    page = parse(html)
    for tag, attrs in page.tags:
        assert tag in ALLOWED_TAGS, tag
        for name in attrs:
            assert not name.startswith("on"), (tag, name)
            assert name not in URL_ATTRIBUTES, (tag, name)
    assert [t for t, _ in page.tags].count("script") == 2
    lowered = html.lower()
    assert "<script>alert" not in lowered and "<img" not in lowered and "<svg onload" not in lowered
    text = "".join(page.text)
    assert "<script>alert(4)</script>" in text
    assert "onerror=alert(5)" in text


def test_sarif_and_json_of_real_scan_round_trip_the_payloads(result: ScanResult) -> None:
    sarif = json.loads(render(result, "sarif"))
    flows = json.dumps(sarif["runs"][0]["results"])
    assert "<script>alert(4)</script>" in flows
    data = json.loads(render(result, "json"))
    assert any("onerror=alert(5)" in s["snippet"] for f in data["findings"] for s in f["steps"])


def test_text_report_has_no_control_characters(result: ScanResult) -> None:
    text = render(result, "text", color=False)
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", text)
