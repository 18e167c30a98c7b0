"""Regenerate the example reports (HTML and SARIF) of the seed-scenario fixture apps.

    python reports/regenerate.py           # rewrite reports/<app>.html and .sarif
    python reports/regenerate.py --check   # exit 1 if any report is stale (used by tests)

Paths and the scan root inside the reports are relative to the repository, so the files
are the same on every machine."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
APPS = REPO / "fixtures" / "apps"
OUT = REPO / "reports"


def expected_reports() -> dict[Path, str]:
    """Every example report path with the content it should have now."""
    from scanner.api import ScanOptions, run_scan
    from scanner.report import render

    reports: dict[Path, str] = {}
    for app in sorted(p for p in APPS.iterdir() if p.is_dir()) if APPS.is_dir() else []:
        result = run_scan(ScanOptions(paths=[app], root=app))
        result = dataclasses.replace(result, root=app.relative_to(REPO).as_posix())
        reports[OUT / f"{app.name}.html"] = render(result, "html")
        reports[OUT / f"{app.name}.sarif"] = render(result, "sarif")
    return reports


def stale_reports() -> list[str]:
    """Example reports that are missing or differ from a fresh scan."""
    stale = []
    for path, text in expected_reports().items():
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            stale.append(path.relative_to(REPO).as_posix())
    return stale


def main() -> int:
    """Rewrite the reports, or with --check only say which are stale."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only report stale files; exit 1 if any")
    args = parser.parse_args()
    if args.check:
        stale = stale_reports()
        for name in stale:
            print(f"stale: {name}")
        return 1 if stale else 0
    for path, text in expected_reports().items():
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    sys.exit(main())
