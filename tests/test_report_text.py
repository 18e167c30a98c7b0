"""Text and JSON writers, the format dispatcher and the progress indicator."""

from __future__ import annotations

import io
import json
import re
from dataclasses import replace

import pytest
from report_samples import ad_finding, injection_result, sample_result

from scanner import __version__
from scanner.model import Location, TraceStep
from scanner.report import FORMATS, render
from scanner.report.progress import Progress
from scanner.report.text import render_text

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def test_text_shows_each_finding_with_its_path() -> None:
    out = render_text(sample_result())
    block = out.split("\n\n")[0]
    lines = block.splitlines()
    assert lines[0].split() == ["CRITICAL", "SS101", "pii-to-ad-platform"]
    assert "Meta custom audience" in lines[1]
    assert "PII: email (hashed)" in block
    assert "Destination: ad_platform (graph.facebook.com)" in block
    steps = [line.strip() for line in lines if re.match(r"\s+\d+\. ", line)]
    assert len(steps) == 5
    assert steps[0].startswith("1. app/orders.py:14:14  orders = Orders(")
    assert steps[0].endswith("— SP-API Orders.getOrders returns BuyerInfo.BuyerEmail")
    assert steps[-1].startswith("5. app/marketing/audience.py:23:5  CustomAudience(")
    assert "[review]" in out  # the SS109 verdict
    assert "\x1b" not in out  # no colour unless asked


def test_text_lists_skipped_files_and_ends_with_the_summary() -> None:
    out = render_text(sample_result())
    assert "app/legacy/py2_sync.py: python2 (line 12: print \"done\")" in out
    assert "vendor/huge_generated.py: too-large" in out
    assert out.index("could not be analysed (2)") > out.index("SS109")
    tail = out.rstrip().splitlines()[-2:]
    assert tail[0] == ("Summary: 4 findings (1 critical, 1 high, 1 medium, 1 low); "
                       "3 violations, 1 to review.")
    assert tail[1] == "Scanned 27 files (3,412 lines); 2 files could not be analysed."


def test_text_colours_only_on_request() -> None:
    coloured = render_text(sample_result(), color=True)
    assert "\x1b[" in coloured
    assert ANSI.sub("", coloured) == render_text(sample_result())


def test_text_neutralises_control_characters() -> None:
    finding = ad_finding()
    evil = Location("app/x.py", 3, 1, 3, 9, "print('\x1b[2J\x1b]0;pwned\x07')\r")
    finding = replace(finding, steps=(TraceStep(evil, "went\x1b[31m"),))
    out = render_text(sample_result([finding]), color=False)
    assert "\x1b" not in out and "\x07" not in out and "\r" not in out
    assert "\\x1b[2J" in out


def test_text_for_an_empty_scan() -> None:
    out = render_text(sample_result([]))
    assert out.rstrip().splitlines()[-2] == "Summary: no findings."


def test_json_carries_the_model() -> None:
    result = injection_result()
    data = json.loads(render(result, "json"))
    assert sorted(data) == ["engine_failure", "engines", "files_scanned", "findings",
                            "lines_scanned", "notes", "python2_files", "root", "skipped",
                            "stale_baseline", "suppressed", "version", "work"]
    assert data["version"] == __version__
    assert data["findings"] == [f.to_dict() for f in result.findings]
    assert data["skipped"][0] == {"path": "app/legacy/py2_sync.py", "reason": "python2",
                                  "detail": "line 12: print \"done\""}
    assert data["files_scanned"] == 27 and data["lines_scanned"] == 3412
    assert data["notes"] == result.notes
    text = render(result, "json")
    assert text == json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


@pytest.mark.parametrize("fmt", FORMATS)
def test_render_dispatches_every_format(fmt: str) -> None:
    out = render(sample_result(), fmt)
    assert "SS101" in out


def test_render_rejects_unknown_formats() -> None:
    with pytest.raises(ValueError, match="unknown report format"):
        render(sample_result(), "xml")


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_progress_waits_a_second_then_draws_one_line_and_clears_it() -> None:
    clock, stream = FakeClock(), io.StringIO()
    with Progress(True, stream, clock=clock) as progress:
        progress.update(1, 10, "app/a.py")
        assert stream.getvalue() == ""  # under a second: silent
        clock.now += 1.5
        progress.update(5, 10, "app/b.py")
        assert stream.getvalue().startswith("\r") and "[5/10]" in stream.getvalue()
        assert " 50%" in stream.getvalue() and "app/b.py" in stream.getvalue()
        assert "\n" not in stream.getvalue()
    assert stream.getvalue().endswith("\r")  # line cleared on exit
    assert stream.getvalue().split("\r")[-2].strip() == ""


def test_progress_disabled_writes_nothing() -> None:
    clock, stream = FakeClock(), io.StringIO()
    with Progress(False, stream, clock=clock) as progress:
        clock.now += 5
        progress.update(1, 2, "x")
    assert stream.getvalue() == ""
