"""The policy stage: decide, for PII of some kinds reaching a destination, which rule
(if any) is violated. The first policy entry matching a (kind, destination, hashed)
triple decides that kind; kinds that reach an `allow` entry, or no entry, are silent."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from scanner.propagate.values import HOLE
from scanner.rules.loader import classify_host
from scanner.rules.schema import PolicyEntry, RuleSet


@dataclass(frozen=True)
class Verdict:
    """One rule broken by a flow, with the PII kinds that break it."""

    rule_id: str
    verdict: str
    kinds: tuple[str, ...]


def decide(ruleset: RuleSet, kinds: frozenset[str], destination: str, hashed: bool) -> list[Verdict]:
    """The rules broken when PII of `kinds` (hashed or not) reaches `destination`."""
    by_rule: dict[str, tuple[str, set[str]]] = {}
    for kind in sorted(kinds):
        entry = _first_match(ruleset.policy, kind, destination, hashed)
        if entry is None or entry.verdict == "allow" or entry.rule is None:
            continue
        slot = by_rule.setdefault(entry.rule, (entry.verdict, set()))
        slot[1].add(kind)
    return [Verdict(rule, verdict, tuple(sorted(ks))) for rule, (verdict, ks) in sorted(by_rule.items())]


def _first_match(policy: list[PolicyEntry], kind: str, destination: str, hashed: bool) -> PolicyEntry | None:
    for entry in policy:
        if entry.matches(kind, destination, hashed):
            return entry
    return None


def host_of(url: str | None) -> str | None:
    """The host of a URL known from constants (None when the host part is not constant)."""
    if not url or "://" not in url:
        return None
    head = url.split("://", 1)[1]
    for stop in "/?#":
        head = head.split(stop, 1)[0]
    head = head.rsplit("@", 1)[-1]
    if HOLE in head or not head:
        return None
    try:
        host = urlsplit("http://" + head).hostname
    except ValueError:
        return None
    return host.lower() if host else None


def destination_for(ruleset: RuleSet, default: str, url: str | None) -> tuple[str, str | None]:
    """The destination class of a sink call and the host, if the URL names one."""
    host = host_of(url)
    if host is None:
        return default, None
    return classify_host(ruleset, host) or default, host
