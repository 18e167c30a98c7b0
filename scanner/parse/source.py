"""Read and parse one file with libcst, turning every kind of bad input into a reason.

Nothing here executes the scanned code: bytes are decoded (honouring a PEP 263 coding
cookie) and handed to libcst's parser; that is all."""

from __future__ import annotations

import ast
import io
import re
import tokenize
from dataclasses import dataclass, field

import libcst as cst

from scanner.discover.files import SourceFile
from scanner.model import SkippedFile, SkipReason
from scanner.options import ParseLimits

_PY2_MESSAGES = ("Missing parentheses in call to", "print statement", "exec statement",
                 "invalid decimal literal", "leading zeros in decimal integer")

_PY2_HINTS = (
    re.compile(r"^\s*print\s+[\"'\w]", re.MULTILINE),
    re.compile(r"^\s*except\s+[\w.]+\s*,\s*\w+\s*:", re.MULTILINE),
    re.compile(r"^\s*exec\s+[\"'\w]", re.MULTILINE),
    re.compile(r"\bur[\"']"),
    re.compile(r"^\s*raise\s+\w+\s*,", re.MULTILINE),
    re.compile(r"\b0[0-7]+L?\b|\b\d+L\b"),
)


@dataclass
class ParsedFile:
    """A parsed module and the text it came from."""

    source: SourceFile
    text: str
    module: cst.Module
    lines: list[str] = field(default_factory=list)

    @property
    def relpath(self) -> str:
        """Path relative to the scan root."""
        return self.source.relpath

    def line_text(self, line: int) -> str:
        """The text of 1-based line `line`, indentation kept ("" if out of range)."""
        if 1 <= line <= len(self.lines):
            return self.lines[line - 1].rstrip()
        return ""


def decode_source(data: bytes) -> str:
    """Decode Python source bytes as Python does (BOM, coding cookie, else UTF-8)."""
    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    if encoding == "utf-8-sig":
        encoding = "utf-8"
    text = data.decode(encoding)
    return text.removeprefix("\ufeff")


def looks_like_python2(text: str) -> bool:
    """Heuristic: does a file that failed to parse use Python 2-only syntax?"""
    return any(p.search(text) for p in _PY2_HINTS)


def _chain_length(node: ast.AST) -> int:
    length = 0
    while isinstance(node, ast.BinOp):
        length += 1
        node = node.left
    return length


def _cpython_gate(source: SourceFile, text: str, limits: ParseLimits) -> SkippedFile | None:
    """Let CPython's own (fast, C) parser vet the file before libcst sees it.

    libcst's native parser can exhaust memory or crash on pathological nesting and is
    super-linear on very long operator chains; CPython rejects the former itself, and
    the latter are measured here. Only files CPython accepts reach libcst."""
    try:
        tree = ast.parse(text)
    except SyntaxError as exc:
        where = f"line {exc.lineno}" + (f", column {exc.offset}" if exc.offset else "")
        message = exc.msg or "invalid syntax"
        if any(m in message for m in _PY2_MESSAGES) or looks_like_python2(text):
            return SkippedFile(source.relpath, SkipReason.PYTHON2,
                               f"Python 2 syntax ({where}: {message}); only Python 3 is analysed")
        if "too many nested" in message or "too many levels" in message or "too complex" in message:
            return SkippedFile(source.relpath, SkipReason.TOO_DEEP, f"{where}: {message}")
        return SkippedFile(source.relpath, SkipReason.SYNTAX_ERROR, f"{where}: {message}")
    except (RecursionError, MemoryError):
        return SkippedFile(source.relpath, SkipReason.TOO_DEEP, "nesting too deep for the Python parser")
    except ValueError as exc:
        return SkippedFile(source.relpath, SkipReason.BINARY, str(exc))
    operators = sum(text.count(op) for op in "+-*/%|&^<>@") + text.count(" and ") + text.count(" or ")
    if operators <= limits.max_operator_chain and text.count(",") <= limits.max_literal_elements:
        return None  # too few operators or commas anywhere for a pathological construct
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp):
            chain = _chain_length(node)
            if chain > limits.max_operator_chain:
                return SkippedFile(source.relpath, SkipReason.TOO_COMPLEX,
                                   f"line {node.lineno}: a chain of {chain} operators "
                                   f"(limit {limits.max_operator_chain})")
        elif isinstance(node, (ast.BoolOp, ast.Compare)):
            count = len(node.values) if isinstance(node, ast.BoolOp) else len(node.comparators)
            if count > limits.max_operator_chain:
                return SkippedFile(source.relpath, SkipReason.TOO_COMPLEX,
                                   f"line {node.lineno}: {count} chained operands (limit {limits.max_operator_chain})")
        elif isinstance(node, (ast.List, ast.Tuple, ast.Set, ast.Dict)):
            count = len(node.keys) if isinstance(node, ast.Dict) else len(node.elts)
            if count > limits.max_literal_elements:
                return SkippedFile(source.relpath, SkipReason.TOO_COMPLEX,
                                   f"line {node.lineno}: a literal of {count} elements "
                                   f"(limit {limits.max_literal_elements})")
    return None


def parse_file(source: SourceFile, limits: ParseLimits | None = None) -> ParsedFile | SkippedFile:
    """Parse `source`, or say why it cannot be analysed."""
    limits = limits or ParseLimits()
    max_bytes = limits.max_file_bytes
    try:
        size = source.path.stat().st_size
        if size > max_bytes:
            return SkippedFile(source.relpath, SkipReason.TOO_LARGE,
                               f"{size} bytes exceeds the limit of {max_bytes} (--max-file-size)")
        data = source.path.read_bytes()
    except OSError as exc:
        return SkippedFile(source.relpath, SkipReason.UNREADABLE, str(exc))
    if b"\x00" in data:
        return SkippedFile(source.relpath, SkipReason.BINARY, "the file contains NUL bytes")
    try:
        text = decode_source(data)
    except (UnicodeDecodeError, SyntaxError, LookupError) as exc:
        return SkippedFile(source.relpath, SkipReason.UNDECODABLE, f"cannot decode as source text: {exc}")
    gate = _cpython_gate(source, text, limits)
    if gate is not None:
        return gate
    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError as exc:
        if looks_like_python2(text):
            return SkippedFile(source.relpath, SkipReason.PYTHON2,
                               f"Python 2 syntax (line {exc.raw_line}): only Python 3 is analysed")
        return SkippedFile(source.relpath, SkipReason.SYNTAX_ERROR,
                           f"line {exc.raw_line}, column {exc.raw_column}: {exc.message}")
    except RecursionError:
        return SkippedFile(source.relpath, SkipReason.TOO_DEEP, "nesting too deep for the parser")
    except Exception as exc:  # noqa: BLE001 - the native parser may fail in other ways
        return SkippedFile(source.relpath, SkipReason.PARSER_FAILURE, f"{type(exc).__name__}: {exc}")
    return ParsedFile(source, text, module, text.splitlines())
