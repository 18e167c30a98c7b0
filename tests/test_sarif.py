"""SARIF writer: schema validity, traces, fingerprints, GitHub limits, failed scans."""

from __future__ import annotations

import gzip
import json
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from report_samples import (
    RULES,
    ad_finding,
    email_finding,
    injection_result,
    loc,
    sample_result,
    shifted,
)

from scanner import __version__
from scanner.model import Finding, TraceStep
from scanner.report.sarif import (
    FINGERPRINT_KEY,
    Limits,
    render_sarif,
    render_sarif_failure,
)

SCHEMA_PATH = Path(__file__).resolve().parent / "schemas" / "sarif-schema-2.1.0.json"


@lru_cache(maxsize=1)
def _validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def valid_sarif(text: str) -> dict[str, Any]:
    """Parse `text` and fail the test with every schema error if it is not valid SARIF."""
    log = json.loads(text)
    errors = sorted(_validator().iter_errors(log), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:20])
    return log


def only_run(text: str) -> dict[str, Any]:
    log = valid_sarif(text)
    assert log["version"] == "2.1.0"
    assert len(log["runs"]) == 1
    return log["runs"][0]


def fingerprints(findings: list[Finding]) -> list[str]:
    run = only_run(render_sarif(sample_result(findings)))
    return [r["partialFingerprints"][FINGERPRINT_KEY] for r in run["results"]]


def test_sample_is_valid_and_describes_the_tool_and_rules() -> None:
    run = only_run(render_sarif(sample_result()))
    driver = run["tool"]["driver"]
    assert driver["name"] == "sellerscan"
    assert driver["version"] == __version__
    assert driver["informationUri"].startswith("https://")
    by_id = {r["id"]: r for r in driver["rules"]}
    assert set(by_id) == {r.id for r in RULES}
    critical = by_id["SS101"]
    assert critical["name"] == "pii-to-ad-platform"
    assert critical["shortDescription"]["text"] == RULES[0].title
    assert "Hashing the values first" in critical["fullDescription"]["text"]
    assert "Remove the upload" in critical["help"]["text"]
    assert "**How to fix:**" in critical["help"]["markdown"]
    assert "DPP / AUP" in critical["help"]["markdown"]
    assert critical["helpUri"].startswith("https://")
    assert critical["properties"]["tags"] == ["security", "privacy", "advertising"]
    assert critical["properties"]["security-severity"] == "9.5"
    assert critical["defaultConfiguration"]["level"] == "error"
    levels = {r["id"]: (r["defaultConfiguration"]["level"], r["properties"]["security-severity"])
              for r in driver["rules"]}
    assert levels == {"SS101": ("error", "9.5"), "SS103": ("error", "8.0"),
                      "SS108": ("warning", "5.5"), "SS109": ("note", "3.0")}
    for rule in driver["rules"]:
        float(rule["properties"]["security-severity"])


def test_every_result_carries_its_trace_source_and_fingerprint() -> None:
    result = sample_result()
    run = only_run(render_sarif(result))
    rules = run["tool"]["driver"]["rules"]
    assert len(run["results"]) == len(result.findings)
    by_rule = {f.rule_id: f for f in result.findings}
    for res in run["results"]:
        finding = by_rule[res["ruleId"]]
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
        assert res["level"] == {"critical": "error", "high": "error", "medium": "warning",
                                "low": "note", "info": "note"}[finding.severity.value]
        text = res["message"]["text"]
        for kind in finding.pii_kinds:
            assert kind in text
        assert finding.destination.category in text
        sink = res["locations"][0]["physicalLocation"]
        assert sink["artifactLocation"] == {"uri": finding.sink.path, "uriBaseId": "%SRCROOT%"}
        assert sink["region"]["startLine"] == finding.sink.line
        assert sink["region"]["startColumn"] == finding.sink.column
        source = res["relatedLocations"][0]["physicalLocation"]
        assert source["artifactLocation"]["uri"] == finding.source.path
        assert source["region"]["startLine"] == finding.source.line
        assert "[" in text and "](1)" in text  # embedded link to the source
        flow = res["codeFlows"][0]["threadFlows"][0]["locations"]
        assert len(flow) == len(finding.steps)
        for step, tfl in zip(finding.steps, flow):
            assert tfl["location"]["message"]["text"] == step.action
            phys = tfl["location"]["physicalLocation"]
            assert phys["region"]["startLine"] == step.location.line
            assert phys["contextRegion"]["snippet"]["text"] == step.location.snippet
            assert tfl["kinds"] == [step.kind]
        assert res["partialFingerprints"][FINGERPRINT_KEY]
    ad = next(r for r in run["results"] if r["ruleId"] == "SS101")
    assert "hashed" in ad["message"]["text"]
    assert "graph.facebook.com" in ad["message"]["text"]


def test_uris_are_relative_and_the_root_is_declared() -> None:
    run = only_run(render_sarif(sample_result()))
    assert "uri" not in run["originalUriBaseIds"]["%SRCROOT%"]  # relative root: described
    absolute = replace(sample_result(), root="/home/ci/shop app")
    run = only_run(render_sarif(absolute))
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == "file:///home/ci/shop%20app/"
    for res in run["results"]:
        uri = res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert not uri.startswith("/") and ":" not in uri


