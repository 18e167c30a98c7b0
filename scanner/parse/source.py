"""Read and parse one file with libcst, turning every kind of bad input into a reason.

Nothing here executes the scanned code: bytes are read (regular files only, never
blocking), decoded (honouring a PEP 263 coding cookie), vetted by a shape check that
does not depend on the host Python, and handed to libcst's own (native) parser, whose
grammar is the same whichever Python 3 runs sellerscan. A file libcst rejects is tried
as Python 2, translated in memory with its lines kept (`scanner.parse.python2`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from scanner.discover.files import SourceFile
from scanner.model import SkippedFile, SkipReason
from scanner.options import ParseLimits
from scanner.parse.gate import shape_problem
from scanner.parse.python2 import has_merge_conflict, python2_only_statements, translate_python2
from scanner.parse.text import load_text

PARSER_CONFIG = cst.PartialParserConfig(python_version="3.13")
"""Pinned so the result never depends on the host (libcst's native parser reads every
Python 3 syntax up to 3.14 whatever this says)."""


@dataclass
class ParsedFile:
    """A parsed module, the text it was parsed from and the original lines."""

    source: SourceFile
    text: str
    """The parsed text (for a Python 2 file, its Python 3 translation)."""
    module: cst.Module
    lines: list[str] = field(default_factory=list)
    """The original lines, shown in reports."""
    python2: bool = False
    """Analysed as Python 2 (translated in memory, lines kept)."""

    @property
    def relpath(self) -> str:
        """Path relative to the scan root."""
        return self.source.relpath

    def line_text(self, line: int) -> str:
        """The text of 1-based line `line`, indentation kept ("" if out of range)."""
        if 1 <= line <= len(self.lines):
            return self.lines[line - 1].rstrip()
        return ""


def parse_text(relpath: str, text: str, limits: ParseLimits) -> cst.Module | SkippedFile:
    """`text` parsed by libcst after the shape check, or why it cannot be."""
    problem = shape_problem(text, limits)
    if problem is not None:
        return SkippedFile(relpath, problem.reason, problem.detail)
    try:
        return cst.parse_module(text, config=PARSER_CONFIG)
    except cst.ParserSyntaxError as exc:
        return SkippedFile(relpath, SkipReason.SYNTAX_ERROR,
                           f"line {exc.raw_line}, column {exc.raw_column}: {exc.message}")
    except RecursionError:
        return SkippedFile(relpath, SkipReason.TOO_DEEP, "nesting too deep for the parser")
    except MemoryError:
        return SkippedFile(relpath, SkipReason.TOO_MUCH_MEMORY, "the parser ran out of memory")
    except Exception as exc:  # noqa: BLE001 - the native parser may fail in other ways
        return SkippedFile(relpath, SkipReason.PARSER_FAILURE, f"{type(exc).__name__}: {exc}")


def parse_valid_python3(source: SourceFile, text: str, limits: ParseLimits) -> ParsedFile | SkippedFile:
    """Parse `text` that CPython's own parser accepted as Python 3: when libcst refuses
    it, that is libcst's failure (`parser-failure`), not a syntax error or Python 2."""
    outcome = parse_text(source.relpath, text, limits)
    if isinstance(outcome, cst.Module):
        return ParsedFile(source, text, outcome, text.splitlines())
    if outcome.reason is SkipReason.SYNTAX_ERROR:
        return SkippedFile(source.relpath, SkipReason.PARSER_FAILURE,
                           f"valid Python that libcst's grammar does not accept ({outcome.detail})")
    return outcome


def parse_source_text(source: SourceFile, text: str, limits: ParseLimits) -> ParsedFile | SkippedFile:
    """Parse decoded `text` as Python 3, else as Python 2, else say precisely why not."""
    lines = text.splitlines()
    outcome = parse_text(source.relpath, text, limits)
    if isinstance(outcome, cst.Module):
        if python2_only_statements(text):
            translation = translate_python2(text)
            if translation.text is not None:
                translated = parse_text(source.relpath, translation.text, limits)
                if isinstance(translated, cst.Module):
                    return ParsedFile(source, translation.text, translated, lines, python2=True)
        return ParsedFile(source, text, outcome, lines)
    if outcome.reason is not SkipReason.SYNTAX_ERROR:
        return outcome
    if has_merge_conflict(text):
        return SkippedFile(source.relpath, SkipReason.MERGE_CONFLICT,
                           f"git merge-conflict markers ({outcome.detail})")
    translation = translate_python2(text)
    if translation.text is None:
        if translation.problem.startswith("not valid Python 2"):
            return outcome  # neither Python 3 nor Python 2: libcst's message says where
        return SkippedFile(source.relpath, SkipReason.PYTHON2_UNTRANSLATABLE, translation.problem)
    translated = parse_text(source.relpath, translation.text, limits)
    if isinstance(translated, cst.Module):
        return ParsedFile(source, translation.text, translated, lines, python2=True)
    if translated.reason is SkipReason.SYNTAX_ERROR:
        return SkippedFile(source.relpath, SkipReason.PYTHON2_UNTRANSLATABLE,
                           f"Python 2 code still invalid after translation ({translated.detail})")
    return translated


def parse_file(source: SourceFile, limits: ParseLimits | None = None) -> ParsedFile | SkippedFile:
    """Parse `source` in this process, or say why it cannot be analysed."""
    limits = limits or ParseLimits()
    text = load_text(source, limits)
    if isinstance(text, SkippedFile):
        return text
    return parse_source_text(source, text, limits)
