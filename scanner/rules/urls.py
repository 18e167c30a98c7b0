"""URLs known from constants, and the destination classes of their hosts.

The engine builds strings from constants where it can; the parts it cannot know are the
`HOLE` character. This module reads such partial URLs: their host, whether they match a
source rule's URL globs, and which destination class (`hosts:` in the rulesets) a sink
call sends to."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from urllib.parse import urlsplit

from scanner.rules.schema import HostRule, RuleSet

HOLE = "\ufffc"
"""Stands for an unknown part of a partly-constant string."""


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


def classify_host(ruleset: RuleSet, host: str) -> str | None:
    """The destination class of `host` (most specific glob wins; later rulesets win ties)."""
    host = host.lower().rstrip(".")
    best: HostRule | None = None
    for rule in ruleset.hosts:
        if fnmatch.fnmatchcase(host, rule.glob) and (
            best is None or rule.specificity >= best.specificity
        ):
            best = rule
    return best.category if best else None


def destination_for(ruleset: RuleSet, default: str, url: str | None) -> tuple[str, str | None]:
    """The destination class of a sink call and the host, if the URL names one."""
    host = host_of(url)
    if host is None:
        return default, None
    return classify_host(ruleset, host) or default, host


def url_matches(url: str, globs: Iterable[str]) -> bool:
    """Whether a partly-constant URL matches one of `globs` (unknown parts as `*` or `x`)."""
    text = url.replace(HOLE, "*")
    filled = url.replace(HOLE, "x")
    return any(fnmatch.fnmatchcase(text, g) or fnmatch.fnmatchcase(filled, g) for g in globs)
