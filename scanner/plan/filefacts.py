"""What the plan knows about one file: small, picklable, cached, and the same whichever
parser read it (`scanner.plan.quick` with CPython's parser, `scanner.plan.facts` with
libcst).

Words are every identifier-like run in the text (code, strings and comments, so a name
spelt in a string for `getattr` or `importlib` counts) plus the parts of the file's path
(a vendored SDK is named by its path). They over-approximate every name the analysis
could resolve a call to."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

ImportSpec = tuple[int, str, tuple[str, ...]]
"""(relative level, module, imported names) of `from`; (0, dotted, ()) of `import dotted`
(several modules joined by commas); names `("*",)` for a star import."""


@dataclass(frozen=True)
class FileFacts:
    """One parseable file, as the plan sees it."""

    relpath: str
    words: frozenset[str]
    imports: tuple[ImportSpec, ...]
    methods: tuple[str, ...]
    """Method names (not dunders, not static/class methods) once per class defining them."""
    lines: int
    python2: bool
    checked: bool = True
    """libcst parsed the file within the parse limits (so the analysis may parse it in
    its own process); False when only CPython's parser read it."""


def words_of(relpath: str, text: str) -> frozenset[str]:
    """The words of a file's text and path."""
    words = set(WORD.findall(text))
    pure = PurePosixPath(relpath)
    words.update(WORD.findall(" ".join([*pure.parent.parts, pure.stem])))
    return frozenset(words)
