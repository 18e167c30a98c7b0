"""Abstract values: what the engine knows about a Python value.

A `Value` has
* `facts`: the PII it carries — one `Fact` per (origin, shape, hashed) with the trace of
  how it got here (the first trace found is kept, so traces stay short and stable);
* `refs`: what it *is* — an external name (`requests.post`, an `Orders()` instance), a
  project function, class, instance or module (`scanner.resolve.refs`) — used to
  resolve calls;
* `const`: its text when it is a string built from constants (unknown parts are
  `scanner.rules.urls.HOLE`), used to resolve URLs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import libcst as cst

from scanner.model import StepKind
from scanner.resolve.refs import AnyRef, BoundMethod, Holds, InstanceRef
from scanner.rules.schema import Clearance
from scanner.rules.shapes import LIST_KEY, Shape, normalize_key, union


@dataclass(frozen=True)
class SourceOrigin:
    """A call that returned PII: the source rule and where the call is."""

    rule_id: str
    path: str
    node_id: int
    node: cst.CSTNode = field(compare=False, hash=False)
    callee: str = field(compare=False, default="")


@dataclass(frozen=True)
class ParamOrigin:
    """A stand-in for whatever PII a caller passes in (used inside summaries)."""

    pid: tuple[int, str, int]
    """(function id, parameter name, fact group): stable for one function and parameter."""


Origin = SourceOrigin | ParamOrigin


@dataclass(frozen=True)
class Step:
    """One step of a trace (positions are resolved only when a finding is reported)."""

    path: str
    node: cst.CSTNode = field(compare=False)
    action: str
    kind: StepKind = StepKind.STEP


Cleared = frozenset[tuple[str, str]]
"""(rule id, PII kind or `*`) pairs a fact was cleared for by a scoped sanitizer or guard:
findings of that rule about that kind are not reported."""

FactKey = tuple[Origin, Shape, bool, Cleared]


@dataclass(frozen=True)
class Fact:
    """PII of `origin`, laid out as `shape`, possibly hashed, with how it got here (and
    the rules it was cleared for)."""

    origin: Origin
    shape: Shape
    hashed: bool
    trace: tuple[Step, ...]
    cleared: Cleared = frozenset()

    @property
    def key(self) -> FactKey:
        """Identity for merging (the trace is not part of it)."""
        return (self.origin, self.shape, self.hashed, self.cleared)

    def with_shape(self, shape: Shape | None, hashed: bool | None = None) -> Fact | None:
        """This fact with another shape (None if the shape holds no PII)."""
        if shape is None:
            return None
        return Fact(self.origin, shape, self.hashed if hashed is None else hashed, self.trace,
                    self.cleared)

    def with_step(self, step: Step) -> Fact:
        """This fact with one more trace step (skipping an exact repeat)."""
        if self.trace and self.trace[-1].node is step.node and self.trace[-1].action == step.action:
            return self
        return Fact(self.origin, self.shape, self.hashed, self.trace + (step,), self.cleared)

    def is_cleared(self, rule: str, kind: str) -> bool:
        """Whether findings of `rule` about PII of `kind` were cleared on this fact's path."""
        return bool(self.cleared) and ((rule, kind) in self.cleared or (rule, "*") in self.cleared)


class Value:
    """An abstract value (see the module docstring). Treat as immutable."""

    __slots__ = ("const", "facts", "refs")

    def __init__(
        self,
        facts: Mapping[FactKey, Fact] | None = None,
        refs: Iterable[AnyRef] = (),
        const: str | None = None,
    ) -> None:
        self.facts: Mapping[FactKey, Fact] = facts or {}
        self.refs: frozenset[AnyRef] = frozenset(refs)
        self.const = const

    @staticmethod
    def of_facts(facts: Iterable[Fact | None], refs: Iterable[AnyRef] = ()) -> Value:
        """A value holding the given facts (None entries are dropped)."""
        result: dict[FactKey, Fact] = {}
        for f in facts:
            if f is not None and f.key not in result:
                result[f.key] = f
        return Value(result, refs)

    def signature(self) -> tuple[frozenset[FactKey], frozenset[AnyRef], str | None]:
        """What identifies this value for fixpoints (traces left out)."""
        return (frozenset(self.facts), self.refs, self.const)

    def map_shapes(self, fn: Callable[[Shape], Shape | None], hashed: bool | None = None) -> Value:
        """A value whose facts have `fn(shape)` as shape (refs and const dropped)."""
        return Value.of_facts(f.with_shape(fn(f.shape), hashed) for f in self.facts.values())

    def with_step(self, step: Step) -> Value:
        """The same value with `step` appended to every fact's trace."""
        if not self.facts:
            return self
        return Value({k: f.with_step(step) for k, f in self.facts.items()}, self.refs, self.const)

    def only_facts(self) -> Value:
        """Just the PII of this value."""
        return Value(self.facts) if (self.refs or self.const is not None) else self

    def __repr__(self) -> str:
        facts = ", ".join(
            f"{getattr(f.origin, 'rule_id', f.origin)}:{f.shape.describe()}{'#' if f.hashed else ''}"
            for f in self.facts.values()
        )
        return f"Value(facts=[{facts}], refs={set(self.refs) or ''}, const={self.const!r})"


CLEAN = Value()


