"""The second engine's plumbing: a missing, crashing or hanging semgrep is reported in
every format and the taint findings still appear; the keyword pre-filter; files the
taint engine could not parse still go to semgrep; user semgrep rules; de-duplication."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from scanner.api import RulesetError, ScanOptions, SemgrepOptions, run_scan
from scanner.cli import main
from scanner.model import Destination, EngineStatus, Finding, Location, Severity, SinkKind, Verdict
from scanner.rules.loader import load_rulesets
from scanner.semgrep.config import load_semgrep_rules
from scanner.semgrep.merge import semgrep_findings

APP = Path(__file__).resolve().parents[1] / "fixtures" / "apps" / "ad_audience_uploader"
SCHEMA = Path(__file__).resolve().parent / "schemas" / "sarif-schema-2.1.0.json"
TAINT = {("audience.py", 46, "SS101")}


def _scan(fmt: str, *extra: str) -> tuple[int, str, str]:
    outcome = CliRunner().invoke(main, ["scan", str(APP), "--format", fmt, *extra])
    return outcome.exit_code, outcome.stdout, outcome.stderr


def test_missing_semgrep_is_reported_in_every_format(tmp_path: Path) -> None:
    missing = str(tmp_path / "no-such-dir" / "semgrep")
    code, text, err = _scan("text", "--semgrep", missing)
    assert code == 2
    assert "ENGINE FAILURE: semgrep failed: program" in text and "were NOT checked" in text
    assert "SS101 pii-to-ad-platform" in text
    assert "sellerscan: error: semgrep failed" in err
    code, out, _ = _scan("json", "--semgrep", missing)
    data = json.loads(out)
    assert code == 2 and data["engine_failure"] is True
    assert data["engines"][1]["name"] == "semgrep" and data["engines"][1]["status"] == "failed"
    assert {(f["sink"]["path"], f["sink"]["line"], f["rule_id"]) for f in data["findings"]} >= TAINT
    code, out, _ = _scan("sarif", "--semgrep", missing)
    sarif = json.loads(out)
    jsonschema.validate(sarif, json.loads(SCHEMA.read_text(encoding="utf-8")))
    invocations = sarif["runs"][0]["invocations"]
    assert [i["executionSuccessful"] for i in invocations] == [True, False]
    assert invocations[1]["toolExecutionNotifications"][0]["level"] == "error"
    assert "semgrep" in invocations[1]["toolExecutionNotifications"][0]["message"]["text"]
    assert [r["ruleId"] for r in sarif["runs"][0]["results"]].count("SS101") == 2
    code, html, _ = _scan("html", "--semgrep", missing)
    assert code == 2 and "ENGINE FAILURE" in html and "SS101" in html
    code, _, _ = _scan("text", "--semgrep", missing, "--allow-engine-failure")
    assert code == 1


def _fake_semgrep(tmp_path: Path, body: str) -> str:
    script = tmp_path / "semgrep"
    script.write_text("#!/bin/sh\n" + body + "\n", encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


@pytest.mark.parametrize(("body", "timeout", "says"), [
    ("echo 'Fatal error: out of memory' >&2; exit 7", 60.0, "exit status 7"),
    ("echo 'not json'", 60.0, "exit status 0"),
    ("exec sleep 30", 1.0, "timed out after 1 s"),
])
def test_crashing_or_hanging_semgrep_fails_the_engine(tmp_path: Path, body: str, timeout: float,
                                                      says: str) -> None:
    program = _fake_semgrep(tmp_path, body)
    result = run_scan(ScanOptions(paths=[APP], root=APP, semgrep=SemgrepOptions(
        executable=program, timeout_seconds=timeout)))
    assert [e.name for e in result.failed_engines] == ["semgrep"]
    assert says in result.failed_engines[0].message
    assert {(f.sink.path, f.sink.line, f.rule_id) for f in result.findings} >= TAINT
    assert any(n.startswith("ENGINE FAILURE") for n in result.notes)


def test_semgrep_is_not_started_when_no_file_mentions_its_keywords(tmp_path: Path) -> None:
    (tmp_path / "plain.py").write_text("print('hello')\n", encoding="utf-8")
    result = run_scan(ScanOptions(paths=[tmp_path], root=tmp_path,
                                  semgrep=SemgrepOptions(executable=str(tmp_path / "none"))))
    assert result.engines[1].status is EngineStatus.NOT_NEEDED and not result.failed_engines


def test_no_semgrep_option_disables_the_engine() -> None:
    code, out, _ = _scan("json", "--no-semgrep")
    assert code == 1 and json.loads(out)["engines"][1]["status"] == "disabled"


def test_unparseable_file_still_goes_to_semgrep(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text(
        'TOKEN = "Atzr|" + "IwEBIJ4kq2mF8v0nX3sLw9Zp"\ndef broken(:\n    pass\n', encoding="utf-8")
    result = run_scan(ScanOptions(paths=[tmp_path], root=tmp_path))
    assert [s.path for s in result.skipped] == ["broken.py"]
    assert [(f.sink.path, f.sink.line, f.rule_id) for f in result.findings] == [("broken.py", 1, "SS201")]
    assert result.engines[0].files == () and result.engines[1].files == ("broken.py",)
    assert "semgrep analysed 1 file(s) the taint engine could not: broken.py" in result.notes


USER_RULE = """rules:
  - id: no-shipping-secret
    languages: [python]
    severity: ERROR
    message: shipping secret in code
    metadata: {sellerscan-rule: RULE}
    pattern: SHIP_SECRET = "..."
