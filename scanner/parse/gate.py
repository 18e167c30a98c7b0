"""A cheap pre-check of a file's shape, independent of the Python that runs sellerscan.

libcst's native parser is exhaustive on pathological shapes (deep nesting, long
operator or attribute chains, huge literals), so files with such shapes are refused
before parsing. The check is a small hand-written scan of the text (strings and comments
skipped, brackets and operators counted), not the host interpreter's tokenizer or
grammar, so its verdict is the same on every Python version."""

from __future__ import annotations

import re
from dataclasses import dataclass

from scanner.model import SkipReason
from scanner.options import ParseLimits

_STRING_START = re.compile(r"(?i)(?:[rbuf]|rb|br|fr|rf|ur)?('''|\"\"\"|'|\")")
_WORD = re.compile(r"[A-Za-z_0-9\u0080-\U0010ffff]+")
_OPERATOR_WORDS = frozenset({"and", "or", "not", "in", "is", "if", "else", "await", "lambda"})
_OPEN, _CLOSE = "([{", ")]}"
_OPERATOR_CHARS = frozenset("+-*/%|&^<>@~.")
_RESET_CHARS = frozenset(",;:=")


@dataclass(frozen=True)
class ShapeProblem:
    """Why a file's shape is refused: a skip reason and a human detail."""

    reason: SkipReason
    detail: str


class _Counter:
    """Bracket depth, indentation depth, operator runs and element counts while scanning."""

    def __init__(self, limits: ParseLimits) -> None:
        self.limits = limits
        self.line = 1
        self.frames: list[list[int]] = [[0, 0]]  # per open bracket: [operators, elements]
        self.indents: list[int] = [0]

    def operator(self) -> ShapeProblem | None:
        frame = self.frames[-1]
        frame[0] += 1
        if frame[0] > self.limits.max_operator_chain:
            return ShapeProblem(SkipReason.TOO_COMPLEX,
                                f"line {self.line}: a chain of more than {self.limits.max_operator_chain} "
                                "operators or attributes (limit)")
        return None

    def reset(self, char: str) -> ShapeProblem | None:
        frame = self.frames[-1]
        frame[0] = 0
        if char == ",":
            frame[1] += 1
            if frame[1] > self.limits.max_literal_elements:
                return ShapeProblem(SkipReason.TOO_COMPLEX,
                                    f"line {self.line}: more than {self.limits.max_literal_elements} "
                                    "elements in one literal or call (limit)")
        return None

    def open(self) -> ShapeProblem | None:
        self.frames.append([0, 0])
        if len(self.frames) - 1 > self.limits.max_nesting:
            return ShapeProblem(SkipReason.TOO_DEEP,
                                f"line {self.line}: brackets nested deeper than {self.limits.max_nesting} "
                                "levels (limit)")
        return None

    def close(self) -> None:
        if len(self.frames) > 1:
            self.frames.pop()

    def indent(self, width: int) -> ShapeProblem | None:
        while width < self.indents[-1]:
            self.indents.pop()
        if width > self.indents[-1]:
            self.indents.append(width)
        if len(self.indents) - 1 > self.limits.max_indentation:
            return ShapeProblem(SkipReason.TOO_DEEP,
                                f"line {self.line}: blocks nested deeper than {self.limits.max_indentation} "
                                "indentation levels (limit)")
        return None


def check_shape(text: str, limits: ParseLimits) -> ShapeProblem | None:
    """The first pathological shape in `text`, or None when it is safe to parse."""
    counter = _Counter(limits)
    pos, size = 0, len(text)
    line_start = True
    while pos < size:
        char = text[pos]
        problem: ShapeProblem | None = None
        if line_start:
            line_start = False
            end = pos
            while end < size and text[end] in " \t\f":
                end += 1
            if len(counter.frames) == 1 and end < size and text[end] not in "#\r\n\\":
                width = len(text[pos:end].expandtabs(8))
                problem = counter.indent(width)
            pos = end
        elif char == "\n":
            counter.line += 1
            line_start = True
            if len(counter.frames) == 1:
                counter.reset("\n")
            pos += 1
        elif char == "#":
            newline = text.find("\n", pos)
            pos = size if newline < 0 else newline
        elif char == "\\":
            pos += 2
            if pos <= size and text[pos - 1] == "\n":
                counter.line += 1
        elif char in "'\"" or (char.isalpha() and _STRING_START.match(text, pos)):
            match = _STRING_START.match(text, pos)
            if match is None:  # a word such as `bar` that is not a string prefix
                pos = _skip_word(text, pos, counter)
                continue
            pos = _skip_string(text, match.end(), match.group(1), counter)
            continue
        elif char.isalnum() or char == "_" or ord(char) > 127:
            pos = _skip_word(text, pos, counter)
            continue
        elif char in _OPEN:
            problem = counter.open()
            pos += 1
        elif char in _CLOSE:
            counter.close()
            pos += 1
        elif char in _RESET_CHARS and not (char == "=" and pos + 1 < size and text[pos + 1] == "="):
            problem = counter.reset(char)
            pos += 1
        elif char in _OPERATOR_CHARS or char in "=!":
            problem = counter.operator()
            pos += 1
            while pos < size and text[pos] in "=<>*/" and text[pos - 1] != ".":
                pos += 1
        else:
            pos += 1
        if problem is not None:
            return problem
    return None


def _skip_word(text: str, pos: int, counter: _Counter) -> int:
    match = _WORD.match(text, pos)
    end = match.end() if match else pos + 1
    if text[pos:end] in _OPERATOR_WORDS:
        problem = counter.operator()
        if problem is not None:
            raise _Refused(problem)
    return end


def _skip_string(text: str, pos: int, quote: str, counter: _Counter) -> int:
    size = len(text)
    while pos < size:
        char = text[pos]
        if char == "\\":
            if pos + 1 < size and text[pos + 1] == "\n":
                counter.line += 1
            pos += 2
            continue
        if char == "\n":
            counter.line += 1
            if len(quote) == 1:
                return pos  # unterminated one-line string: let the parser report it
        if text.startswith(quote, pos):
            return pos + len(quote)
        pos += 1
    return size


class _Refused(Exception):
    """Raised from a helper to stop the scan with a problem."""

    def __init__(self, problem: ShapeProblem) -> None:
        super().__init__(problem.detail)
        self.problem = problem


def shape_problem(text: str, limits: ParseLimits) -> ShapeProblem | None:
    """`check_shape`, with problems found inside helpers included."""
    try:
        return check_shape(text, limits)
    except _Refused as refused:
        return refused.problem
