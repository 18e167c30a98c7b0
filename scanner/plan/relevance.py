"""Which groups can hold buyer PII, decided from the rulesets alone.

PII enters the analysis only at a source: a call the engine resolves to a source
pattern, an attribute read (`reads`), or a parameter of functions chosen by decorator,
base class or name (`functions`). Every name of such a pattern (`sp_api`, `api`,
`Orders`, `get_orders`) must then be spelt somewhere in the group (its imports, its
calls, or the path of a vendored module); for a source matched by URL, the URL's
constant text must contain the longest word of one of the rule's URL globs
(`sellingpartnerapi`); for functions chosen by a name glob, some word must contain the
glob's longest word. A group where no
source can match can have no finding, unless it reads back what another group stored
(a file or a table): `readers` tells which groups could."""

from __future__ import annotations

import re
from dataclasses import dataclass

from scanner.rules.patterns import CallPattern
from scanner.rules.schema import PropagatorEffect, RuleSet

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
STORE_READS = frozenset({PropagatorEffect.LOAD, PropagatorEffect.SQL})
"""Effects that read what the analysis stored for a file path or a table."""


@dataclass(frozen=True)
class Requirement:
    """Words that must all appear in a group, and (if any) anchors one of which must
    appear inside one of its words."""

    words: frozenset[str]
    anchors: tuple[str, ...] = ()

    def met(self, words: frozenset[str] | set[str], joined: str) -> bool:
        """Whether a group with these words (`joined`: the same words joined by newlines)
        meets the requirement. An anchor, being word characters only, is inside one of
        the words exactly when it is inside `joined`."""
        if not self.words <= words:
            return False
        return not self.anchors or any(a in joined for a in self.anchors)


@dataclass(frozen=True)
class Needs:
    """The requirements for a source call and for a read of the analysis's store."""

    sources: tuple[Requirement, ...]
    readers: tuple[Requirement, ...]

    def may_source(self, words: frozenset[str] | set[str]) -> bool:
        """Whether a group with these words may call a source."""
        joined = "\n".join(words)
        return any(r.met(words, joined) for r in self.sources)

    def may_read_store(self, words: frozenset[str] | set[str]) -> bool:
        """Whether a group with these words may read a file or table back."""
        joined = "\n".join(words)
        return any(r.met(words, joined) for r in self.readers)


def _names(pattern: CallPattern) -> frozenset[str]:
    return frozenset(s.name for s in pattern.segments if s.name != "*")


def _anchor(glob: str) -> str:
    words = _WORD.findall(glob)
    return max(words, key=len) if words else ""


def needs_of(ruleset: RuleSet) -> Needs:
    """The requirements the rulesets imply (see the module docstring)."""
    sources: set[Requirement] = set()
    for rule in ruleset.sources:
        anchors: tuple[str, ...] = ()
        if rule.url is not None:
            anchors = tuple(sorted({_anchor(g) for g in rule.url_globs}))
            if "" in anchors:
                anchors = ()
        for pattern in rule.patterns:
            sources.add(Requirement(_names(pattern), anchors))
        for pattern in rule.reads:
            sources.add(Requirement(_names(pattern)))
        if rule.functions is not None:
            for pattern in rule.functions.decorated + rule.functions.overrides:
                sources.add(Requirement(_names(pattern)))
            for glob in rule.functions.named:
                sources.add(Requirement(frozenset(), (_anchor(glob),) if _anchor(glob) else ()))
    readers = {Requirement(_names(p)) for rule in ruleset.propagators
               if rule.effect in STORE_READS for p in rule.patterns}
    return Needs(tuple(sorted(sources, key=repr)), tuple(sorted(readers, key=repr)))
