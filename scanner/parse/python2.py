"""Python 2 source translated in memory to Python 3, every line kept where it was.

Only fixers that rewrite syntax within a line are used (print, except, exec, backticks,
`<>`, numeric literals, `ur''`, `raise E, v`, `dict.has_key`, `g.throw(E, v)`, tuple
parameters of lambdas), so a
line number in the translation is the same line in the original; a translation that
would still move lines is refused. Indentation tabs are expanded to multiples of eight
first, as Python 2 did. Nothing is executed; the original text stays what reports show."""

from __future__ import annotations

import re
from dataclasses import dataclass

_FIXERS = tuple(f"fissix.fixes.fix_{name}" for name in (
    "print", "except", "exec", "repr", "ne", "numliterals", "unicode", "raise", "has_key",
    "throw", "tuple_params",
))
_LEADING = re.compile(r"^[ \t\f]+", re.MULTILINE)
_PRINT_CHEVRON = re.compile(r"^[ \t]*print[ \t]*>>", re.MULTILINE)
_CONFLICT = re.compile(r"^(?:<{7}|>{7})(?: |$)|^={7}$", re.MULTILINE)


@dataclass(frozen=True)
class Translation:
    """The Python 3 text of a Python 2 file, or why there is none."""

    text: str | None
    problem: str = ""


def has_merge_conflict(text: str) -> bool:
    """Does `text` hold git merge-conflict markers (`<<<<<<<`, `=======`, `>>>>>>>` lines)?"""
    return _CONFLICT.search(text) is not None


def python2_only_statements(text: str) -> bool:
    """Does `text` (valid Python 3) hold `print >>f, x`, which Python 3 reads as a
    meaningless shift-and-tuple expression but Python 2 as a print to `f`?"""
    return _PRINT_CHEVRON.search(text) is not None


def expand_indentation_tabs(text: str) -> str:
    """Tabs in indentation replaced by spaces up to the next multiple of 8 (Python 2's rule)."""
    return _LEADING.sub(lambda m: m.group().expandtabs(8), text)


def translate_python2(text: str) -> Translation:
    """`text` (Python 2) rewritten as Python 3 with the same lines, or the reason it fails."""
    from fissix.pgen2.parse import ParseError  # loaded only when a file may be Python 2
    from fissix.pgen2.tokenize import TokenError
    from fissix.refactor import RefactoringTool

    source = expand_indentation_tabs(text)
    if not source.endswith("\n"):
        source += "\n"
    tool = RefactoringTool(list(_FIXERS))
    try:
        tree = tool.refactor_string(source, "<python2>")
    except (ParseError, TokenError, IndentationError, SyntaxError) as exc:
        return Translation(None, f"not valid Python 2 either: {_first_line(exc)}")
    except RecursionError:
        return Translation(None, "nesting too deep for the Python 2 translator")
    if tree is None:
        return Translation(None, "the Python 2 translator gave up")
    translated = str(tree)
    if translated.count("\n") != source.count("\n"):
        return Translation(None, "translating would move lines")
    return Translation(translated)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
