"""Inline suppressions (read with tokenize) and baselines (stable fingerprints)."""

from __future__ import annotations

import json
from pathlib import Path

from workflow_helpers import APP, cli, found, scan_json, write


def _suppressed(data: dict) -> list[tuple[str, int, str | None]]:  # type: ignore[type-arg]
    return [(f["rule_id"], f["sink"]["line"],
             f["suppression"]["justification"] if f["suppression"] else None)
            for f in data["findings"]]


def test_suppression_on_the_line_the_line_before_and_the_closing_line(tmp_path: Path) -> None:
    app = APP.replace('    logging.info("buyer %s", email)\n',
                      "    # sellerscan: ignore[SS108] audit log, kept 7 days in our own store\n"
                      '    logging.info("buyer %s", email)\n')
    app = app.replace("    )\n", "    )  # sellerscan: ignore[SS107, SS101] tracker is our own\n")
    write(tmp_path / "job.py", app)
    code, data = scan_json(str(tmp_path))
    assert code == 1  # SS101 is named but suppresses nothing there
    assert _suppressed(data) == [
        ("SS108", 10, "audit log, kept 7 days in our own store"),
        ("SS107", 11, "tracker is our own"),
        ("SS900", 14, None),
    ]
    assert data["findings"][2]["message"] == (
        "suppression comment suppresses no SS101 finding here (unused)")
    assert data["suppressed"] == 2
    write(tmp_path / "job.py", app.replace("SS107, SS101]", "SS107]"))
    assert scan_json(str(tmp_path))[0] == 0
    text = cli("scan", str(tmp_path))
    assert text.exit_code == 0
    assert "Not shown: 2 suppressed inline, 0 already in the baseline." in text.output
    sarif = json.loads(cli("scan", str(tmp_path), "--format", "sarif").stdout)
    results = sarif["runs"][0]["results"]
    assert [r["suppressions"] for r in results] == [
        [{"kind": "inSource", "justification": "tracker is our own"}],
        [{"kind": "inSource", "justification": "audit log, kept 7 days in our own store"}],
    ]
    html = cli("scan", str(tmp_path), "--format", "html").stdout
    assert "suppressed: tracker is our own" in html


def test_same_line_suppression_and_trailing_comment_before_does_not_count(
        tmp_path: Path) -> None:
    app = APP.replace('    email = order["BuyerInfo"]["BuyerEmail"]\n',
                      '    email = order["BuyerInfo"]["BuyerEmail"]  # sellerscan: ignore[SS108] x\n')
    app = app.replace('logging.info("buyer %s", email)',
                      'logging.info("buyer %s", email)  # sellerscan: ignore[SS108] ops log')
    write(tmp_path / "job.py", app)
    code, data = scan_json(str(tmp_path))
    assert code == 1
    assert _suppressed(data) == [("SS900", 8, None), ("SS108", 9, "ops log"), ("SS107", 10, None)]
    assert data["findings"][0]["message"] == (
        "suppression comment suppresses no SS108 finding here (unused)")


def test_invalid_suppressions_are_reported_and_strings_never_count(tmp_path: Path) -> None:
    app = APP.replace('logging.info("buyer %s", email)',
                      'logging.info("# sellerscan: ignore[SS108] in a string", email)')
    app = app.replace("    )\n", "    )  # sellerscan: ignore[SS107]\n")
    app += "x = 1  # sellerscan: ignore[SS1O7] typo\ny = 2  # sellerscan: ignore\n"
    write(tmp_path / "job.py", app)
    code, data = scan_json(str(tmp_path))
    assert code == 1
    assert _suppressed(data) == [
        ("SS108", 9, None), ("SS107", 10, ""), ("SS900", 13, None), ("SS900", 14, None),
        ("SS900", 15, None)]
    messages = [f["message"] for f in data["findings"] if f["rule_id"] == "SS900"]
    assert messages == [
        "suppression comment gives no reason",
        "suppression comment names unknown rule id(s) SS1O7",
        "suppression comment names no rule id (write `ignore[SS108]`); gives no reason",
    ]


def test_baseline_reports_only_new_findings_and_survives_edits_above(tmp_path: Path) -> None:
    app_dir = tmp_path / "app"
    job = write(app_dir / "job.py", APP)
    baseline = tmp_path / "sellerscan-baseline.json"
    created = cli("baseline", "create", str(app_dir), "--output", str(baseline))
    assert created.exit_code == 0, created.output
    entries = json.loads(baseline.read_text())["findings"]
    assert [(e["rule_id"], e["path"], e["line"]) for e in entries] == [
        ("SS108", "job.py", 9), ("SS107", "job.py", 10)]
    # Unrelated edits above the flow move every line; the fingerprints still match.
    job.write_text('"""Order jobs."""\n\nRETRIES = 3\n\n' + APP, encoding="utf-8")
    code, data = scan_json(str(app_dir), "--baseline", str(baseline))
    assert code == 0
    assert [(f["rule_id"], f["sink"]["line"], f["baseline_state"]) for f in data["findings"]] == [
        ("SS108", 13, "unchanged"), ("SS107", 14, "unchanged")]
    assert data["stale_baseline"] == []
    # A new flow is reported; the removed one is listed as stale.
    job.write_text(APP.replace('logging.info("buyer %s", email)', 'print("buyer", email)'),
                   encoding="utf-8")
    code, data = scan_json(str(app_dir), "--baseline", str(baseline))
    assert code == 1
    assert [(f["rule_id"], f["sink"]["line"], f["baseline_state"]) for f in data["findings"]] == [
        ("SS108", 9, "new"), ("SS107", 10, "unchanged")]
    assert [(e["rule_id"], e["line"]) for e in data["stale_baseline"]] == [("SS108", 9)]
    sarif = json.loads(cli("scan", str(app_dir), "--baseline", str(baseline),
                           "--format", "sarif").stdout)
    assert sorted(r["baselineState"] for r in sarif["runs"][0]["results"]) == ["new", "unchanged"]
    text = cli("scan", str(app_dir), "--baseline", str(baseline))
    assert "stale baseline entry: SS108 job.py:9" in text.output
    assert "Not shown: 0 suppressed inline, 1 already in the baseline." in text.output
    assert found(data) == [("SS108", 9), ("SS107", 10)]


def test_baseline_from_config_and_bad_baseline(tmp_path: Path) -> None:
    write(tmp_path / "job.py", APP)
    assert cli("baseline", "create", str(tmp_path), "-o", str(tmp_path / "b.json")).exit_code == 0
    write(tmp_path / ".sellerscan.toml", 'baseline = "b.json"\n')
    assert scan_json(str(tmp_path))[0] == 0
    write(tmp_path / "b.json", "[]")
    result = cli("scan", str(tmp_path))
    assert result.exit_code == 2 and "b.json: not a sellerscan baseline" in result.output
