"""The credential rules (SS201-SS205, run by semgrep): each fixture yields exactly its
annotated findings, its negative twin none; templates are scanned for these rules only;
the payment-processor app's findings appear, with their docs, in all four formats."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import jsonschema
from click.testing import CliRunner
from harness import assert_findings_match

from scanner.api import ScanOptions, run_scan
from scanner.cli import main
from scanner.model import EngineStatus

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CREDENTIALS = FIXTURES / "credentials"
PAYMENT = FIXTURES / "apps" / "payment_processor"
SCHEMA = Path(__file__).resolve().parent / "schemas" / "sarif-schema-2.1.0.json"


def test_credential_fixtures_match_annotations() -> None:
    result = run_scan(ScanOptions(paths=[CREDENTIALS], root=CREDENTIALS))
    assert result.skipped == []
    python = [f for f in result.findings if f.sink.path.endswith(".py")]
    assert_findings_match(replace(result, findings=python), CREDENTIALS)
    templates = {(f.sink.path, f.sink.line, f.rule_id) for f in result.findings
                 if f.sink.path.startswith("templates/")}
    assert templates == {("templates/connect.html", 4, "SS205"),
                         ("templates/connect.html", 5, "SS205")}
    semgrep = result.engines[1]
    assert semgrep.name == "semgrep" and semgrep.status is EngineStatus.OK
    assert "templates/api_key.html" in semgrep.files and "tests/test_client.py" in semgrep.files
    assert "templates/connect.html" not in result.engines[0].files


def test_negative_twins_and_fake_keys_are_quiet() -> None:
    result = run_scan(ScanOptions(paths=[CREDENTIALS], root=CREDENTIALS))
    loud = {f.sink.path for f in result.findings}
    assert not loud & {"hardcoded_ok.py", "logged_ok.py", "forwarded_ok.py", "seller_keys_ok.py",
                       "solicit_ok.py", "tests/test_client.py", "templates/api_key.html"}


def test_excluded_templates_are_not_scanned() -> None:
    result = run_scan(ScanOptions(paths=[CREDENTIALS], root=CREDENTIALS, excludes=["templates"]))
    assert not [f for f in result.findings if f.sink.path.startswith("templates/")]
    assert not [p for p in result.engines[1].files if p.startswith("templates/")]


def _cli(*args: str) -> tuple[int, str]:
    outcome = CliRunner().invoke(main, ["scan", str(PAYMENT), *args])
    return outcome.exit_code, outcome.stdout


EXPECTED = {("config.py", 9, "SS201"), ("onboarding.py", 9, "SS205"),
            ("onboarding.py", 16, "SS205"), ("onboarding.py", 23, "SS203"),
            ("settlements.py", 8, "SS204")}


def test_payment_processor_in_all_four_formats() -> None:
    code, text = _cli("--format", "text")
    assert code == 1
    for path, line, rule in EXPECTED:
        assert f"{rule} " in text and f"{path}:{line}:" in text
    code, out = _cli("--format", "json")
    data = json.loads(out)
    assert code == 1 and data["engine_failure"] is False
    assert {(f["sink"]["path"], f["sink"]["line"], f["rule_id"]) for f in data["findings"]} == EXPECTED
    assert [e["name"] for e in data["engines"]] == ["taint", "semgrep"]
    code, out = _cli("--format", "sarif")
    sarif = json.loads(out)
    jsonschema.validate(sarif, json.loads(SCHEMA.read_text(encoding="utf-8")))
    run = sarif["runs"][0]
    got = {(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"], r["ruleId"])
           for r in run["results"]}
    assert got == EXPECTED
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert "seller" in rules["SS205"]["fullDescription"]["text"]
    assert run["tool"]["extensions"][0]["name"] == "semgrep"
    assert [i["executionSuccessful"] for i in run["invocations"]] == [True, True]
    code, html = _cli("--format", "html")
    assert code == 1
    for rule in ("SS201", "SS203", "SS204", "SS205"):
        assert rule in html
    assert "solicits-seller-secret" in html


def test_explain_documents_the_credential_rules() -> None:
    outcome = CliRunner().invoke(main, ["explain", "SS205"])
    assert outcome.exit_code == 0
    assert "MWS Secret Key" in outcome.output and "How to fix:" in outcome.output
