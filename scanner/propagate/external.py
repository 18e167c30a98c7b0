"""Calls to code outside the project, decided by the rulesets: sources create PII,
sinks receive it, sanitizers end it, propagators move it; any other call passes the PII
of its arguments (and of its receiver, keeping the structure) to its result."""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from scanner.model import StepKind
from scanner.propagate.arguments import constant_args, pick, selected
from scanner.propagate.effects import apply_effect
from scanner.propagate.records import Arg, SinkSite
from scanner.propagate.services import Analysis, CallerFrame
from scanner.propagate.strings import format_template
from scanner.propagate.values import CLEAN, Fact, SourceOrigin, Step, Value, flatten, join
from scanner.resolve.refs import MAX_REF_LENGTH, UNKNOWN_SEGMENT, ExtRef
from scanner.rules.loader import build_index
from scanner.rules.patterns import Ref, Segment, ref_text
from scanner.rules.schema import (
    DecoratorEffect,
    DecoratorRule,
    PropagatorRule,
    RuleSet,
    SinkRule,
    SourceRule,
)
from scanner.rules.urls import HOLE, destination_for, url_matches


@dataclass
class RuleMatches:
    """The rules matching one called reference, most specific first."""

    sinks: list[SinkRule] = field(default_factory=list)
    sources: list[tuple[int, SourceRule]] = field(default_factory=list)
    """(pattern specificity, rule) pairs."""
    sanitized: bool = False
    propagators: list[tuple[int, PropagatorRule]] = field(default_factory=list)


