"""Report writers: text (terminal), JSON, SARIF 2.1.0 and a self-contained HTML page."""

from __future__ import annotations

import json
from html import escape as escape_html

from scanner import __version__
from scanner.model import ScanResult
from scanner.report.common import printable
from scanner.report.html import render_html
from scanner.report.jsonout import render_json
from scanner.report.sarif import render_sarif, render_sarif_failure
from scanner.report.text import render_text

FORMATS = ("text", "json", "sarif", "html")
"""The values `render` accepts for `fmt`."""

__all__ = [
    "FORMATS", "render", "render_failure", "render_html", "render_json", "render_sarif", "render_sarif_failure",
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


def render_failure(message: str, fmt: str) -> str | None:
    """The report of a scan that failed, in format `fmt` (None for text: the message on
    standard error is the report). No format can be mistaken for a clean result: SARIF
    has `executionSuccessful: false` and no results, JSON `execution_successful: false`
    and no findings list, HTML says the scan failed."""
    if fmt == "sarif":
        return render_sarif_failure(message)
    if fmt == "json":
        data = {"version": __version__, "execution_successful": False, "error": message}
        return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    if fmt == "html":
        text = escape_html(printable(message))
        return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                "<title>sellerscan: the scan failed</title></head>\n<body><h1>sellerscan: the "
                f"scan failed</h1>\n<p>No results: the scan did not complete.</p>\n<pre>{text}</pre>"
                "\n</body></html>\n")
    return None
