"""SQL statements known from constants, read just enough to link stored rows to later
reads: which table an INSERT/UPDATE writes and which columns its parameters fill, and
which table and columns a SELECT reads. Anything else is left alone (None)."""

from __future__ import annotations

import re
from dataclasses import dataclass

_IDENT = r"[\"`\[]?([\w.]+)[\"`\]]?"
_INSERT = re.compile(r"^\s*(?:insert(?:\s+or\s+\w+)?|replace)\s+into\s+" + _IDENT
                     + r"\s*(?:\(([^)]*)\))?\s*(?:values\s*\((.*)\))?", re.IGNORECASE | re.DOTALL)
_UPDATE = re.compile(r"^\s*update(?:\s+or\s+\w+)?\s+" + _IDENT + r"\s+set\s+(.*?)(?:\bwhere\b|$)",
                     re.IGNORECASE | re.DOTALL)
_SELECT = re.compile(r"^\s*select\s+(?:distinct\s+)?(.*?)\s+from\s+" + _IDENT,
                     re.IGNORECASE | re.DOTALL)
_PLACEHOLDER = re.compile(r"\?|%s|:(\w+)|%\((\w+)\)s")
_AGGREGATES = ("count(", "sum(", "avg(", "min(", "max(", "total(")

ALL_COLUMNS = "*"


@dataclass(frozen=True)
class Write:
    """An INSERT/UPDATE: the table, and for each parameter (by position or by name) the
    column it fills (`*` when the statement names no columns)."""

    table: str
    by_position: tuple[str, ...]
    by_name: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Read:
    """A SELECT: the table and the columns read, in order (`*`: every column), with
    aggregates (counts, sums) left out."""

    table: str
    columns: tuple[str, ...]


def parse(statement: str) -> Write | Read | None:
    """What a constant SQL statement writes or reads (None: neither, or not understood)."""
    insert = _INSERT.match(statement)
    if insert is not None:
        table, columns, values = insert.group(1), insert.group(2), insert.group(3) or ""
        names = [_last_name(c) for c in _split(columns)] if columns else []
        return _write(table, names, _split(values))
    update = _UPDATE.match(statement)
    if update is not None:
        names, slots = [], []
        for assignment in _split(update.group(2)):
            column, _, value = assignment.partition("=")
            names.append(_last_name(column))
            slots.append(value)
        return _write(update.group(1), names, slots)
    select = _SELECT.match(statement)
    if select is not None:
        read: list[str] = []
        for item in _split(select.group(1)):
            lowered = item.strip().lower()
            if lowered.startswith(_AGGREGATES):
                continue
            if "*" in lowered or "(" in lowered:
                read.append(ALL_COLUMNS)
            else:
                read.append(_last_name(re.split(r"\s+as\s+", item, flags=re.IGNORECASE)[0]))
        return Read(select.group(2).lower(), tuple(read))
    return None


def _write(table: str, columns: list[str], slots: list[str]) -> Write:
    by_position: list[str] = []
    by_name: list[tuple[str, str]] = []
    for index, slot in enumerate(slots):
        column = columns[index] if index < len(columns) else ALL_COLUMNS
        for match in _PLACEHOLDER.finditer(slot):
            name = match.group(1) or match.group(2)
            if name:
                by_name.append((name, column))
            else:
                by_position.append(column)
    if not slots:  # no VALUES list understood: every parameter may go anywhere
        by_position.append(ALL_COLUMNS)
    return Write(table.lower(), tuple(by_position), tuple(by_name))


def _split(text: str) -> list[str]:
    """Comma-separated items, not splitting inside parentheses or quotes."""
    items: list[str] = []
    current: list[str] = []
    depth, quote = 0, ""
    for ch in text:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            items.append("".join(current).strip())
            current = []
            continue
        current.append(ch)
    if "".join(current).strip():
        items.append("".join(current).strip())
    return items


def _last_name(text: str) -> str:
    name = text.strip().strip("\"`[]").rsplit(".", 1)[-1].strip("\"`[]").lower()
    return name or ALL_COLUMNS