class ExternalCalls:
    """Applies the rulesets to calls of external (or unresolved) callables."""

    def __init__(self, engine: Analysis, ruleset: RuleSet) -> None:
        self.engine = engine
        self.ruleset = ruleset
        self.sources = build_index(ruleset.sources)
        self.sinks = build_index(ruleset.sinks)
        self.sanitizers = build_index(ruleset.sanitizers)
        self.propagators = build_index(ruleset.propagators)
        self.decorators = build_index(ruleset.decorators)
        self._match_cache: dict[Ref, RuleMatches] = {}

    def matches(self, ref: Ref) -> RuleMatches:
        """The sinks, sources, sanitizers and propagators matching `ref` (cached)."""
        found = self._match_cache.get(ref)
        if found is None:
            found = RuleMatches(
                [r for _, r in self.sinks.lookup(ref) if isinstance(r, SinkRule)],
                [(p.specificity, r) for p, r in self.sources.lookup(ref) if isinstance(r, SourceRule)],
                bool(self.sanitizers.lookup(ref)),
                [(p.specificity, r) for p, r in self.propagators.lookup(ref)
                 if isinstance(r, PropagatorRule)],
            )
            self._match_cache[ref] = found
        return found

    @staticmethod
    def called_ref(ref: ExtRef, args: list[Arg]) -> Ref:
        """The callee reference with its last segment marked as called with its constants."""
        last = ref.path[-1]
        head = ref.path[:-1]
        if len(ref.path) >= MAX_REF_LENGTH or any(seg.name == last.name for seg in head[1:-1]):
            head = (UNKNOWN_SEGMENT,)
        elif len(head) >= 1 and head[-1].name == last.name and head[-1].called:
            head = head[:-1]  # `x.union().union()` is still `x.union()`: keeps loops finite
        return head + (Segment(last.name, True, constant_args(args)),)

    def unknown_result(self, receiver: Value | None, args: list[Arg]) -> Value:
        """What an unknown call returns: its receiver's PII as is, its arguments' flattened
        (or nothing, when a ruleset sets `unknown_calls: drop`)."""
        if self.ruleset.unknown_calls == "drop":
            return CLEAN
        parts = [flatten(join([a.value for a in args]))]
        if receiver is not None:
            parts.append(receiver.only_facts())
        return Value(join(parts).facts)

    def decorator_effects(self, ref: ExtRef) -> list[DecoratorEffect]:
        """Effects of the decorator rules matching `ref`."""
        return [rule.effect for _, rule in self.decorators.lookup(ref.path)
                if isinstance(rule, DecoratorRule)]

    def call(self, frame: CallerFrame, node: cst.Call, refs: list[ExtRef], receiver: Value | None,
             receiver_node: cst.BaseExpression | None, method: str | None, args: list[Arg]) -> Value:
        """Evaluate a call of external `refs` (or of something unresolved): report what
        reaches a sink; a source's result is new PII; a sanitizer's is clean; a
        propagator's follows its effect; anything else is unknown code."""
        if not refs:
            if method is None:
                return self.unknown_result(receiver, args)
            refs = [ExtRef((Segment("?"), Segment(method)))]
        called = [self.called_ref(r, args) for r in refs]
        result_refs = [ExtRef(c) for c in called]

        sinks_done: set[str] = set()
        source: tuple[int, SourceRule, Ref] | None = None
        sanitized = False
        propagator: tuple[int, PropagatorRule] | None = None
        for ref in called:
            found = self.matches(ref)
            for sink_rule in found.sinks:
                if sink_rule.id not in sinks_done:
                    sinks_done.add(sink_rule.id)
                    self.sink(frame, node, sink_rule, ref, receiver, args)
            for specificity, source_rule in found.sources:
                if source_rule.url is not None and not self._url_matches(source_rule, args, receiver):
                    continue
                if source is None or specificity > source[0]:
                    source = (specificity, source_rule, ref)
            if found.sanitized:
                sanitized = True
            for specificity, propagator_rule in found.propagators:
                if propagator is None or specificity > propagator[0]:
                    propagator = (specificity, propagator_rule)

        if source is not None:
            _, rule, ref = source
            text = ref_text(ref)
            origin = SourceOrigin(rule.id, frame.path, id(node), node, text)
            kinds = ", ".join(sorted(rule.shape.all_kinds))
            step = Step(frame.path, node, f"`{_short(text)}` returns buyer PII ({kinds})", StepKind.SOURCE)
            return Value.of_facts([Fact(origin, rule.shape, False, (step,))], result_refs)
        if sanitized:
            return Value(refs=result_refs)
        if propagator is not None:
            value = apply_effect(self.engine, frame, node, propagator[1], receiver, receiver_node, args)
            if value is None:
                value = self.unknown_result(receiver, args)
            return Value(value.facts, [*result_refs, *value.refs], value.const)
        if method == "format" and receiver is not None and receiver.const is not None:
            merged = self.unknown_result(receiver, args)
            return Value(flatten(merged).facts, result_refs, format_template(receiver.const))
        if sinks_done:
            # What a sink returns (an HTTP response, a message id) is not the data sent.
            return Value(refs=result_refs)
        if method is None and refs and refs[0].path == (Segment("getattr"),) and len(args) >= 2:
            name = args[1].value.const
            if name is not None and HOLE not in name:
                return self.engine.attribute(args[0].value, name)
        result = self.unknown_result(receiver, args)
        return Value(result.facts, result_refs)

    def _url_matches(self, rule: SourceRule, args: list[Arg], receiver: Value | None) -> bool:
        assert rule.url is not None
        url = pick(args, receiver, rule.url).const
        return url is not None and url_matches(url, rule.url_globs)

    def sink(self, frame: CallerFrame, node: cst.Call, rule: SinkRule, ref: Ref,
             receiver: Value | None, args: list[Arg]) -> None:
        """Report every PII fact that reaches the data-carrying arguments of a sink (the
        attributes of project instances passed whole included)."""
        data = selected(args, receiver, rule.args)
        data = self.engine.instance_facts(data)
        if not data.facts:
            return
        url = None
        if rule.url is not None and rule.url.receiver:
            url = _host_from_constructor(receiver)
        elif rule.url is not None:
            url = pick(args, receiver, rule.url).const
        destination, host = destination_for(self.ruleset, rule.destination, url)
        text = ref_text(ref)
        site = SinkSite(rule.id, rule.kind, destination, host, frame.path, node, text)
        where = f"{destination} ({host})" if host else destination
        step = Step(frame.path, node, f"sent to `{_short(text)}` ({where})", StepKind.SINK)
        for fact in data.facts.values():
            self.engine.emit(fact.with_step(step), site, frame.ctx)


def _host_from_constructor(receiver: Value | None) -> str | None:
    """`HTTPSConnection("api.example.com").request(...)`: the host the receiver was built
    with (its last call's first constant argument), as a URL."""
    if receiver is None:
        return None
    for ref in receiver.refs:
        if isinstance(ref, ExtRef):
            for segment in reversed(ref.path):
                if segment.called:
                    host = dict(segment.args).get("0")
                    if host:
                        return host if "://" in host else f"https://{host}"
                    break
    return None


def _short(text: str) -> str:
    return text if len(text) <= 80 else "..." + text[-77:]
