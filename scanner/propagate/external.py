"""Calls to code outside the project, decided by the rulesets: sources create PII,
sinks receive it, sanitizers end it, propagators move it; any other call passes the PII
of its arguments (and of its receiver, keeping the structure) to its result."""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from scanner.model import StepKind
from scanner.propagate.arguments import constant_args, constant_path, given, pick, selected
from scanner.propagate.conditions import all_hold
from scanner.propagate.effects import apply_effect
from scanner.propagate.records import Arg, SinkSite, buffer_key, file_key
from scanner.propagate.services import Analysis, CallerFrame
from scanner.propagate.strings import format_template
from scanner.propagate.values import CLEAN, Fact, SourceOrigin, Step, Value, clear, flatten, join
from scanner.resolve.refs import MAX_REF_LENGTH, UNKNOWN_SEGMENT, ExtRef
from scanner.rules.loader import build_index
from scanner.rules.patterns import HIDDEN_ARG, Ref, Segment, ref_text
from scanner.rules.schema import (
    ArgSpec,
    Clearance,
    DecoratorEffect,
    DecoratorRule,
    PropagatorRule,
    RuleSet,
    SanitizerRule,
    SinkRule,
    SourceRule,
)
from scanner.rules.shapes import Shape
from scanner.rules.urls import HOLE, destination_for, url_matches


