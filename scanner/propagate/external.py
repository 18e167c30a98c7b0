"""Calls to code outside the project, decided by the rulesets: sources create PII,
sinks receive it, sanitizers end it, propagators move it; any other call passes the PII
of its arguments (and of its receiver, keeping the structure) to its result."""

from __future__ import annotations

import fnmatch
from typing import TYPE_CHECKING

import libcst as cst

from scanner.propagate.values import (
    CLEAN,
    HOLE,
    MAX_REF_LENGTH,
    UNKNOWN_SEGMENT,
    ExtRef,
    Fact,
    SourceOrigin,
    Step,
    Value,
    build_container,
    elements,
    flatten,
    get_key,
    join,
    wrap,
)
from scanner.rules.loader import build_index
from scanner.rules.patterns import Ref, Segment, ref_text
from scanner.rules.schema import ArgSpec, PropagatorRule, RuleSet, SinkRule, SourceRule
from scanner.rules.shapes import LIST_KEY, Shape

if TYPE_CHECKING:
    from scanner.propagate.engine import Engine
    from scanner.propagate.frame import Arg, Frame


class ExternalCalls:
    """Applies the rulesets to calls of external (or unresolved) callables."""

    def __init__(self, engine: Engine, ruleset: RuleSet) -> None:
        self.engine = engine
        self.ruleset = ruleset
        self.sources = build_index(ruleset.sources)
        self.sinks = build_index(ruleset.sinks)
        self.sanitizers = build_index(ruleset.sanitizers)
        self.propagators = build_index(ruleset.propagators)
        self.decorators = build_index(ruleset.decorators)
        self._match_cache: dict[Ref, tuple[list, list, bool, list]] = {}  # type: ignore[type-arg]

    def matches(self, ref: Ref) -> tuple[list, list, bool, list]:  # type: ignore[type-arg]
        """(sinks, sources, sanitized?, propagators) matching `ref`, most specific first."""
        found = self._match_cache.get(ref)
        if found is None:
            found = (self.sinks.lookup(ref), self.sources.lookup(ref),
                     bool(self.sanitizers.lookup(ref)), self.propagators.lookup(ref))
            self._match_cache[ref] = found
        return found

    # ---- helpers ------------------------------------------------------------------
    @staticmethod
    def called_ref(ref: ExtRef, args: list[Arg]) -> Ref:
        """The callee reference with its last segment marked as called with its constants."""
        consts: list[tuple[str, str]] = []
        position = 0
        for arg in args:
            if arg.star:
                continue
            const = arg.value.const
            if arg.keyword is None:
                if const is not None and HOLE not in const:
                    consts.append((str(position), const))
                position += 1
            elif const is not None and HOLE not in const:
                consts.append((arg.keyword, const))
        last = ref.path[-1]
        head = ref.path[:-1]
        if len(ref.path) >= MAX_REF_LENGTH or any(seg.name == last.name for seg in head[1:-1]):
            head = (UNKNOWN_SEGMENT,)
        elif len(head) >= 1 and head[-1].name == last.name and head[-1].called:
            head = head[:-1]  # `x.union().union()` is still `x.union()`: keeps loops finite
        return head + (Segment(last.name, True, tuple(consts)),)

    @staticmethod
    def pick(args: list[Arg], receiver: Value | None, spec: ArgSpec) -> Value:
        """The value passed for `spec` (by position or keyword), or the receiver."""
        if spec.receiver:
            return receiver or CLEAN
        position = 0
        found: list[Value] = []
        for arg in args:
            if arg.star == "*":
                if spec.position is not None and position <= spec.position:
                    found.append(elements(arg.value))
                continue
            if arg.star == "**":
                if spec.name:
                    found.append(get_key(arg.value, spec.name))
                continue
            if arg.keyword is None:
                if spec.position == position:
                    found.append(arg.value)
                position += 1
            elif spec.name is not None and arg.keyword == spec.name:
                found.append(arg.value)
        return join(found)

    def selected(self, args: list[Arg], receiver: Value | None,
                 specs: tuple[ArgSpec, ...] | None) -> Value:
        """The join of the chosen arguments (all arguments and the receiver when None)."""
        if specs is None:
            values = [elements(a.value) if a.star == "*" else a.value for a in args]
            if receiver is not None:
                values.append(receiver)
            return join(values)
        return join([self.pick(args, receiver, s) for s in specs])

    def unknown_result(self, receiver: Value | None, args: list[Arg]) -> Value:
        """What an unknown call returns: its receiver's PII as is, its arguments' flattened
        (or nothing, when a ruleset sets `unknown_calls: drop`)."""
        if self.ruleset.unknown_calls == "drop":
            return CLEAN
        parts = [flatten(join([a.value for a in args]))]
        if receiver is not None:
            parts.append(receiver.only_facts())
        return Value(join(parts).facts)

    def decorator_effects(self, ref: ExtRef) -> list[str]:
        """Effects of the decorator rules matching `ref`."""
        return [rule.effect for _, rule in self.decorators.lookup(ref.path)]  # type: ignore[attr-defined]

    # ---- the call -----------------------------------------------------------------
    def call(self, frame: Frame, node: cst.Call, refs: list[ExtRef], receiver: Value | None,
             receiver_node: cst.BaseExpression | None, method: str | None, args: list[Arg],
             has_refs: bool) -> Value:
        """Evaluate a call of external `refs` (or of something unresolved)."""
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
            sink_hits, source_hits, is_sanitizer, propagator_hits = self.matches(ref)
            for pattern, rule in sink_hits:
                assert isinstance(rule, SinkRule)
                if rule.id not in sinks_done:
                    sinks_done.add(rule.id)
                    self.sink(frame, node, rule, ref, receiver, args)
            for pattern, rule in source_hits:
                assert isinstance(rule, SourceRule)
                if rule.url is not None and not self._url_matches(rule, args, receiver):
                    continue
                if source is None or pattern.specificity > source[0]:
                    source = (pattern.specificity, rule, ref)
            if is_sanitizer:
                sanitized = True
            for pattern, rule in propagator_hits:
                assert isinstance(rule, PropagatorRule)
                if propagator is None or pattern.specificity > propagator[0]:
                    propagator = (pattern.specificity, rule)

        if source is not None:
            _, rule, ref = source
            text = ref_text(ref)
            origin = SourceOrigin(rule.id, frame.path, id(node), node, text)
            kinds = ", ".join(sorted(rule.shape.all_kinds))
            step = Step(frame.path, node, f"`{_short(text)}` returns buyer PII ({kinds})", "source")
            return Value.of_facts([Fact(origin, rule.shape, False, (step,))], result_refs)
        if sanitized:
            return Value(refs=result_refs)
        if propagator is not None:
            value = self.propagate(frame, node, propagator[1], receiver, receiver_node, args)
            return Value(value.facts, result_refs, value.const)
        if method == "format" and receiver is not None and receiver.const is not None:
            from scanner.propagate.frame import _BRACE_FIELD

            merged = self.unknown_result(receiver, args)
            return Value(flatten(merged).facts, result_refs, _BRACE_FIELD.sub(HOLE, receiver.const))
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
        url = self.pick(args, receiver, rule.url).const
        if url is None:
            return False
        text = url.replace(HOLE, "*")
        return any(fnmatch.fnmatchcase(text, g) or fnmatch.fnmatchcase(url.replace(HOLE, "x"), g)
                   for g in rule.url_globs)

    # ---- sinks --------------------------------------------------------------------
    def sink(self, frame: Frame, node: cst.Call, rule: SinkRule, ref: Ref,
             receiver: Value | None, args: list[Arg]) -> None:
        """Report every PII fact that reaches the data-carrying arguments of a sink."""
        from scanner.policy.evaluate import destination_for
        from scanner.propagate.engine import SinkSite

        data = self.selected(args, receiver, rule.args)
        data = self.engine.instance_facts(data)
        if not data.facts:
            return
        url = None
        if rule.url is not None and rule.url.receiver:
            url = _host_from_constructor(receiver)
        elif rule.url is not None:
            url = self.pick(args, receiver, rule.url).const
        destination, host = destination_for(self.ruleset, rule.destination, url)
        text = ref_text(ref)
        site = SinkSite(rule.id, rule.kind, destination, host, frame.path, node, text)
        where = f"{destination} ({host})" if host else destination
        step = Step(frame.path, node, f"sent to `{_short(text)}` ({where})", "sink")
        for fact in data.facts.values():
            self.engine.emit(fact.with_step(step), site, frame.ctx)

    # ---- propagators --------------------------------------------------------------
    def propagate(self, frame: Frame, node: cst.Call, rule: PropagatorRule,
                  receiver: Value | None, receiver_node: cst.BaseExpression | None,
                  args: list[Arg]) -> Value:
        """Apply a propagator rule's effect; return the call's result."""
        effect = rule.effect
        source = self.selected(args, receiver, rule.sources)
        key_value = self.pick(args, receiver, rule.key) if rule.key is not None else None
        key = key_value.const if key_value is not None and key_value.const is not None \
            and HOLE not in key_value.const else None
        if effect == "preserve":
            return source.only_facts()
        if effect == "flatten":
            return flatten(source)
        if effect == "hash":
            return flatten(source, hashed=True)
        if effect == "elements":
            return elements(source)
        if effect == "wrap_list":
            return wrap(source, LIST_KEY)
        if effect == "get":
            if rule.key is not None and not self._has_arg(args, rule.key):
                return elements(source)
            return get_key(source, key)
        if effect == "values":
            return get_key(source, None)
        if effect == "items":
            pair_items: list[tuple[str | None, Value]] = [("0", CLEAN), ("1", get_key(source, None))]
            pair = build_container(pair_items, list_like=False)
            return wrap(pair, LIST_KEY)
        if effect == "keys":
            return source.map_shapes(_keys_of)
        if effect == "zip":
            columns: list[tuple[str | None, Value]] = [
                (str(i), elements(a.value)) for i, a in enumerate(args) if not a.star]
            return wrap(build_container(columns, list_like=False), LIST_KEY)
        if effect in ("add_element", "add_all", "set_key"):
            added = source
            if effect == "add_element":
                added = wrap(source, LIST_KEY)
            elif effect == "set_key":
                added = wrap(source, key or "*")
            if receiver_node is not None and added.facts:
                frame.add_to(receiver_node, added, node)
            if effect == "set_key":
                return join([get_key(receiver or CLEAN, key), source])
            return CLEAN
        if effect == "apply":
            assert rule.callable is not None
            func = self.pick(args, receiver, rule.callable)
            from scanner.propagate.frame import Arg

            item = elements(source)
            if not func.refs:
                return wrap(flatten(item), LIST_KEY)
            result = self.engine.call(frame, node, func, None, None, None, [Arg(None, "", item, node)])
            return wrap(result, LIST_KEY)
        return self.unknown_result(receiver, args)

    def _has_arg(self, args: list[Arg], spec: ArgSpec) -> bool:
        position = 0
        for arg in args:
            if arg.star:
                return True
            if arg.keyword is None:
                if spec.position == position:
                    return True
                position += 1
            elif arg.keyword == spec.name:
                return True
        return False


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


def _keys_of(shape: Shape) -> Shape | None:
    if not shape.children:
        return shape
    if "*" in shape.children and shape.kinds:
        return Shape.leaf(shape.kinds)
    return Shape.leaf(shape.kinds) if shape.kinds else None


def _short(text: str) -> str:
    return text if len(text) <= 80 else "..." + text[-77:]
