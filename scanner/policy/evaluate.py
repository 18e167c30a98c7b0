"""The policy matrix: decide, for PII of some kinds reaching a destination, which rule
(if any) is broken. The first policy entry matching a (kind, destination, hashed) triple
decides that kind; kinds that reach an `allow` entry, or no entry, are silent. Also the
rules as the reports list them."""

from __future__ import annotations

from dataclasses import dataclass

from scanner.model import RuleInfo, Verdict
from scanner.rules.schema import PolicyEntry, RuleSet


@dataclass(frozen=True)
class RuleBreach:
    """One rule broken by a flow, with the PII kinds that break it."""

    rule_id: str
    verdict: Verdict
    kinds: tuple[str, ...]


def decide(ruleset: RuleSet, kinds: frozenset[str], destination: str, hashed: bool) -> list[RuleBreach]:
    """The rules broken when PII of `kinds` (hashed or not) reaches `destination`."""
    by_rule: dict[str, tuple[Verdict, set[str]]] = {}
    for kind in sorted(kinds):
        entry = _first_match(ruleset.policy, kind, destination, hashed)
        if entry is None or entry.verdict is Verdict.ALLOW or entry.rule is None:
            continue
        slot = by_rule.setdefault(entry.rule, (entry.verdict, set()))
        slot[1].add(kind)
    return [RuleBreach(rule, verdict, tuple(sorted(ks)))
            for rule, (verdict, ks) in sorted(by_rule.items())]


def _first_match(policy: list[PolicyEntry], kind: str, destination: str, hashed: bool) -> PolicyEntry | None:
    for entry in policy:
        if entry.matches(kind, destination, hashed):
            return entry
    return None


def rule_infos(ruleset: RuleSet) -> list[RuleInfo]:
    """Report-ready descriptions of every rule, sorted by id."""
    return [
        RuleInfo(r.id, r.name, r.severity, r.title, r.explanation, r.fix, r.policy, r.tags,
                 r.bad_example, r.good_example)
        for r in sorted(ruleset.rules.values(), key=lambda r: r.id)
    ]
