"""Machine-readable JSON report (the findings model as plain JSON)."""

from __future__ import annotations

import json

from scanner import __version__
from scanner.model import ScanResult


def render_json(result: ScanResult) -> str:
    """The scan as indented JSON with sorted keys: version, root, findings, skipped,
    files_scanned, lines_scanned, notes and python2_files."""
    data = {
        "version": __version__,
        "root": result.root,
        "findings": [f.to_dict() for f in result.findings],
        "skipped": [s.to_dict() for s in result.skipped],
        "files_scanned": result.files_scanned,
        "lines_scanned": result.lines_scanned,
        "notes": list(result.notes),
        "python2_files": list(result.python2_files),
    }
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
