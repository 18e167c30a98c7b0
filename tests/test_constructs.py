"""The construct fixtures: one module (or package) per construct family; the scan must
report exactly the `# expect:` annotations (no missing, no extra finding)."""

from __future__ import annotations

from pathlib import Path

import pytest
from harness import assert_findings_match, collect_annotations

from scanner.api import ScanOptions, run_scan
from scanner.model import ScanResult

ROOT = Path(__file__).resolve().parents[1] / "fixtures" / "constructs"
FAMILIES = sorted(
    p.name for p in ROOT.iterdir()
    if (p.suffix == ".py" or (p.is_dir() and (p / "__init__.py").exists()))
)


@pytest.fixture(scope="module")
def result() -> ScanResult:
    return run_scan(ScanOptions(paths=[ROOT], root=ROOT))


def test_at_least_25_families_with_enough_annotations() -> None:
    expected, quiet = collect_annotations(ROOT)
    assert len(FAMILIES) >= 25
    assert len(expected) >= 60 and len(quiet) >= 40


def test_whole_fixture_tree_matches_exactly(result: ScanResult) -> None:
    assert result.skipped == []
    assert_findings_match(result, ROOT)


@pytest.mark.parametrize("family", FAMILIES)
def test_family(result: ScanResult, family: str) -> None:
    target = ROOT / family
    files = [target] if target.is_file() else sorted(target.rglob("*.py"))
    for path in files:
        assert_findings_match(result, ROOT, only=path.relative_to(ROOT).as_posix())