@dataclass
class RuleMatches:
    """The rules matching one called reference, most specific first."""

    sinks: list[SinkRule] = field(default_factory=list)
    sources: list[tuple[int, SourceRule]] = field(default_factory=list)
    """(pattern specificity, rule) pairs."""
    sanitized: bool = False
    propagators: list[tuple[int, PropagatorRule]] = field(default_factory=list)
    clearances: list[Clearance] = field(default_factory=list)
    """What the sanitizers scoped to rules or kinds clear from the result."""
    buffer: bool = False
    """The call makes an in-memory buffer (`settings: buffers`)."""


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
        self._buffer_sites: dict[int, str] = {}
        """Buffer-making call (by node identity) -> its site label."""
        self._scoped = any(not r.clears.everything for r in ruleset.sanitizers)

    def matches(self, ref: Ref) -> RuleMatches:
        """The sinks, sources, sanitizers and propagators matching `ref` (cached)."""
        found = self._match_cache.get(ref)
        if found is None:
            sanitizers = [r for _, r in self.sanitizers.lookup(ref) if isinstance(r, SanitizerRule)]
            found = RuleMatches(
                [r for _, r in self.sinks.lookup(ref) if isinstance(r, SinkRule)],
                [(p.specificity, r) for p, r in self.sources.lookup(ref) if isinstance(r, SourceRule)],
                any(r.clears.everything for r in sanitizers),
                [(p.specificity, r) for p, r in self.propagators.lookup(ref)
                 if isinstance(r, PropagatorRule)],
                [r.clears for r in sanitizers if not r.clears.everything],
                any(p.matches(ref) for p in self.ruleset.buffers),
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
        reaches a sink; a source's result is new PII; a sanitizer's is clean (a sanitizer
        scoped to rules or kinds clears only those); a propagator's follows its effect;
        anything else is unknown code."""
        value = self._evaluate(frame, node, refs, receiver, receiver_node, method, args)
        if not value.facts or not self._scoped:
            return value
        lookup = refs or ([ExtRef((Segment("?"), Segment(method)))] if method is not None else [])
        for ref in lookup:
            for clearance in self.matches(self.called_ref(ref, args)).clearances:
                value = clear(value, clearance, Step(frame.path, node, "sanitized (" + _scope(clearance) + ")"))
        return value

    def _evaluate(self, frame: CallerFrame, node: cst.Call, refs: list[ExtRef], receiver: Value | None,
                  receiver_node: cst.BaseExpression | None, method: str | None, args: list[Arg]) -> Value:
        """`call` before scoped sanitizers."""
        if not refs:
            if method is None:
                return self.unknown_result(receiver, args)
            refs = [ExtRef((Segment("?"), Segment(method)))]
        called = [self.called_ref(r, args) for r in refs]
        matched = [self.matches(c) for c in called]
        result_refs = [ExtRef(self._buffer_site(c, frame, node) if m.buffer else c)
                       for c, m in zip(called, matched)]
        if receiver is not None and receiver.refs:
            receiver = self._with_buffer_contents(frame, node, receiver)

        sinks_done: set[str] = set()
        source: tuple[int, SourceRule, Ref] | None = None
        sanitized = False
        propagator: tuple[int, PropagatorRule] | None = None
        applying: list[tuple[SinkRule, Ref]] = []
        for ref, found in zip(called, matched):
            for sink_rule in found.sinks:
                if sink_rule.id not in sinks_done and all_hold(sink_rule.when, args, receiver):
                    sinks_done.add(sink_rule.id)
                    applying.append((sink_rule, ref))
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

        fetched = self.fire_sinks(frame, node, applying, receiver, args)
        if source is not None:
            produced = self.source_value(frame, node, source[1], source[2], result_refs)
            if source[1].writes is not None:
                self._write_into(frame, node, source[1].writes, produced, args)
            return produced
        if sanitized:
            return Value(refs=result_refs)
        if fetched:  # the content a fetched URL points to (before any generic propagator)
            content = join(fetched).with_step(Step(frame.path, node, "content fetched from the URL"))
            return Value(content.facts, result_refs)
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
        if method is None and refs and refs[0].path == (Segment("setattr"),) and len(args) >= 3:
            name = args[1].value.const
            if name is not None and name.isidentifier() and isinstance(args[0].node, cst.BaseExpression):
                target = cst.Attribute(value=args[0].node, attr=cst.Name(name))
                frame.add_to(target, args[2].value, node, replace=True)
                return CLEAN
        result = self.unknown_result(receiver, args)
        if method is not None and all(_unseen_attribute(r.path[:-1]) for r in refs):
            inferred = self.engine.inferred_call(frame, node, method, args)
            if inferred is not None:
                return Value(inferred.facts, result_refs)
        return Value(result.facts, result_refs)

    def fire_sinks(self, frame: CallerFrame, node: cst.Call, applying: list[tuple[SinkRule, Ref]],
                    receiver: Value | None, args: list[Arg]) -> list[Value]:
        """Report the sinks that apply to a call (but those another applying sink
        `replaces`); return what their results carry (a fetched URL's content)."""
        replaced = {other for rule, _ in applying for other in rule.replaces}
        fetched: list[Value] = []
        for rule, ref in applying:
            if rule.id not in replaced:
                self.sink(frame, node, rule, ref, receiver, args)
                fetched.extend(flatten(pick(args, receiver, spec)) for spec in rule.returns)
        return fetched

    def _into_buffer(self, frame: CallerFrame, node: cst.Call, target: ArgSpec, data: Value,
                     receiver: Value | None, args: list[Arg]) -> bool:
        """A file sink writing into an in-memory buffer (`df.to_csv(buf)` with
        `buf = io.StringIO()`, or `csv.writer(buf).writerow(row)`) writes into the buffer
        instead: True when it did. The buffer holds it for every later read."""
        written = given(args, target) if not target.receiver else None
        sites = buffer_sites(written.value if written is not None else
                             receiver if target.receiver and receiver is not None else CLEAN)
        if not sites:
            return False
        stored = data.only_facts().with_step(Step(frame.path, node, "written into an in-memory buffer"))
        for site in sites:
            self.engine.store_write(buffer_key(site), stored, frame.ctx)
        if written is not None and isinstance(written.node, cst.BaseExpression):
            frame.add_to(written.node, data.only_facts(), node)
        return True

    def _buffer_site(self, ref: Ref, frame: CallerFrame, node: cst.Call) -> Ref:
        """The reference of a call that makes a buffer, marked with where it was made
        (numbered in the order the analysis meets them, so runs are repeatable), so that
        each buffer keeps its own contents."""
        site = self._buffer_sites.setdefault(id(node), f"{frame.path}#{len(self._buffer_sites)}")
        last = ref[-1]
        return ref[:-1] + (Segment(last.name, True, last.args + ((BUFFER_SITE, site),)),)

    def _with_buffer_contents(self, frame: CallerFrame, node: cst.Call, receiver: Value) -> Value:
        """A receiver that is (or writes into) an in-memory buffer, with what was
        written into that buffer anywhere (`buf.getvalue()` after `csv.writer(buf)`)."""
        sites = buffer_sites(receiver)
        if not sites:
            return receiver
        contents = join([self.engine.store_read(buffer_key(site)) for site in sites])
        if not contents.facts:
            return receiver
        step = Step(frame.path, node, "read back from the in-memory buffer")
        return Value(join([receiver, contents.with_step(step)]).facts, receiver.refs, receiver.const)

    @staticmethod
    def _write_into(frame: CallerFrame, node: cst.Call, writes: tuple[ArgSpec, Shape],
                    value: Value, args: list[Arg]) -> None:
        """A source that also writes PII into an argument (`file=buf`): the argument's
        variable or container now holds it."""
        arg = given(args, writes[0])
        if arg is None or not isinstance(arg.node, cst.BaseExpression):
            return
        facts = [Fact(f.origin, writes[1], False, f.trace) for f in value.facts.values()]
        frame.add_to(arg.node, Value.of_facts(facts), node)

    @staticmethod
    def source_value(frame: CallerFrame, node: cst.Call, rule: SourceRule, ref: Ref,
                      result_refs: list[ExtRef]) -> Value:
        """The new PII a source call returns, traced from the call."""
        text = ref_text(ref)
        origin = SourceOrigin(rule.id, frame.path, id(node), node, text)
        kinds = ", ".join(sorted(rule.shape.all_kinds))
        step = Step(frame.path, node, f"`{_short(text)}` returns buyer PII ({kinds})", StepKind.SOURCE)
        return Value.of_facts([Fact(origin, rule.shape, False, (step,))], result_refs)

    def _url_matches(self, rule: SourceRule, args: list[Arg], receiver: Value | None) -> bool:
        assert rule.url is not None
        url = pick(args, receiver, rule.url).const
        return url is not None and url_matches(url, rule.url_globs)

    def sink(self, frame: CallerFrame, node: cst.Call, rule: SinkRule, ref: Ref,
             receiver: Value | None, args: list[Arg]) -> None:
        """Report every PII fact that reaches the data-carrying arguments of a sink (the
        attributes of project instances passed whole included); a sink that writes a file
        named by a constant path stores the data for later reads of that path."""
        data = selected(args, receiver, rule.args)
        data = self.engine.instance_facts(data)
        if not data.facts:
            return
        if rule.stores is not None and self._into_buffer(frame, node, rule.stores, data, receiver, args):
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
        if rule.stores is not None:
            path = constant_path(pick(args, receiver, rule.stores))
            if path is not None:
                written = data.only_facts().with_step(Step(frame.path, node, f"written to {rule.store} `{path}`"))
                self.engine.store_write(file_key(path, rule.store), written, frame.ctx)


def buffer_sites(value: Value) -> list[str]:
    """The allocation sites of the in-memory buffers `value` is or writes into."""
    return [v for ref in value.refs if isinstance(ref, ExtRef) and ref.path
            for k, v in ref.path[-1].args if k == BUFFER_SITE]


BUFFER_SITE = HIDDEN_ARG + "buffer"




def _unseen_attribute(receiver: Ref) -> bool:
    """Whether a receiver is an attribute the project cannot see being set: one of an
    unresolved object (`?.api`) or of an object made by external code
    (`framework.Job().sync`), rather than a module's or a constructed client itself."""
    if len(receiver) < 2 or receiver[-1].called:
        return False
    return receiver[0] == UNKNOWN_SEGMENT or any(segment.called for segment in receiver[:-1])


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


def _scope(clearance: Clearance) -> str:
    """What a scoped sanitizer clears, for trace steps."""
    parts = []
    if clearance.kinds:
        parts.append(", ".join(sorted(clearance.kinds)))
    if clearance.rules:
        parts.append("for " + ", ".join(sorted(clearance.rules)))
    return " ".join(parts)


def _short(text: str) -> str:
    return text if len(text) <= 80 else "..." + text[-77:]
