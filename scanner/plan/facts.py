"""What the plan needs to know about one file, computed in a guarded worker from its
parse and sent back small and picklable (never a libcst tree): its words, the imports
it makes, the methods its classes define, its line count and whether it is Python 2.

Words are every identifier-like run in the parsed text (code, strings and comments, so a
name spelt in a string for `getattr` or `importlib` counts) plus the parts of the file's
path (a vendored SDK is named by its path). They over-approximate every name the
analysis could resolve a call to."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import libcst as cst

from scanner.discover.files import SourceFile
from scanner.model import SkippedFile
from scanner.options import ParseLimits
from scanner.parse.source import ParsedFile, parse_source_text
from scanner.resolve.index import ModuleBuilder, ModuleInfo, dotted_name

WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

ImportSpec = tuple[int, str, tuple[str, ...]]
"""(relative level, module, imported names) of `from`; (0, dotted, ()) of `import dotted`;
names `("*",)` for a star import."""


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


def file_facts(parsed: ParsedFile) -> FileFacts:
    """The facts of a parsed file."""
    words = set(WORD.findall(parsed.text))
    pure = PurePosixPath(parsed.relpath)
    words.update(WORD.findall(" ".join([*pure.parent.parts, pure.stem])))
    module = ModuleBuilder(ModuleInfo("m", parsed, False)).build()
    owners: dict[str, set[int]] = {}
    for func in module.all_functions:
        if func.cls is not None and func.kind == "method" and not func.name.startswith("__"):
            owners.setdefault(func.name, set()).add(id(func.cls))
    methods = tuple(sorted(name for name, classes in owners.items() for _ in classes))
    return FileFacts(parsed.relpath, frozenset(words), tuple(_imports(parsed.module)),
                     methods, len(parsed.lines), parsed.python2)


def examine(task: tuple[str, str, ParseLimits]) -> FileFacts | SkippedFile:
    """In a worker: parse one file's text (`(relpath, text, limits)`) and return its
    facts, or why it cannot be analysed."""
    relpath, text, limits = task
    outcome = parse_source_text(SourceFile(Path(relpath), relpath), text, limits)
    if isinstance(outcome, SkippedFile):
        return outcome
    return file_facts(outcome)


_SUITE_PARTS = (cst.BaseSuite, cst.BaseStatement, cst.Else, cst.ExceptHandler,
                cst.ExceptStarHandler, cst.Finally, cst.MatchCase)


def _imports(module: cst.Module) -> list[ImportSpec]:
    """Every import statement of the module (at any depth), statements only: expressions
    are never walked."""
    found: list[ImportSpec] = []
    stack: list[cst.CSTNode] = list(reversed(module.body))
    while stack:
        node = stack.pop()
        if isinstance(node, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
            for small in node.body:
                if isinstance(small, (cst.Import, cst.ImportFrom)):
                    found.append(_spec(small))
            continue
        children: list[cst.CSTNode] = []
        for name in ("body", "orelse", "handlers", "finalbody", "cases"):
            value = getattr(node, name, None)
            if isinstance(value, _SUITE_PARTS):
                children.append(value)
            elif isinstance(value, (list, tuple)):
                children.extend(v for v in value if isinstance(v, _SUITE_PARTS))
        stack.extend(reversed(children))
    return found


def _spec(node: cst.Import | cst.ImportFrom) -> ImportSpec:
    if isinstance(node, cst.Import):
        return (0, ",".join(dotted_name(alias.name) for alias in node.names), ())
    base = dotted_name(node.module) if node.module is not None else ""
    if isinstance(node.names, cst.ImportStar):
        return (len(node.relative), base, ("*",))
    return (len(node.relative), base, tuple(dotted_name(alias.name) for alias in node.names))
