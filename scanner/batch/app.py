"""Scan one app: a pure function from one input (a folder or an archive) to one result
folder holding its reports (report.json, report.sarif, report.html) and to the row the
batch index shows for it.

It never raises for a bad submission: a refused archive, a missing input or a failed
engine is the row's `error`. An archive is unpacked into a private temporary folder that
is always removed. Being a plain function of picklable arguments, it runs the same in this
process, in a process pool or on a Dask worker.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from scanner.api import (
    RulesetError,
    ScanInputError,
    ScanOptions,
    ScanResult,
    WorkflowOptions,
    run_workflow,
)
from scanner.batch.archives import ArchiveError, archive_kind, unpack
from scanner.model import Finding
from scanner.options import ArchiveLimits
from scanner.report import render, render_failure
from scanner.report.common import destination_counts, pii_counts, severity_counts

AppDone = Callable[[int, int, "AppRow"], None]
"""Called as (apps done, apps in all, the finished app's row)."""

REPORTS = {"json": "report.json", "sarif": "report.sarif", "html": "report.html"}
"""Report format -> file name inside the app's result folder."""


@dataclass(frozen=True)
class AppInput:
    """One submission: its safe folder name in the output and the path given."""

    name: str
    path: Path


@dataclass(frozen=True)
class BatchSettings:
    """How every app of a batch is scanned (the same for all of them)."""

    scan: ScanOptions
    """Template of the scan: its `paths` and `root` are replaced per app."""
    archive_limits: ArchiveLimits = field(default_factory=ArchiveLimits)


@dataclass
class AppRow:
    """What the batch index shows for one app."""

    name: str
    input: str
    status: str
    """`scanned` or `error`."""
    findings: int = 0
    """Active violations (neither suppressed nor in a baseline)."""
    error: str = ""
    severities: dict[str, int] = field(default_factory=dict)
    pii_kinds: dict[str, int] = field(default_factory=dict)
    destinations: dict[str, int] = field(default_factory=dict)
    files_scanned: int = 0
    lines_scanned: int = 0
    files_not_analysed: int = 0
    scan_seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    reports: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "name": self.name, "input": self.input, "status": self.status,
            "findings": self.findings, "error": self.error, "severities": self.severities,
            "pii_kinds": self.pii_kinds, "destinations": self.destinations,
            "files_scanned": self.files_scanned, "lines_scanned": self.lines_scanned,
            "files_not_analysed": self.files_not_analysed,
            "scan_seconds": self.scan_seconds, "notes": self.notes, "reports": self.reports,
        }


def scan_app(app: AppInput, output_dir: Path, settings: BatchSettings) -> AppRow:
    """Scan `app` as its own project, write its reports to `output_dir/<name>/` and
    return its index row (status `error` with the reason when it could not be scanned)."""
    started = time.monotonic()
    folder = output_dir / app.name
    folder.mkdir(parents=True, exist_ok=True)
    row = AppRow(name=app.name, input=str(app.path), status="scanned",
                 reports={fmt: f"{app.name}/{file}" for fmt, file in REPORTS.items()})
    try:
        result = _scan(app, settings, row)
    except (ArchiveError, RulesetError, ScanInputError) as exc:
        _failed(row, folder, str(exc))
    except Exception as exc:  # noqa: BLE001 - one bad app never stops the batch
        _failed(row, folder, f"internal error: {type(exc).__name__}: {exc}")
    else:
        _fill(row, result)
        for fmt, file in REPORTS.items():
            (folder / file).write_text(render(result, fmt), encoding="utf-8")
    row.scan_seconds = round(time.monotonic() - started, 3)
    return row


def crashed_row(app: AppInput, exc: BaseException) -> AppRow:
    """The row of an app whose worker died (killed, out of memory) before returning one."""
    return AppRow(name=app.name, input=str(app.path), status="error",
                  error=f"the worker scanning this app failed: {type(exc).__name__}: {exc}")


def _scan(app: AppInput, settings: BatchSettings, row: AppRow) -> ScanResult:
    """Run the scan on the folder, or on the archive unpacked into a temporary folder that
    is removed before returning (or raising)."""
    path = app.path
    if path.is_dir():
        return _run(path, settings)
    if not path.exists():
        raise ScanInputError(f"input not found: {path}")
    if archive_kind(path) is None:
        raise ArchiveError(f"{path.name}: not a folder or a supported archive (.zip, .whl, "
                           ".tar, .tar.gz, .tgz, .tar.bz2, .tar.xz)")
    temp = Path(tempfile.mkdtemp(prefix="sellerscan-app-"))
    try:
        unpacked = unpack(path, temp, settings.archive_limits)
        if unpacked.links_skipped:
            row.notes.append(f"{unpacked.links_skipped} link(s) inside the archive not followed")
        if unpacked.inner_archives:
            row.notes.append("inner archives unpacked: " + ", ".join(unpacked.inner_archives))
        result = _run(_app_root(temp), settings)
        # The temporary folder is gone once the reports are written: name the archive.
        return replace(result, root=str(path))
    finally:
        shutil.rmtree(temp, ignore_errors=True)


def _app_root(folder: Path) -> Path:
    """The folder itself, or its only entry when that is a folder (an sdist's `pkg-1.0/`),
    so that paths in the reports match a scan of the unpacked app."""
    entries = list(folder.iterdir())
    if len(entries) == 1 and entries[0].is_dir() and not entries[0].is_symlink():
        return entries[0]
    return folder


def _run(root: Path, settings: BatchSettings) -> ScanResult:
    options = _with_paths(settings.scan, root)
    return run_workflow(options, WorkflowOptions()).result


def _with_paths(template: ScanOptions, root: Path) -> ScanOptions:
    return replace(template, paths=[root], root=root, progress=None)


def _active_violations(result: ScanResult) -> list[Finding]:
    return [f for f in result.violations if f.active]


def _fill(row: AppRow, result: ScanResult) -> None:
    """Copy the counts of `result` into `row`; a failed engine makes the row an error."""
    active = [f for f in result.findings if f.active]
    row.findings = len(_active_violations(result))
    row.severities = {str(sev): n for sev, n in severity_counts(active).items()}
    row.pii_kinds = pii_counts(active)
    row.destinations = destination_counts(active)
    row.files_scanned = result.files_scanned
    row.lines_scanned = result.lines_scanned
    row.files_not_analysed = len(result.skipped)
    row.notes += result.notes
    if result.failed_engines:
        row.status = "error"
        row.error = "; ".join(f"{e.name} failed: {e.message}" for e in result.failed_engines)


def _failed(row: AppRow, folder: Path, message: str) -> None:
    """Mark the row as an error and write reports that say the scan failed."""
    row.status = "error"
    row.error = message
    for fmt, file in REPORTS.items():
        document = render_failure(message, fmt)
        if document is not None:
            (folder / file).write_text(document, encoding="utf-8")
