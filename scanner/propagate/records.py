"""The records that frames, call handlers and the engine exchange: call arguments, sink
sites, what a summary records for its callers, store keys, and raw findings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, NamedTuple

import libcst as cst

from scanner.model import SinkKind
from scanner.propagate.values import CLEAN, Fact, Value

StoreTag = Literal["global", "field", "table", "file", "buffer"]
"""`global`: a module-level name; `field`: an attribute of a project class's instances;
`table`: a table of the app's database named in constant SQL; `file`: a file named by a
constant path; `buffer`: an in-memory buffer, by the call that made it."""


class StoreKey(NamedTuple):
    """Where a value lives in the global store: a module global or a class attribute."""

    tag: StoreTag
    owner: str
    """The module's dotted name (globals) or the class's qualified name (fields)."""
    name: str


def global_key(module: str, name: str) -> StoreKey:
    """The store key of module-level name `name` of module `module`."""
    return StoreKey("global", module, name)


def field_key(cls: str, name: str) -> StoreKey:
    """The store key of attribute `name` of instances (or the class) `cls`."""
    return StoreKey("field", cls, name)


def table_key(table: str, column: str) -> StoreKey:
    """The store key of column `column` of database table `table` (`*`: a column not
    known; `<all>`: every column together)."""
    return StoreKey("table", table.lower(), column)


StarMarker = Literal["", "*", "**"]


@dataclass
class Arg:
    """One argument of a call: keyword name, `*`/`**` marker, its value and node."""

    keyword: str | None
    star: StarMarker
    value: Value
    node: cst.CSTNode


@dataclass
class SinkSite:
    """A sink call: the rule, where it is, and where the data goes."""

    rule_id: str
    kind: SinkKind
    destination: str
    host: str | None
    path: str
    node: cst.CSTNode
    callee: str


@dataclass
class Context:
    """What a summary records about its parameters' PII (placeholders) for the caller."""

    events: list[tuple[Fact, SinkSite]] = field(default_factory=list)
    """(placeholder fact, sink site) pairs: a parameter reaches a sink."""
    effects: list[tuple[StoreKey, Value]] = field(default_factory=list)
    """(store key, value) pairs: a parameter is stored in an attribute or global."""


@dataclass
class Summary:
    """What a function does with its parameters, in one calling context."""

    result: Value
    events: list[tuple[Fact, SinkSite]]
    effects: list[tuple[StoreKey, Value]]
    raised: Value

    def signature(self) -> object:
        """Identity for the recursion fixpoint."""
        return (self.result.signature(), len(self.events), len(self.effects), self.raised.signature())


EMPTY_SUMMARY = Summary(CLEAN, [], [], CLEAN)


@dataclass
class RawFinding:
    """A fact that reached a sink, before policy and positions are applied."""

    fact: Fact
    site: SinkSite


def buffer_key(site: str) -> StoreKey:
    """The store key of what was written into the in-memory buffer made at `site`."""
    return StoreKey("buffer", site, "*")


def file_key(path: str, store: str = "file") -> StoreKey:
    """The store key of what the app wrote to the file at constant `path` (or, for
    another `store` such as a key-value store, under that key)."""
    if store != "file":
        return StoreKey("file", f"{store}|{path}", "*")
    return StoreKey("file", path.replace("\\", "/").lstrip("./"), "*")
