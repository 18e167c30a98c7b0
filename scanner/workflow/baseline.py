"""Baselines: the findings a project accepts for now, by stable fingerprint.

`sellerscan baseline create` writes one entry per active finding (fingerprint, plus rule,
file, line and message for people reviewing the file); a scan compared with it marks each
finding `new` or `unchanged` and lists the entries no finding matches any more (stale).
Fingerprints are the SARIF ones: content-based, so they survive lines moving."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from scanner import __version__
from scanner.model import BaselineState, ScanResult, fingerprints

BASELINE_VERSION = 1


class BaselineError(Exception):
    """A baseline file that cannot be read or is not a sellerscan baseline."""


def baseline_text(result: ScanResult) -> str:
    """The baseline file of a scan's active findings, as indented JSON."""
    prints = fingerprints(result.findings)
    entries = [
        {"fingerprint": prints[id(f)], "rule_id": f.rule_id, "path": f.sink.path,
         "line": f.sink.line, "message": f.message}
        for f in sorted(result.active, key=lambda f: f.sort_key)
    ]
    doc = {"sellerscan_baseline": BASELINE_VERSION, "tool_version": __version__,
           "findings": entries}
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def load_baseline(path: Path) -> list[dict[str, Any]]:
    """The entries of a baseline file."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise BaselineError(f"{path}: cannot read the baseline: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise BaselineError(f"{path}: not a sellerscan baseline (invalid JSON: {exc})") from exc
    if not isinstance(doc, dict) or doc.get("sellerscan_baseline") != BASELINE_VERSION:
        raise BaselineError(f"{path}: not a sellerscan baseline (version "
                            f"{BASELINE_VERSION} expected; create one with "
                            "`sellerscan baseline create`)")
    entries = doc.get("findings")
    if not isinstance(entries, list) or not all(
            isinstance(e, dict) and isinstance(e.get("fingerprint"), str) for e in entries):
        raise BaselineError(f"{path}: `findings` must be a list of entries with a fingerprint")
    return entries


def apply_baseline(result: ScanResult, entries: list[dict[str, Any]]) -> ScanResult:
    """`result` with every finding marked new or unchanged and the stale entries listed."""
    known = {e["fingerprint"]: e for e in entries}
    prints = fingerprints(result.findings)
    seen: set[str] = set()
    marked = []
    for finding in result.findings:
        fp = prints[id(finding)]
        state = BaselineState.UNCHANGED if fp in known else BaselineState.NEW
        seen.add(fp)
        marked.append(replace(finding, baseline_state=state))
    stale = [known[fp] for fp in known if fp not in seen]
    notes = list(result.notes)
    unchanged = sum(1 for f in marked if f.baseline_state is BaselineState.UNCHANGED)
    notes.append(f"baseline: {unchanged} finding(s) already in the baseline are not reported; "
                 f"{len(stale)} baseline entr{'y' if len(stale) == 1 else 'ies'} no longer "
                 "match (stale)")
    notes += [f"stale baseline entry: {e.get('rule_id', '?')} {e.get('path', '?')}:"
              f"{e.get('line', '?')} {e.get('message', '')}".rstrip() for e in stale]
    return replace(result, findings=marked, notes=notes, stale_baseline=stale)
