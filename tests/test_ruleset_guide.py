"""The worked example of rulesets/README.md works as the guide says."""

from __future__ import annotations

import re
from pathlib import Path

from scanner.api import ScanOptions, run_scan
from scanner.rules.loader import load_rulesets
from scanner.rules.urls import classify_host

GUIDE = Path(__file__).resolve().parents[1] / "rulesets" / "README.md"


def _example(tmp_path: Path) -> Path:
    text = GUIDE.read_text(encoding="utf-8")
    yaml_text = re.search(r"Save as `acme.yaml`:\n\n```yaml\n(.*?)```", text, re.DOTALL).group(1)  # type: ignore[union-attr]
    rules = tmp_path / "acme.yaml"
    rules.write_text(yaml_text, encoding="utf-8")
    return rules


def test_worked_example(tmp_path: Path) -> None:
    rules = _example(tmp_path)
    app = tmp_path / "app"
    app.mkdir()
    (app / "job.py").write_text(
        "import acme_erp\n"
        "import requests\n"
        "client = acme_erp.Client()\n"
        'client.push_to_partner([{"email": b["email"]} for b in client.buyers()])\n'
        'client.push_to_partner([b["erp_id"] for b in client.buyers()])\n'
        "client.push_to_partner([client.buyer_count(client.buyers())])\n"
        'requests.post("https://api.acme-parcel.example/labels", json=client.buyers())\n',
        encoding="utf-8",
    )
    result = run_scan(ScanOptions(paths=[app], root=app, rulesets=[rules]))
    assert [(f.sink.line, f.rule_id) for f in result.findings] == [(4, "SS106")]


def test_worked_example_host_class(tmp_path: Path) -> None:
    ruleset = load_rulesets([_example(tmp_path)])
    assert classify_host(ruleset, "api.acme-parcel.example") == "carrier"
