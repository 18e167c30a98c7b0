"""The seed-scenario apps: each yields exactly the findings annotated in its code."""

from __future__ import annotations

from pathlib import Path

import pytest
from harness import assert_findings_match, collect_annotations

from scanner.api import ScanOptions, run_scan

APPS = Path(__file__).resolve().parents[1] / "fixtures" / "apps"
NAMES = sorted(p.name for p in APPS.iterdir() if p.is_dir())
QUIET_APPS = {"ad_audience_aggregates", "label_printer", "erp_connector"}


@pytest.mark.parametrize("name", NAMES)
def test_app_findings_match_annotations(name: str) -> None:
    app = APPS / name
    result = run_scan(ScanOptions(paths=[app], root=app))
    assert result.skipped == []
    assert_findings_match(result, app)
    expected, _ = collect_annotations(app)
    assert (not expected) == (name in QUIET_APPS)


def test_every_seed_scenario_is_present() -> None:
    assert set(NAMES) >= {
        "ad_audience_uploader", "ad_audience_aggregates", "review_request_mailer",
        "payment_processor", "bulk_export", "label_printer", "erp_connector",
    }
