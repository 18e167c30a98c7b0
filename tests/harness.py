"""The fixture harness: expected findings are written in the fixtures themselves.

* `# expect: SS101` (or `# expect: SS103, SS104`) at the end of the line where a sink
  call starts: a finding of that rule must be reported on that line;
* `# ok: reason` where a naive tool would fire but sellerscan must stay quiet.

Comments are read with the tokenize module, so text inside strings never counts."""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

from scanner.model import ScanResult

_EXPECT = re.compile(r"#\s*expect:\s*([A-Z]+[0-9]+(?:\s*,\s*[A-Z]+[0-9]+)*)")
_OK = re.compile(r"#\s*ok:")

Expected = set[tuple[str, int, str]]
Quiet = set[tuple[str, int]]


def annotations_in(text: str, relpath: str) -> tuple[Expected, Quiet]:
    """The (path, line, rule) expectations and (path, line) quiet lines of one source."""
    expected: Expected = set()
    quiet: Quiet = set()
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type != tokenize.COMMENT:
            continue
        line = tok.start[0]
        match = _EXPECT.search(tok.string)
        if match:
            for rule in match.group(1).split(","):
                expected.add((relpath, line, rule.strip()))
        elif _OK.search(tok.string):
            quiet.add((relpath, line))
    return expected, quiet


def collect_annotations(root: Path) -> tuple[Expected, Quiet]:
    """Every annotation in the Python files under `root` (paths relative to it)."""
    expected: Expected = set()
    quiet: Quiet = set()
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        e, q = annotations_in(path.read_text(encoding="utf-8"), rel)
        expected |= e
        quiet |= q
    return expected, quiet


def _code(root: Path, path: str, line: int) -> str:
    try:
        return (root / path).read_text(encoding="utf-8").splitlines()[line - 1].strip()
    except (OSError, IndexError):
        return "?"


def assert_findings_match(result: ScanResult, root: Path, only: str | None = None) -> None:
    """Fail, listing MISSING and EXTRA findings with their code, unless the scan's
    (file, line, rule) set equals the annotations exactly (optionally for one file)."""
    expected, quiet = collect_annotations(root)
    actual = {(f.sink.path, f.sink.line, f.rule_id) for f in result.findings}
    if only is not None:
        expected = {e for e in expected if e[0] == only}
        quiet = {q for q in quiet if q[0] == only}
        actual = {a for a in actual if a[0] == only}
    missing = sorted(expected - actual)
    extra = sorted(actual - expected)
    loud_ok = sorted(a for a in actual if (a[0], a[1]) in quiet)
    if missing or extra or loud_ok:
        lines = []
        for title, rows in (("MISSING", missing), ("EXTRA", extra), ("ON AN `# ok:` LINE", loud_ok)):
            for path, line, rule in rows:
                lines.append(f"{title}: {path}:{line} {rule}    {_code(root, path, line)}")
        raise AssertionError("findings differ from the annotations:\n" + "\n".join(lines))
