"""Failures are never mistaken for results: an internal error exits with status 2, says
so on standard error, and every report format records that the scan failed."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

import scanner.cli
import scanner.plan.run
from scanner.cli import main


def _boom(*args: object, **kwargs: object) -> None:
    raise KeyError("forced internal error")


@pytest.fixture()
def broken(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setattr(scanner.plan.run, "group_files", _boom)
    (tmp_path / "a.py").write_text("print('x')\n", encoding="utf-8")
    return tmp_path


def test_an_internal_error_is_exit_2_with_a_message(broken: Path) -> None:
    out = CliRunner().invoke(main, ["scan", str(broken)])
    assert out.exit_code == 2
    assert ("sellerscan: error: internal error, the scan did not complete: "
            "KeyError: 'forced internal error'") in out.stderr
    assert "Summary" not in out.stdout


def test_an_internal_error_is_recorded_in_sarif(broken: Path) -> None:
    report = broken / "out.sarif"
    out = CliRunner().invoke(main, ["scan", str(broken), "--format", "sarif", "-o", str(report)])
    assert out.exit_code == 2
    run = json.loads(report.read_text(encoding="utf-8"))["runs"][0]
    assert "results" not in run
    invocation = run["invocations"][0]
    assert invocation["executionSuccessful"] is False
    assert "forced internal error" in invocation["toolExecutionNotifications"][0]["message"]["text"]


def test_an_internal_error_is_recorded_in_json_and_html(broken: Path) -> None:
    out = CliRunner().invoke(main, ["scan", str(broken), "--format", "json"])
    assert out.exit_code == 2
    data = json.loads(out.stdout)
    assert data["execution_successful"] is False and "findings" not in data
    assert "forced internal error" in data["error"]
    page = CliRunner().invoke(main, ["scan", str(broken), "--format", "html"])
    assert page.exit_code == 2
    assert "the scan failed" in page.stdout and "forced internal error" in page.stdout


def test_a_crash_in_any_command_is_exit_2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scanner.cli, "load_rulesets", _boom)
    out = CliRunner().invoke(main, ["rules"])
    assert out.exit_code == 2
    assert "sellerscan: error: internal error: KeyError" in out.stderr


def test_a_ruleset_over_the_size_limit_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("print('x')\n", encoding="utf-8")
    big = tmp_path / "big.yaml"
    entry = "  - id: big.sink.{n}\n    description: x\n    calls: [big.call{n}]\n    kind: log\n"
    big.write_text("ruleset: big\nsinks:\n" + "".join(entry.format(n=n) for n in range(30_000)),
                   encoding="utf-8")
    assert big.stat().st_size > 2_000_000
    report = tmp_path / "out.sarif"
    out = CliRunner().invoke(main, ["scan", str(tmp_path / "a.py"), "--ruleset", str(big),
                                    "--format", "sarif", "-o", str(report)])
    assert out.exit_code == 2
    assert f"{big.stat().st_size} bytes exceeds the ruleset size limit of 1000000 bytes" in out.stderr
    assert '"executionSuccessful": false' in report.read_text(encoding="utf-8")
    small = CliRunner().invoke(main, ["scan", str(tmp_path / "a.py"), "--ruleset", str(big),
                                      "--max-ruleset-size", "100"])
    assert small.exit_code == 2 and "limit of 100 bytes (--max-ruleset-size)" in small.stderr


def test_a_fifo_ruleset_is_refused_not_read(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("print('x')\n", encoding="utf-8")
    os.mkfifo(tmp_path / "rules.yaml")
    out = CliRunner().invoke(main, ["scan", str(tmp_path / "a.py"), "--ruleset", str(tmp_path / "rules.yaml")])
    assert out.exit_code == 2 and "not a regular file" in out.stderr
