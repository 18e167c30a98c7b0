"""The plan reads most files with CPython's parser (`scanner.plan.quick`) and only the
rest with libcst (`scanner.plan.facts`): both readings must give the same facts, or the
groups (and so the findings) would depend on which parser read a file."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import click
import jinja2

from scanner.options import ParseLimits
from scanner.plan.facts import libcst_facts
from scanner.plan.filefacts import FileFacts
from scanner.plan.quick import quick_facts

REPO = Path(__file__).resolve().parents[1]
LIMITS = ParseLimits(isolated=False)

TRICKY = '''
import a.b as ab, c
from . import x
from ..pkg.mod import (y as why, z)
from .star import *
if ab: import late
try:
    import in_try
except ValueError:
    import in_handler
else:
    import in_else
finally:
    import in_finally
match c:
    case [1, *rest]:
        import in_case

class Outer:
    def method(self): ...
    async def async_method(self): ...
    @staticmethod
    def static(): ...
    @classmethod
    def klass(cls): ...
    @functools.wraps(f)
    def wrapped(self): ...
    def __dunder__(self): ...
    def method(self):
        class InMethod:
            def deep(self): ...
    class Nested:
        def not_counted(self): ...
    if True:
        def conditional(self): ...

def function():
    class InFunction:
        def local(self):
            from .inner import thing
    def nested():
        class Deeper:
            def method(self): ...
    return lambda: None

with open("f") as handle:
    class InWith:
        def method(self): ...
'''


def _same(relpath: str, text: str) -> FileFacts | None:
    quick = quick_facts(relpath, text, LIMITS)
    if quick is None:
        return None
    reference = libcst_facts(relpath, text, LIMITS)
    assert isinstance(reference, FileFacts), reference
    assert not quick.checked and reference.checked
    assert dataclasses.replace(quick, checked=True) == reference, relpath
    return quick


def test_the_tricky_shapes_read_the_same() -> None:
    facts = _same("pkg/tricky.py", TRICKY)
    assert facts is not None
    assert facts.imports[:5] == ((0, "a.b,c", ()), (1, "", ("x",)), (2, "pkg.mod", ("y", "z")),
                                 (1, "star", ("*",)), (0, "late", ()))
    assert facts.methods == ("async_method", "deep", "local", "method", "method", "method", "wrapped")
    assert {"pkg", "tricky", "Outer", "in_case"} <= facts.words


def _corpus() -> list[Path]:
    roots = [REPO / "fixtures", REPO / "scanner", Path(click.__file__).parent,
             Path(jinja2.__file__).parent]
    return sorted(p for root in roots for p in root.rglob("*.py"))


def test_real_files_read_the_same() -> None:
    read = [_same(path.name, path.read_text(encoding="utf-8", errors="replace"))
            for path in _corpus()]
    assert sum(facts is not None for facts in read) > 200


def test_newer_syntax_reads_the_same_or_is_left_to_libcst() -> None:
    for text in ("try:\n    pass\nexcept* ValueError:\n    import a\n",
                 "type Alias[T] = list[T]\nclass C[T]:\n    def m(self): ...\n",
                 "x = f'{d[\"key\"]}'\n"):
        _same("new.py", text)


def test_what_cpython_cannot_read_is_left_to_libcst() -> None:
    assert quick_facts("py2.py", "print 'hello'\n", LIMITS) is None
    assert quick_facts("chevron.py", "import sys\nprint >>sys.stderr, 'x'\n", LIMITS) is None
    assert quick_facts("broken.py", "def f(:\n", LIMITS) is None
    assert quick_facts("deep.py", "x = " + "(" * 300 + ")" * 300 + "\n", LIMITS) is None
