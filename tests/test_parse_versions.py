"""What is analysed does not depend on the Python running sellerscan: Python 3.12+
syntax is parsed by libcst's own grammar, Python 2 is translated in memory with its
lines kept, and what still cannot be read gets a precise reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.api import ParseLimits, ScanOptions, run_scan
from scanner.discover.files import SourceFile
from scanner.model import SkippedFile
from scanner.parse.gate import shape_problem
from scanner.parse.source import ParsedFile, parse_source_text

PY312 = '''from sp_api.api import Orders

type Email = str


def first[T](items: list[T]) -> T:
    return items[0]


order = Orders().get_order("1").payload
info = order["BuyerInfo"]
print(f"{info["BuyerEmail"]!r} {first([1])}")
'''


def _scan(tmp_path: Path, files: dict[str, str]) -> list[tuple[str, int, int, str]]:
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    result = run_scan(ScanOptions(paths=[tmp_path], root=tmp_path))
    assert result.skipped == []
    return [(f.sink.path, f.sink.line, f.source.line, f.rule_id) for f in result.findings]


def test_python_312_syntax_is_analysed_on_any_host(tmp_path: Path) -> None:
    assert _scan(tmp_path, {"new.py": PY312}) == [("new.py", 12, 10, "SS108")]


PY2_HEAD = "from sp_api.api import Orders\norder = Orders().get_order('1').payload\n"

PY2_FORMS = {
    "print_statement": ("email = order['BuyerInfo']['BuyerEmail']\nprint email\n", 4),
    "print_chevron": ("import sys\nprint >>sys.stderr, order['BuyerInfo']['BuyerEmail']\n", 4),
    "except_comma": ("try:\n    x = 1\nexcept ValueError, e:\n    pass\nprint order['BuyerInfo']\n", 7),
    "octal": ("mode = 0777\nprint(order['BuyerInfo'])\n", 4),
    "long_literal": ("n = 10L\nprint(order['BuyerInfo'])\n", 4),
    "backticks": ("print(`order['BuyerInfo']`)\n", 3),
    "not_equal": ("if 1 <> 2:\n    print(order['BuyerInfo'])\n", 4),
    "exec_statement": ("exec 'x = 1'\nprint(order['BuyerInfo'])\n", 4),
    "ur_string": ("s = ur'abc'\nprint(order['BuyerInfo'])\n", 4),
    "raise_comma": ("def f():\n    raise ValueError, 'bad'\nprint(order['BuyerInfo'])\n", 5),
    "has_key": ("d = {}\nif d.has_key('a'):\n    print order['BuyerInfo']\n", 5),
    "tabs": ("if True:\n        x = 1\n\temail = order['BuyerInfo']\n\tprint email\n", 6),
}


@pytest.mark.parametrize("form", sorted(PY2_FORMS))
def test_each_python2_form_is_analysed_at_its_original_line(tmp_path: Path, form: str) -> None:
    body, sink_line = PY2_FORMS[form]
    (tmp_path / "legacy.py").write_text(PY2_HEAD + body, encoding="utf-8")
    result = run_scan(ScanOptions(paths=[tmp_path], root=tmp_path))
    assert result.skipped == []
    assert result.python2_files == ["legacy.py"]
    assert "legacy.py: analysed as Python 2 (translated in memory; lines as in the file)" in result.notes
    assert [(f.sink.line, f.source.line, f.rule_id) for f in result.findings] == [(sink_line, 2, "SS108")]
    original = (PY2_HEAD + body).splitlines()
    assert result.findings[0].sink.snippet == original[sink_line - 1]


def _parse(text: str) -> ParsedFile | SkippedFile:
    return parse_source_text(SourceFile(Path("/nonexistent/x.py"), "x.py"), text, ParseLimits())


def test_python3_files_are_not_marked_python2() -> None:
    parsed = _parse("print('x')\n")
    assert isinstance(parsed, ParsedFile) and not parsed.python2


@pytest.mark.parametrize(("text", "reason"), [
    ("def f(:\n", "syntax-error"),
    ("x = 1\n<<<<<<< HEAD\ny = 2\n=======\ny = 3\n>>>>>>> other\n", "merge-conflict"),
    ("def f((a, b)):\n    print a\n", "python2-untranslatable"),
    ("x = " + "(" * 250 + "1" + ")" * 250 + "\n", "too-deep"),
    ("x = a" + ".b" * 2000 + "\n", "too-complex"),
    ("x = " + "not " * 5000 + "y\n", "too-complex"),
    ("x = [" + "1, " * 30_000 + "]\n", "too-complex"),
])
def test_unreadable_files_get_a_precise_reason(text: str, reason: str) -> None:
    outcome = _parse(text)
    assert isinstance(outcome, SkippedFile)
    assert outcome.reason == reason, outcome


def test_the_shape_check_ignores_brackets_and_operators_in_strings_and_comments() -> None:
    text = ('s = "((((" + \'\'\'\n)))' + "+" * 3000 + "\n'''  # " + "(" * 500 + "\n"
            + 'f = f"{s["k"]}" if s else rb"[["\n')
    assert shape_problem(text, ParseLimits()) is None