def test_skipped_files_and_notes_are_notifications() -> None:
    run = only_run(render_sarif(sample_result()))
    invocation = run["invocations"][0]
    assert invocation["executionSuccessful"] is True
    notes = invocation["toolExecutionNotifications"]
    skipped = [n for n in notes if n["descriptor"]["id"] == "skipped-file"]
    assert [n["level"] for n in skipped] == ["warning", "warning"]
    assert "python2" in skipped[0]["message"]["text"]
    assert "too-large" in skipped[1]["message"]["text"]
    uri = skipped[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "app/legacy/py2_sync.py"
    assert any("depth budget" in n["message"]["text"] for n in notes)


def test_fingerprints_survive_lines_inserted_above() -> None:
    before = fingerprints([ad_finding(), email_finding()])
    after = fingerprints([shifted(ad_finding(), 7), shifted(email_finding(), 120)])
    assert before == after


def test_fingerprints_differ_for_different_sinks_and_rules() -> None:
    base = ad_finding()
    other_sink = replace(base, sink=loc(
        base.sink.path, base.sink.line,
        "    CustomAudience(OTHER).add_users(Schema.email_hash, hashed)"))
    other_file = replace(base, sink=replace(base.sink, path="app/marketing/other.py"))
    other_rule = replace(base, rule_id="SS106")
    prints = [fingerprints([f])[0] for f in (base, other_sink, other_file, other_rule)]
    assert len(set(prints)) == 4


def test_duplicate_findings_get_distinct_stable_fingerprints() -> None:
    first = ad_finding()
    second = shifted(first, 40)  # the same code again further down the same file
    prints = fingerprints([first, second])
    assert len(set(prints)) == 2
    assert prints == fingerprints([shifted(first, 3), shifted(second, 3)])
    assert fingerprints([second, first]) == prints  # input order does not matter


def test_whitespace_only_changes_keep_the_fingerprint() -> None:
    base = ad_finding()
    reindented = replace(base, sink=replace(base.sink, snippet="        " + base.sink.snippet.strip()))
    assert fingerprints([base]) == fingerprints([reindented])


def test_result_limit_truncates_with_a_notification() -> None:
    findings = [shifted(email_finding(), i * 10) for i in range(6)] + [ad_finding()]
    run = only_run(render_sarif(sample_result(findings), Limits(results_per_run=3)))
    assert len(run["results"]) == 3
    assert run["results"][0]["ruleId"] == "SS101"  # the most severe is kept
    notes = run["invocations"][0]["toolExecutionNotifications"]
    cut = [n for n in notes if n["descriptor"]["id"] == "results-truncated"]
    assert len(cut) == 1 and "4 of 7" in cut[0]["message"]["text"]
    assert run["invocations"][0]["executionSuccessful"] is True


def test_long_trace_keeps_both_ends_within_the_limit() -> None:
    base = ad_finding()
    middle = tuple(TraceStep(loc("app/loop.py", i + 1, f"    x{i} = x{i - 1}"),
                             f"assigned to `x{i}`") for i in range(40))
    long = replace(base, steps=(base.steps[0], *middle, base.steps[-1]))
    run = only_run(render_sarif(sample_result([long]),
                                Limits(thread_flow_locations_per_result=10)))
    flow = run["results"][0]["codeFlows"][0]["threadFlows"][0]["locations"]
    assert len(flow) == 10
    assert flow[0]["kinds"] == ["source"] and flow[-1]["kinds"] == ["sink"]
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert any(n["descriptor"]["id"] == "trace-truncated" for n in notes)


def test_size_limit_drops_results_until_the_file_fits() -> None:
    findings = [shifted(ad_finding(), i * 10) for i in range(40)]
    full = render_sarif(sample_result(findings))
    limits = Limits(gzip_bytes=len(gzip.compress(full.encode())) // 3)
    small = render_sarif(sample_result(findings), limits)
    run = only_run(small)
    assert 0 < len(run["results"]) < 40
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert any("size limit" in n["message"]["text"] for n in notes)


def test_tags_are_capped() -> None:
    many = replace(RULES[0], tags=tuple(f"t{i}" for i in range(30)))
    result = sample_result([ad_finding()])
    result.rules = [many]
    run = only_run(render_sarif(result))
    assert len(run["tool"]["driver"]["rules"][0]["properties"]["tags"]) == 10


def test_findings_of_unlisted_rules_still_resolve() -> None:
    result = sample_result([ad_finding()])
    result.rules = []
    run = only_run(render_sarif(result))
    assert run["tool"]["driver"]["rules"][0]["id"] == "SS101"
    assert run["results"][0]["ruleIndex"] == 0


def test_empty_scan_is_valid_and_successful() -> None:
    run = only_run(render_sarif(sample_result([])))
    assert run["results"] == []
    assert run["invocations"][0]["executionSuccessful"] is True


def test_failed_scan_is_not_clean() -> None:
    run = only_run(render_sarif_failure("ruleset rulesets/sinks.yaml line 4: bad key"))
    invocation = run["invocations"][0]
    assert invocation["executionSuccessful"] is False
    assert "results" not in run  # absent, not empty: "could not tell", not "clean"
    (note,) = invocation["toolExecutionNotifications"]
    assert note["level"] == "error" and "sinks.yaml line 4" in note["message"]["text"]


@pytest.mark.parametrize("char", ["[", "]"])
def test_scanned_text_cannot_forge_embedded_links(char: str) -> None:
    finding = replace(ad_finding(), message=f"see {char}x{char}(2) here")
    text = only_run(render_sarif(sample_result([finding])))["results"][0]["message"]["text"]
    assert f"\\{char}x\\{char}(2)" in text


def test_injection_payloads_stay_valid_sarif() -> None:
    run = only_run(render_sarif(injection_result()))
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in run["results"]]
    assert "javascript%3Aalert%281%29" in [
        r["relatedLocations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in run["results"]]
    assert all(":" not in u and "<" not in u and '"' not in u for u in uris)
