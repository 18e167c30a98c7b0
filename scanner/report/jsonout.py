"""Machine-readable JSON report (the findings model as plain JSON)."""

from __future__ import annotations

import json

from scanner import __version__
from scanner.model import ScanResult


def render_json(result: ScanResult) -> str:
    """The scan as indented JSON with sorted keys: version, root, findings, skipped,
    files_scanned, lines_scanned, notes, python2_files, engines (each engine's status and
    the files it saw), engine_failure (true when an engine failed) and work (files
    parsed, indexed and analysed; import groups; what came from the cache)."""
    data = {
        "version": __version__,
        "root": result.root,
        "findings": [f.to_dict() for f in result.findings],
        "skipped": [s.to_dict() for s in result.skipped],
        "files_scanned": result.files_scanned,
        "lines_scanned": result.lines_scanned,
        "notes": list(result.notes),
        "suppressed": sum(1 for f in result.findings if f.suppression is not None),
        "stale_baseline": list(result.stale_baseline),
        "engines": [e.to_dict() for e in result.engines],
        "engine_failure": bool(result.failed_engines),
        "python2_files": list(result.python2_files),
        "work": result.work.as_dict() if result.work is not None else None,
    }
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
