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


def path_of(url: str | None) -> str | None:
    """The path of a partly-constant URL (from its first `/` after the host; query and
    fragment left out), or None when it has none or the host part is not constant."""
    if not url or "://" not in url:
        return None
    rest = url.split("://", 1)[1]
    for stop in "?#":
        rest = rest.split(stop, 1)[0]
    slash = rest.find("/")
    if slash < 0 or HOLE in rest[:slash]:
        return None
    return rest[slash:]


def classify_host(ruleset: RuleSet, host: str, path: str | None = None) -> str | None:
    """The destination class of `host` (most specific glob wins; later rulesets win ties).
    Globs with a path (`api.example.com/ads/*`) match when `path` (unknown parts as `*`
    or `x`) matches theirs."""
    host = host.lower().rstrip(".")
    best: HostRule | None = None
    for rule in ruleset.hosts:
        glob_host, slash, glob_path = rule.glob.partition("/")
        if not fnmatch.fnmatchcase(host, glob_host):
            continue
        if slash and (path is None or not url_matches(path, ["/" + glob_path])):
            continue
        if best is None or rule.specificity >= best.specificity:
            best = rule
    return best.category if best else None


def destination_for(ruleset: RuleSet, default: str, url: str | None) -> tuple[str, str | None]:
    """The destination class of a sink call and the host, if the URL names one (its host
    and path decide, see `classify_host`)."""
    host = host_of(url)
    if host is None:
        return default, None
    return classify_host(ruleset, host, path_of(url)) or default, host


def url_matches(url: str, globs: Iterable[str]) -> bool:
    """Whether a partly-constant URL matches one of `globs` (unknown parts as `*` or `x`)."""
    text = url.replace(HOLE, "*")
    filled = url.replace(HOLE, "x")
    return any(fnmatch.fnmatchcase(text, g) or fnmatch.fnmatchcase(filled, g) for g in globs)
