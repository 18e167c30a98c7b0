"""Run a batch: name every input, map `scan_app` over them (in this process or across a
process pool), write `index.json` and `index.html`, and decide the exit status."""

from __future__ import annotations

import multiprocessing
import re
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from scanner.batch.app import AppDone, AppInput, AppRow, BatchSettings, crashed_row, scan_app
from scanner.batch.archives import ARCHIVE_SUFFIXES
from scanner.batch.cluster import scan_on_dask
from scanner.batch.index import index_html, index_json
from scanner.options import ClusterLimits
from scanner.report.output import write_atomically

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2
MAX_NAME = 80
"""Longest app folder name (before a `-N` de-duplication suffix)."""
_RESERVED = {"index.json", "index.html"}
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")



def app_names(paths: Sequence[Path]) -> list[AppInput]:
    """Each input with a safe, unique folder name derived from its file name: archive
    suffixes dropped, anything but letters, digits, `.`, `_` and `-` replaced, no leading
    dot, and `-2`, `-3`... on a clash (compared ignoring case)."""
    seen: set[str] = set(_RESERVED)
    apps = []
    for path in paths:
        base = _base_name(path)
        name, n = base, 1
        while name.lower() in seen:
            n += 1
            name = f"{base}-{n}"
        seen.add(name.lower())
        apps.append(AppInput(name=name, path=path))
    return apps


def _base_name(path: Path) -> str:
    name = path.name or path.resolve().name
    lower = name.lower()
    for suffix in sorted(ARCHIVE_SUFFIXES, key=len, reverse=True):
        if lower.endswith(suffix) and len(name) > len(suffix):
            name = name[: -len(suffix)]
            break
    name = _UNSAFE.sub("_", name).lstrip(".")[:MAX_NAME].strip("._-")
    return name or "app"


def run_batch(paths: Sequence[Path], output_dir: Path, settings: BatchSettings,
              jobs: int = 1, on_done: AppDone | None = None,
              dask: str | None = None, cluster: ClusterLimits | None = None) -> list[AppRow]:
    """Scan every input as its own app into `output_dir`, with `jobs` worker processes
    (1: in this process) or on the Dask cluster at `dask` (`local`: a local one with
    `jobs` workers), write the index files and return the rows in input order.

    Raises `ClusterError` when the Dask cluster cannot be used."""
    apps = app_names(paths)
    output_dir.mkdir(parents=True, exist_ok=True)
    rows: list[AppRow | None] = [None] * len(apps)
    if dask:
        rows = list(scan_on_dask(apps, output_dir, settings, dask, jobs, on_done,
                                 cluster))
    elif jobs <= 1 or len(apps) <= 1:
        for i, app in enumerate(apps):
            rows[i] = scan_app(app, output_dir, settings)
            if on_done:
                on_done(i + 1, len(apps), rows[i])  # type: ignore[arg-type]
    else:
        context = multiprocessing.get_context("forkserver")
        with ProcessPoolExecutor(max_workers=min(jobs, len(apps)), mp_context=context) as pool:
            futures = {pool.submit(scan_app, app, output_dir, settings): i
                       for i, app in enumerate(apps)}
            for done, future in enumerate(as_completed(futures), start=1):
                i = futures[future]
                try:
                    rows[i] = future.result()
                except Exception as exc:  # noqa: BLE001 - a dead worker fails its app only
                    rows[i] = crashed_row(apps[i], exc)
                if on_done:
                    on_done(done, len(apps), rows[i])  # type: ignore[arg-type]
    finished = [row for row in rows if row is not None]
    write_atomically(output_dir / "index.json", index_json(finished))
    write_atomically(output_dir / "index.html", index_html(finished))
    return finished


def exit_status(rows: Sequence[AppRow]) -> int:
    """2 when any app could not be scanned, else 1 when any has violations, else 0."""
    if any(row.status != "scanned" for row in rows):
        return EXIT_ERROR
    return EXIT_FINDINGS if any(row.findings for row in rows) else EXIT_CLEAN
