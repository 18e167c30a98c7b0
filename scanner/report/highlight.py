"""A small, forgiving Python highlighter for one line of code.

The snippets in a trace are single lines, often cut out of a larger statement, which
`tokenize` rejects; a regular expression copes with any fragment. The output is a list of
plain-text pieces with a CSS class name: the template escapes the text, so nothing from
the scanned code is ever trusted as markup.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass
from itertools import pairwise

_BUILTINS = frozenset({
    "True", "False", "None", "print", "len", "str", "int", "dict", "list", "set", "tuple",
    "open", "sum", "map", "filter", "zip", "range", "sorted", "isinstance", "super", "self",
})

_TOKEN = re.compile(
    r"""
    (?P<com>\#.*)
  | (?P<str>(?:[rRbBuUfF]{0,2})(?:'''|\"\"\"|'(?:[^'\\\n]|\\.)*'?|"(?:[^"\\\n]|\\.)*"?))
  | (?P<num>\b\d[\d_]*(?:\.\d*)?(?:[eE][+-]?\d+)?j?\b)
  | (?P<name>[^\W\d]\w*)
  | (?P<op>[^\w\s])
  | (?P<ws>\s+)
  | (?P<other>.)
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class Piece:
    """A run of code text with its token class and whether it is the step's own region."""

    cls: str
    text: str
    focus: bool = False


def tokens(code: str) -> list[Piece]:
    """`code` split into classed pieces: kw, builtin, name, call, str, num, com, op, ws."""
    pieces: list[Piece] = []
    matches = list(_TOKEN.finditer(code))
    for i, match in enumerate(matches):
        cls = match.lastgroup or "other"
        text = match.group()
        if cls == "name":
            if keyword.iskeyword(text) or keyword.issoftkeyword(text):
                cls = "kw"
            elif text in _BUILTINS:
                cls = "builtin"
            elif i + 1 < len(matches) and matches[i + 1].group() == "(":
                cls = "call"
        pieces.append(Piece(cls, text))
    return pieces


def highlight(code: str, start: int = 0, end: int = 0) -> list[Piece]:
    """Classed pieces of one line of `code`, leading indentation removed; the pieces
    between 1-based columns `start` and `end` (exclusive) are marked as the focus."""
    indent = len(code) - len(code.lstrip())
    code = code.rstrip("\r\n").strip()
    lo = max(start - 1 - indent, 0) if start else -1
    hi = min(end - 1 - indent, len(code)) if end > start else len(code)
    pieces: list[Piece] = []
    offset = 0
    for piece in tokens(code):
        first, last = offset, offset + len(piece.text)
        offset = last
        if lo < 0 or last <= lo or first >= hi:
            pieces.append(piece)
            continue
        cuts = sorted({first, max(first, lo), min(last, hi), last})
        for a, b in pairwise(cuts):
            pieces.append(Piece(piece.cls, piece.text[a - first:b - first], lo <= a < hi))
    return pieces
