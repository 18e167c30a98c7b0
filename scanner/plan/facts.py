"""A file's plan facts (`scanner.plan.filefacts`) read from its libcst parse, in a
guarded worker: the reading for every file CPython's parser rejects (Python 2, syntax
newer than the host's, or broken), and the reference `scanner.plan.quick` must agree with."""

from __future__ import annotations

from pathlib import Path

import libcst as cst

from scanner.discover.files import SourceFile
from scanner.model import SkippedFile
from scanner.options import ParseLimits
from scanner.parse.source import ParsedFile, parse_source_text
from scanner.plan.filefacts import FileFacts, ImportSpec, words_of
from scanner.resolve.index import ModuleBuilder, ModuleInfo, dotted_name


def file_facts(parsed: ParsedFile) -> FileFacts:
    """The facts of a parsed file."""
    module = ModuleBuilder(ModuleInfo("m", parsed, False)).build()
    owners: dict[str, set[int]] = {}
    for func in module.all_functions:
        if func.cls is not None and func.kind == "method" and not func.name.startswith("__"):
            owners.setdefault(func.name, set()).add(id(func.cls))
    methods = tuple(sorted(name for name, classes in owners.items() for _ in classes))
    return FileFacts(parsed.relpath, words_of(parsed.relpath, parsed.text), tuple(_imports(parsed.module)),
                     methods, len(parsed.lines), parsed.python2)


def libcst_facts(relpath: str, text: str, limits: ParseLimits) -> FileFacts | SkippedFile:
    """Parse one file's text with libcst and return its facts, or why it cannot be
    analysed."""
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
