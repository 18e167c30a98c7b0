"""Qualified-name patterns for calls, and the references the engine resolves calls to.

A *reference* is the engine's idea of what a value is: a dotted path of segments, each a
name that may have been called, with the constant string arguments of that call. For
example ``boto3.client("ses").send_email`` is three segments; the second was called with
the constant ``"ses"``.

A *pattern* in a ruleset uses the same spelling:

* ``requests.post`` — the function ``post`` of module ``requests``;
* ``sp_api.api.Orders.get_orders`` — a segment without parentheses matches whether or not
  it was called, so this matches ``Orders(...).get_orders`` as well;
* ``boto3.client("ses").send_email`` — the call must have had ``"ses"`` as its first
  argument; ``Orders(version="2026-01-01")`` constrains a keyword argument;
* ``*`` matches any one segment; a leading ``*.`` matches any receiver, including one the
  engine could not resolve (``*.append`` is the `append` method of anything).
"""

from __future__ import annotations

from dataclasses import dataclass, field

HIDDEN_ARG = "@"
"""Segment arguments whose key starts with this are the engine's marks (a buffer's
allocation site), never shown."""


@dataclass(frozen=True)
class Segment:
    """One step of a reference: a name, and the call made on it (if any)."""

    name: str
    called: bool = False
    args: tuple[tuple[str, str], ...] = ()
    """Constant string arguments of the call: ("0", "ses") or ("version", "2026-01-01")."""

    def __str__(self) -> str:
        if not self.called:
            return self.name
        inner = ", ".join(
            f'"{v}"' if k.isdigit() else f'{k}="{v}"' for k, v in self.args
            if not k.startswith(HIDDEN_ARG)
        )
        return f"{self.name}({inner})"


Ref = tuple[Segment, ...]


def ref_from_dotted(dotted: str) -> Ref:
    """A reference for a plain dotted name such as ``requests.post``."""
    return tuple(Segment(part) for part in dotted.split(".") if part)


def ref_text(ref: Ref) -> str:
    """The display text of a reference, e.g. ``sp_api.api.Orders().get_orders``."""
    return ".".join(str(s) for s in ref)


class PatternError(ValueError):
    """A call pattern that cannot be parsed."""


@dataclass(frozen=True)
class PatternSegment:
    """One segment of a pattern."""

    name: str
    must_call: bool = False
    args: tuple[tuple[str, str], ...] = ()

    def matches(self, seg: Segment) -> bool:
        """Whether this pattern segment accepts the reference segment `seg`."""
        if self.name != "*" and self.name != seg.name:
            return False
        if self.must_call and not seg.called:
            return False
        if self.args:
            have = dict(seg.args)
            return all(have.get(k) == v for k, v in self.args)
        return True


@dataclass(frozen=True)
class CallPattern:
    """A parsed call pattern (see the module docstring)."""

    text: str
    segments: tuple[PatternSegment, ...]
    any_receiver: bool = False

    @property
    def last_name(self) -> str:
        """The name of the final segment (used to index patterns)."""
        return self.segments[-1].name

    @property
    def specificity(self) -> int:
        """Higher for patterns that pin down more: used when several rules match one call."""
        score = 0 if self.any_receiver else 1000
        score += 10 * len(self.segments)
        score += sum(5 * len(s.args) + (1 if s.must_call else 0) for s in self.segments)
        return score

    def matches(self, ref: Ref) -> bool:
        """Whether the reference `ref` is a call this pattern describes."""
        segs = self.segments
        if self.any_receiver:
            if len(ref) < len(segs) + 1:
                return False
            tail = ref[len(ref) - len(segs):]
        else:
            if len(ref) != len(segs):
                return False
            tail = ref
        return all(p.matches(s) for p, s in zip(segs, tail))


def _split_outside(text: str, sep: str) -> list[str]:
    parts: list[str] = []
    depth = 0
    quote = ""
    current: list[str] = []
    for ch in text:
        if quote:
            current.append(ch)
            if ch == quote:
                quote = ""
            continue
        if ch in "\"'":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                raise PatternError("unbalanced ')'")
        elif ch == sep and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(ch)
    if quote:
        raise PatternError("unterminated string")
    if depth:
        raise PatternError("unbalanced '('")
    parts.append("".join(current))
    return parts


def _parse_segment(text: str) -> PatternSegment:
    text = text.strip()
    if "(" not in text:
        if not text or not (text == "*" or text.replace("_", "a").isalnum()):
            raise PatternError(f"bad name {text!r}")
        return PatternSegment(text)
    name, _, rest = text.partition("(")
    name = name.strip()
    if not rest.endswith(")"):
        raise PatternError(f"bad call segment {text!r}")
    if not name or not (name == "*" or name.replace("_", "a").isalnum()):
        raise PatternError(f"bad name {name!r}")
    inner = rest[:-1].strip()
    args: list[tuple[str, str]] = []
    if inner:
        for position, raw in enumerate(_split_outside(inner, ",")):
            raw = raw.strip()
            key = str(position)
            if "=" in raw and not raw.startswith(("'", '"')):
                key, _, raw = raw.partition("=")
                key, raw = key.strip(), raw.strip()
            if len(raw) < 2 or raw[0] not in "\"'" or raw[-1] != raw[0]:
                raise PatternError(f"argument {raw!r} must be a quoted string")
            args.append((key, raw[1:-1]))
    return PatternSegment(name, True, tuple(args))


def parse_pattern(text: str) -> CallPattern:
    """Parse a pattern such as ``boto3.client("ses").send_email``; raise PatternError."""
    if not isinstance(text, str) or not text.strip():
        raise PatternError("a call pattern must be a non-empty string")
    body = text.strip()
    any_receiver = False
    if body.startswith("*."):
        any_receiver = True
        body = body[2:]
    segments = tuple(_parse_segment(p) for p in _split_outside(body, "."))
    return CallPattern(text.strip(), segments, any_receiver)


@dataclass
class PatternIndex:
    """Rules indexed by the last name of their patterns, for fast look-up per call."""

    _by_name: dict[str, list[tuple[CallPattern, object]]] = field(default_factory=dict)

    def add(self, pattern: CallPattern, item: object) -> None:
        """Register `item` under `pattern`."""
        self._by_name.setdefault(pattern.last_name, []).append((pattern, item))
        self._by_name.setdefault("*", [])

    def lookup(self, ref: Ref) -> list[tuple[CallPattern, object]]:
        """Every (pattern, item) matching `ref`, most specific first."""
        if not ref:
            return []
        candidates = self._by_name.get(ref[-1].name, []) + self._by_name.get("*", [])
        hits = [(p, item) for p, item in candidates if p.matches(ref)]
        hits.sort(key=lambda pair: -pair[0].specificity)
        return hits
