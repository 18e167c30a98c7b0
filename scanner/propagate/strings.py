"""Strings known from constants: how concatenation and formatting build the text that
URLs are resolved from. Unknown parts become `HOLE`."""

from __future__ import annotations

import re

import libcst as cst

from scanner.rules.urls import HOLE

_PERCENT_FIELD = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(?:\d+|\*)?(?:\.(?:\d+|\*))?[a-zA-Z%]")
_BRACE_FIELD = re.compile(r"\{[^{}]*\}")


def concatenated(left: str | None, right: str | None) -> str | None:
    """The text of `left + right` (None when neither side is known)."""
    if left is None and right is None:
        return None
    return (left if left is not None else HOLE) + (right if right is not None else HOLE)


def percent_template(template: str) -> str:
    """The text of `template % values`: every conversion field is unknown."""
    return _PERCENT_FIELD.sub(HOLE, template)


def format_template(template: str) -> str:
    """The text of `template.format(...)`: every replacement field is unknown."""
    return _BRACE_FIELD.sub(HOLE, template)


def literal_text(raw: str) -> str | None:
    """The text of a plain string literal without escapes or prefixes (None otherwise):
    a fast path, since libcst's `evaluated_value` compiles each literal."""
    if raw[:1] in "\"'" and "\\" not in raw:
        quote = raw[:3] if raw[:3] in ('"""', "'''") else raw[:1]
        return raw[len(quote):-len(quote)]
    return None


def constant_strings(node: cst.BaseExpression) -> list[str] | None:
    """The texts of a list or tuple display of plain string literals (`["a", "b"]`),
    or None when it is anything else."""
    if not isinstance(node, (cst.List, cst.Tuple)) or not node.elements:
        return None
    texts: list[str] = []
    for element in node.elements:
        value = element.value
        text = literal_text(value.value) if isinstance(value, cst.SimpleString) else None
        if text is None:
            return None
        texts.append(text)
    return texts
