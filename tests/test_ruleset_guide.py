"""The worked example of rulesets/README.md works as the guide says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from harness import annotations_in

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


def _feature_examples() -> dict[str, tuple[str, str]]:
    """The `#### Example:` sections of the guide: (ruleset YAML, program) pairs."""
    text = GUIDE.read_text(encoding="utf-8")
    found = {}
    for match in re.finditer(r"#### Example: ([^\n]+)\n(.*?)(?=\n#### |\n### |\n## )", text, re.DOTALL):
        blocks = re.findall(r"```(yaml|python)\n(.*?)```", match.group(2), re.DOTALL)
        yaml_text = next(body for lang, body in blocks if lang == "yaml")
        program = next(body for lang, body in blocks if lang == "python")
        found[match.group(1)] = (yaml_text, program)
    return found


def test_guide_has_an_example_per_non_call_feature() -> None:
    assert sorted(_feature_examples()) == [
        "a function's return value as a sink", "a handler's parameter as a source",
        "an attribute read as a source", "assignments as sinks",
        "only some positions of a tuple argument"]


@pytest.mark.parametrize("name", sorted(_feature_examples()))
def test_feature_example(name: str, tmp_path: Path) -> None:
    yaml_text, program = _feature_examples()[name]
    rules = tmp_path / "rules.yaml"
    rules.write_text(yaml_text, encoding="utf-8")
    app = tmp_path / "app"
    app.mkdir()
    (app / "app.py").write_text(program, encoding="utf-8")
    result = run_scan(ScanOptions(paths=[app], root=app, rulesets=[rules]))
    expected, _ = annotations_in(program, "app.py")
    assert expected
    assert {(f.sink.line, f.rule_id) for f in result.findings} == {(line, rule) for _, line, rule in expected}
