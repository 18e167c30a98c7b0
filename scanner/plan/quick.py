"""A file's plan facts read with CPython's own parser (`ast`, about six times faster than
libcst), so that files the analysis will never need are not parsed by libcst at all.

The facts are the same as `scanner.plan.facts.file_facts` computes from a libcst parse
(a test compares the two over many real files): the same words, the same imports in the
same order, the same method names. The text must pass the same shape check first, so a
pathological file gets the same reason whichever parser would have seen it. When
CPython's parser (of whichever Python runs sellerscan) rejects the text, or the text may
be Python 2, there are no quick facts: the caller parses it with libcst, whose grammar
does not depend on the host. Parsing builds a tree of the text; nothing is compiled or
run."""

from __future__ import annotations

import ast
import warnings
from pathlib import PurePosixPath

from scanner.options import ParseLimits
from scanner.parse.gate import shape_problem
from scanner.parse.python2 import python2_only_statements
from scanner.plan.filefacts import FileFacts, ImportSpec, words_of

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_NESTED_FIELDS = ("body", "orelse", "handlers", "finalbody", "cases")
"""Statement lists of compound statements, in the order the libcst reading visits them."""


def quick_facts(relpath: str, text: str, limits: ParseLimits) -> FileFacts | None:
    """The facts of `text`, or None when the libcst reading must decide (the shape check
    objects, CPython's parser rejects it, or it may be Python 2)."""
    if shape_problem(text, limits) is not None or python2_only_statements(text):
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            module = ast.parse(text, filename=PurePosixPath(relpath).name)
    except Exception:  # noqa: BLE001 - any refusal (syntax, depth, memory): libcst decides
        return None
    return FileFacts(relpath, words_of(relpath, text), tuple(_imports(module.body)),
                     _methods(module.body), len(text.splitlines()), False, checked=False)


def _statements(body: list[ast.stmt], into_scopes: bool = True) -> list[ast.AST]:
    """Every statement nested in `body`, depth first in the libcst reading's order; with
    `into_scopes` false, not the statements inside nested defs and classes."""
    found: list[ast.AST] = []
    stack: list[ast.AST] = list(reversed(body))
    while stack:
        node = stack.pop()
        found.append(node)
        if not into_scopes and isinstance(node, (*_FUNCTIONS, ast.ClassDef)):
            continue
        children: list[ast.AST] = []
        for name in _NESTED_FIELDS:
            value = getattr(node, name, None)
            if isinstance(value, list):
                children.extend(v for v in value if isinstance(v, (ast.stmt, ast.excepthandler,
                                                                   ast.match_case)))
        stack.extend(reversed(children))
    return found


def _imports(body: list[ast.stmt]) -> list[ImportSpec]:
    found: list[ImportSpec] = []
    for node in _statements(body):
        if isinstance(node, ast.Import):
            found.append((0, ",".join(alias.name for alias in node.names), ()))
        elif isinstance(node, ast.ImportFrom):
            names = tuple(alias.name for alias in node.names)
            found.append((node.level or 0, node.module or "", names))
    return found


def _methods(body: list[ast.stmt]) -> tuple[str, ...]:
    """Method names once per class defining them, for the classes the resolver builds:
    classes in a module or function body (at any statement depth), not classes nested
    in a class body; methods are the plain defs directly in the class body."""
    names: list[str] = []
    scopes = [body]
    while scopes:
        for node in _statements(scopes.pop(), into_scopes=False):
            if isinstance(node, _FUNCTIONS):
                scopes.append(node.body)
            elif isinstance(node, ast.ClassDef):
                defined: set[str] = set()
                for stmt in node.body:
                    if isinstance(stmt, _FUNCTIONS):
                        scopes.append(stmt.body)
                        if not stmt.name.startswith("__") and not _static_or_class(stmt):
                            defined.add(stmt.name)
                names.extend(defined)
    return tuple(sorted(names))


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = _dotted(node.value)
        return f"{inner}.{node.attr}" if inner else ""
    return ""


def _static_or_class(func: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any(_dotted(d) in ("staticmethod", "classmethod") for d in func.decorator_list)
