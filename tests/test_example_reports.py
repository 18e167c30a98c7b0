"""The example reports under reports/ match what the current code produces."""

from __future__ import annotations

import importlib.util
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _regenerate_module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("regenerate", REPO / "reports" / "regenerate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_example_reports_exist_for_every_app_and_are_fresh() -> None:
    regenerate = _regenerate_module()
    expected = regenerate.expected_reports()
    apps = [p for p in (REPO / "fixtures" / "apps").iterdir() if p.is_dir()]
    assert len(expected) == 2 * len(apps) and apps
    assert regenerate.stale_reports() == [], "run: python reports/regenerate.py"


def test_every_app_sarif_is_valid_with_flows_and_fingerprints() -> None:
    import json

    import jsonschema

    schema_path = REPO / "tests" / "schemas" / "sarif-schema-2.1.0.json"
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    validator = jsonschema.Draft4Validator(schema)
    reports = sorted((REPO / "reports").glob("*.sarif"))
    assert reports
    results_seen = 0
    for path in reports:
        sarif = json.loads(path.read_text(encoding="utf-8"))
        errors = sorted(validator.iter_errors(sarif), key=lambda e: list(e.path))
        assert not errors, (path.name, [e.message for e in errors[:3]])
        for result in sarif["runs"][0]["results"]:
            results_seen += 1
            assert result["codeFlows"][0]["threadFlows"][0]["locations"], path.name
            assert result["partialFingerprints"], path.name
    assert results_seen >= 6