"""


def test_user_ruleset_folder_may_hold_semgrep_rules(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    (rules / "semgrep").mkdir(parents=True)
    (rules / "extra.yaml").write_text("ruleset: extra\n", encoding="utf-8")
    (rules / "semgrep" / "ship.yaml").write_text(USER_RULE.replace("RULE", "SS201"), encoding="utf-8")
    app = tmp_path / "app"
    app.mkdir()
    (app / "settings.py").write_text('SHIP_SECRET = "abc"\n', encoding="utf-8")
    result = run_scan(ScanOptions(paths=[app], root=app, rulesets=[rules]))
    assert [(f.sink.line, f.rule_id, f.source_rule) for f in result.findings] == [
        (1, "SS201", "no-shipping-secret")]
    (rules / "semgrep" / "ship.yaml").write_text(USER_RULE.replace("RULE", "SS999"), encoding="utf-8")
    with pytest.raises(RulesetError, match="SS999"):
        run_scan(ScanOptions(paths=[app], root=app, rulesets=[rules]))


def test_semgrep_finding_on_a_taint_finding_line_is_dropped(tmp_path: Path) -> None:
    ruleset = load_rulesets()
    rules = load_semgrep_rules([], True, ruleset)
    where = Location("app.py", 3, 1)
    taint = Finding("SS113", "restricted-token-leak", Severity.HIGH, Verdict.VIOLATION, "m",
                    ("credential",), False, SinkKind.LOG, Destination("log"), "src", "sink",
                    where, where)
    hit = {"check_id": "amazon-secret-logged", "path": "app.py", "start": {"line": 3, "col": 1},
           "end": {"line": 3, "col": 9}, "extra": {"message": "m"}}
    other = dict(hit, start={"line": 4, "col": 1})
    found = semgrep_findings([hit, other, dict(other)], rules, ruleset, tmp_path, [taint])
    assert [(f.sink.line, f.rule_id) for f in found] == [(4, "SS202")]


def test_semgrep_not_on_path_fails_the_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    code, out, err = _scan("json", "--semgrep", "semgrep")
    data = json.loads(out)
    assert code == 2 and data["engine_failure"] is True
    assert "program 'semgrep' not found" in data["engines"][1]["message"]
    assert {(f["sink"]["path"], f["sink"]["line"], f["rule_id"]) for f in data["findings"]} >= TAINT
    assert "semgrep failed" in err
