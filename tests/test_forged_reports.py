"""Reports cannot be forged by what is scanned: newlines, control characters and bidi
controls in file names, code and strings are shown escaped in text and HTML (the HTML
file holds no raw control byte); JSON and SARIF keep the exact values."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner

from scanner.cli import main

RLO, LRI, PDI = "\u202e", "\u2066", "\u2069"
BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
RAW_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

FLOW = (
    "from sp_api.api import Orders\n"
    "order = Orders().get_order('1').payload\n"
    "print(order['BuyerInfo']['BuyerEmail'], '" + RLO + " \\x1b[2J', \"" + LRI + "x" + PDI + "\")"
    "  # \x1b[31m" + RLO + "\n"
)
NEWLINE_NAME = "evil\nSummary: no findings.\n.py"
BIDI_NAME = "orders" + RLO + "yp.txt.py"


def _tree(tmp_path: Path) -> Path:
    app = tmp_path / "app"
    app.mkdir()
    (app / NEWLINE_NAME).write_text(FLOW, encoding="utf-8")
    (app / BIDI_NAME).write_text(FLOW, encoding="utf-8")
    (app / ("bad\x1b[2J" + RLO + ".py")).write_bytes(b"def f(:\n")
    return app


def _scan(app: Path, fmt: str) -> str:
    out = CliRunner().invoke(main, ["scan", str(app), "--format", fmt, "--no-color"])
    assert out.exit_code == 1, out.output
    return out.stdout


def test_text_report_shows_hostile_names_and_code_escaped(tmp_path: Path) -> None:
    text = _scan(_tree(tmp_path), "text")
    assert not BIDI.search(text) and not RAW_CONTROL.search(text)
    assert "evil\\x0aSummary: no findings.\\x0a.py:3:1" in text
    assert "orders\\u202eyp.txt.py:3:1" in text
    assert "bad\\x1b[2J\\u202e.py: syntax-error" in text
    assert "'\\u202e \\x1b[2J'" in text and "\"\\u2066x\\u2069\"" in text
    assert [line for line in text.splitlines() if line.startswith("Summary")] == [
        "Summary: 2 findings (2 medium); 2 violations, 0 to review."]


def test_html_report_holds_no_raw_control_or_bidi_character(tmp_path: Path) -> None:
    page = _scan(_tree(tmp_path), "html")
    assert not BIDI.search(page) and not RAW_CONTROL.search(page)
    assert "orders\\u202eyp.txt.py" in page
    assert "bad\\x1b[2J\\u202e.py" in page


def test_json_and_sarif_keep_the_exact_values(tmp_path: Path) -> None:
    app = _tree(tmp_path)
    data = json.loads(_scan(app, "json"))
    assert sorted(f["sink"]["path"] for f in data["findings"]) == sorted([NEWLINE_NAME, BIDI_NAME])
    assert all(RLO in f["sink"]["snippet"] and "\x1b[31m" in f["sink"]["snippet"] for f in data["findings"])
    assert [s["path"] for s in data["skipped"]] == ["bad\x1b[2J" + RLO + ".py"]
    sarif = json.loads(_scan(app, "sarif"))
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in sarif["runs"][0]["results"]}
    assert len(uris) == 2
