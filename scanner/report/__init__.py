"""Report writers: text (terminal), JSON, SARIF 2.1.0 and a self-contained HTML page."""

from __future__ import annotations

from scanner.model import ScanResult
from scanner.report.html import render_html
from scanner.report.jsonout import render_json
from scanner.report.sarif import render_sarif, render_sarif_failure
from scanner.report.text import render_text

FORMATS = ("text", "json", "sarif", "html")
"""The values `render` accepts for `fmt`."""

__all__ = [
    "FORMATS", "render", "render_html", "render_json", "render_sarif", "render_sarif_failure",
    "render_text",
]


def render(result: ScanResult, fmt: str, color: bool = False) -> str:
    """The report of `result` in format `fmt` (text, json, sarif or html).

    `color` only affects text (ANSI colours; pass whether the output is a TTY).
    """
    if fmt == "text":
        return render_text(result, color=color)
    if fmt == "json":
        return render_json(result)
    if fmt == "sarif":
        return render_sarif(result)
    if fmt == "html":
        return render_html(result)
    raise ValueError(f"unknown report format {fmt!r}; expected one of {', '.join(FORMATS)}")
