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
