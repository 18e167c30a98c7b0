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


def test_the_python2_app_is_analysed_as_python2_at_its_original_lines() -> None:
    app = APPS / "py2_order_exporter"
    result = run_scan(ScanOptions(paths=[app], root=app))
    assert result.python2_files == ["config.py", "export.py", "orders.py"]
    sinks = sorted((f.sink.path, f.sink.line, f.rule_id, f.sink.snippet.strip()) for f in result.findings)
    assert sinks == [
        ("export.py", 14, "SS109", 'handle.write("%s <%s>\\n" % (name, email))  # expect: SS109'),
        ("export.py", 15, "SS108", "print >>handle, `email`  # expect: SS108"),
        ("export.py", 17, "SS108", "print email  # expect: SS108"),
        ("orders.py", 26, "SS108", 'log.info("buyer %s" % order.BuyerEmail.value)  # expect: SS108'),
    ]
    assert {f.source.line for f in result.findings} == {18}