def join(values: Iterable[Value]) -> Value:
    """The union of several values (facts and refs; const kept only if all agree)."""
    vals = values if isinstance(values, list) else list(values)
    if not vals:
        return CLEAN
    if len(vals) == 1:
        return vals[0]
    first = vals[0]
    if all(v is first for v in vals):
        return first
    if not any(v.facts or v.refs for v in vals):
        c = first.const
        return first if all(v.const == c for v in vals) else CLEAN
    facts: dict[FactKey, Fact] = {}
    refs: set[AnyRef] = set()
    consts = set()
    for v in vals:
        for k, f in v.facts.items():
            old = facts.get(k)
            if old is None or len(f.trace) < len(old.trace):
                facts[k] = f
        refs |= v.refs
        consts.add(v.const)
    const = consts.pop() if len(consts) == 1 else None
    return Value(facts, refs, const)


def flatten(value: Value, hashed: bool | None = None) -> Value:
    """Every PII kind of `value` as plain text (string building, serialisation)."""
    if not value.facts:
        return CLEAN
    return value.map_shapes(lambda s: s.flatten(), hashed)


def get_key(value: Value, key: str | None) -> Value:
    """Field `key` of `value` (None: a key not known statically, so every field)."""
    if not value.facts:
        return CLEAN
    if key is None:
        return value.map_shapes(lambda s: s.merged())
    return value.map_shapes(lambda s: s.get(key))


def get_index(value: Value, position: int | None) -> Value:
    """Element `position` of a sequence value (None: unknown index)."""
    if not value.facts:
        return CLEAN
    return value.map_shapes(lambda s: s.index(position))


def elements(value: Value) -> Value:
    """What iterating over `value` yields."""
    if not value.facts:
        return CLEAN
    return value.map_shapes(lambda s: s.elements())


def clear(value: Value, clearance: Clearance, step: Step | None = None) -> Value:
    """`value` cleared as `clearance` says: the kinds it names removed (for every rule),
    or, scoped to rules, its facts marked so those rules report nothing about them
    (refs and const kept; `step` traced on what stays)."""
    if not value.facts:
        return value
    if clearance.everything:
        return Value(refs=value.refs, const=value.const)
    facts: list[Fact | None] = []
    for f in value.facts.values():
        if not clearance.rules:
            facts.append(f.with_shape(f.shape.without(clearance.kinds)))
            continue
        kinds = sorted(clearance.kinds) or ["*"]
        marks = frozenset((rule, kind) for rule in clearance.rules for kind in kinds)
        facts.append(Fact(f.origin, f.shape, f.hashed, f.trace, f.cleared | marks))
    cleared = Value.of_facts(facts)
    if step is not None:
        cleared = cleared.with_step(step)
    return Value(cleared.facts, value.refs, value.const)


def wrap(value: Value, key: str) -> Value:
    """A container holding `value` under field `key` (`[]` for list elements)."""
    if not value.facts:
        return CLEAN
    return value.map_shapes(lambda s: s.wrap(key))


MAX_HELD_REFS = 16
"""A container holding more distinct references than this forgets them."""


def held(value: Value) -> frozenset[AnyRef]:
    """The references the items of a container value are (see `Holds`)."""
    found: set[AnyRef] = set()
    for ref in value.refs:
        if isinstance(ref, Holds):
            found |= ref.refs
    return frozenset(found)


def holding(refs: Iterable[AnyRef]) -> list[AnyRef]:
    """The references of a container whose items are `refs` (none if there are none or
    too many)."""
    items = frozenset(r for r in refs if not (isinstance(r, Holds) and any(
        isinstance(inner, Holds) for inner in r.refs)))  # two levels at most: (k, fn) pairs
    if not items or len(items) > MAX_HELD_REFS:
        return []
    return [Holds(items)]


def item_of(value: Value, part: Value) -> Value:
    """`part` (the PII of one item of container `value`) with the references the items
    of `value` are."""
    inner = held(value)
    return Value(part.facts, part.refs | inner, part.const) if inner else part


def build_container(items: list[tuple[str | None, Value]], list_like: bool) -> Value:
    """A container from (key, value) pairs; None keys are dynamic (stored under `*`).

    For sequences, keys are positions and every element is also reachable as `[]`.
    References among the values (functions in a dispatch table) are kept as `Holds`."""
    facts: list[Fact | None] = []
    inner: set[AnyRef] = set()
    for _, val in items:
        inner |= val.refs
    by_origin: dict[tuple[Origin, bool, Cleared], tuple[dict[str, list[Shape]], tuple[Step, ...]]] = {}
    for key, val in items:
        for f in val.facts.values():
            slot = by_origin.setdefault((f.origin, f.hashed, f.cleared), ({}, f.trace))
            k = "*" if key is None else normalize_key(key)
            slot[0].setdefault(k, []).append(f.shape)
            if list_like:
                slot[0].setdefault(LIST_KEY, []).append(f.shape)
    for (origin, hashed, cleared), (children, trace) in by_origin.items():
        shape = Shape.make({k: u for k, v in children.items() if (u := union(v)) is not None})
        if shape is not None:
            facts.append(Fact(origin, shape, hashed, trace, cleared))
    return Value.of_facts(facts, holding(inner))


def element_refs(refs: frozenset[AnyRef]) -> list[AnyRef]:
    """What iterating over a value with these references yields: the items of a
    container that holds references; instances stay instances; others unknown."""
    found: list[AnyRef] = [r for r in refs if isinstance(r, (InstanceRef, BoundMethod))]
    for ref in refs:
        if isinstance(ref, Holds):
            found.extend(ref.refs)
    return found
