"""Project functions the rulesets name: an SDK vendored into the scanned tree (its
generated client code matched by module path and class, as the installed package is),
and the app's own helpers named by qualified name as sources, sinks or sanitizers."""

from __future__ import annotations

import libcst as cst

from scanner.propagate.conditions import all_hold
from scanner.propagate.external import ExternalCalls
from scanner.propagate.records import Arg
from scanner.propagate.services import CallerFrame
from scanner.propagate.values import CLEAN, Step, Value, clear
from scanner.resolve.index import FunctionInfo
from scanner.rules.patterns import CallPattern, Ref, Segment
from scanner.rules.schema import Clearance, SanitizerRule, SinkRule, SourceRule

VendoredRules = tuple[list[tuple[SinkRule, Ref]], tuple[SourceRule, Ref] | None, tuple[Clearance, ...]]
"""The sink rules, the source rule (if any) and what the sanitizers clear, that name a
project function."""


def project_names(func: FunctionInfo) -> list[Ref]:
    """The dotted names a project function may be known by in rulesets when its package
    is vendored into the scanned tree: every run of consecutive module-path parts
    (`vendor.spapi.api.orders_v0_api`, `spapi`, `spapi.api`, ...) followed by its class
    (as an instance) and its name."""
    module = func.module
    parts = module.folder.split(".") if module.folder else []
    stem = module.name.rpartition(".")[2]
    if not module.is_package and (not parts or parts[-1] != stem):
        parts.append(stem)
    tail: tuple[Segment, ...] = (Segment(func.name, True),)
    if func.cls is not None:
        tail = (Segment(func.cls.name, True), Segment(func.name, True))
    names: list[Ref] = [tail] if func.cls is not None else []
    for i in range(len(parts)):
        for j in range(i + 1, len(parts) + 1):
            names.append(tuple(Segment(p) for p in parts[i:j]) + tail)
    return names


class NamedFunctions:
    """What the rulesets say about project functions they name (see the module docstring)."""

    def __init__(self, external: ExternalCalls) -> None:
        self.external = external
        self._rules: dict[int, VendoredRules] = {}

    def rules(self, func: FunctionInfo) -> VendoredRules:
        """The rules naming a project function (cached)."""
        rules = self._rules.get(id(func))
        if rules is None:
            rules = self._find(func)
            self._rules[id(func)] = rules
        return rules

    def vendored(self, frame: CallerFrame, node: cst.Call, func: FunctionInfo,
                  receiver: Value | None, args: list[Arg]) -> Value:
        """What the rulesets say about a project function they name (a vendored SDK)."""
        rules = self.rules(func)
        if not rules[0] and rules[1] is None:
            return CLEAN
        return self._call(frame, node, rules, receiver, args)

    def sanitized(self, frame: CallerFrame, node: cst.Call, func: FunctionInfo, result: Value) -> Value:
        """The result of a project function a ruleset names as a sanitizer, cleared as
        the sanitizer says (its body is still analysed for its own sinks)."""
        if not result.facts:
            return result
        for clearance in self.rules(func)[2]:
            result = clear(result, clearance, Step(frame.path, node, f"sanitized by `{func.name}()`"))
        return result

    def _find(self, func: FunctionInfo) -> VendoredRules:
        """The sink rules, the most specific source rule, and the sanitizers' clearances,
        that name a project function (an SDK vendored into the scanned tree, or the app's
        own helper named by its qualified name): a pattern spelling a full dotted path of
        it, or a `*.Class.method` pattern naming its class."""
        sinks: list[tuple[SinkRule, Ref]] = []
        source: tuple[int, SourceRule, Ref] | None = None
        clearances: list[Clearance] = []
        seen: set[str] = set()
        cls = func.cls.name if func.cls is not None else None

        def names_it(pattern: CallPattern) -> bool:
            if len(pattern.segments) < 2:
                return False
            return not pattern.any_receiver or pattern.segments[-2].name == cls

        for ref in project_names(func):
            for pattern, rule in self.external.sinks.lookup(ref):
                if names_it(pattern) and isinstance(rule, SinkRule) and rule.id not in seen:
                    seen.add(rule.id)
                    sinks.append((rule, ref))
            for pattern, rule in self.external.sources.lookup(ref):
                if names_it(pattern) and isinstance(rule, SourceRule) and rule.url is None \
                        and (source is None or pattern.specificity > source[0]):
                    source = (pattern.specificity, rule, ref)
            for pattern, rule in self.external.sanitizers.lookup(ref):
                if names_it(pattern) and isinstance(rule, SanitizerRule) and rule.id not in seen:
                    seen.add(rule.id)
                    clearances.append(rule.clears)
        return sinks, (source[1], source[2]) if source is not None else None, tuple(clearances)

    def _call(self, frame: CallerFrame, node: cst.Call, rules: VendoredRules,
              receiver: Value | None, args: list[Arg]) -> Value:
        """A call of project code that the rulesets name (a vendored SDK): its sinks see
        the arguments, and a source's result is new PII, as for the installed package."""
        sinks, source, _ = rules
        self.external.fire_sinks(frame, node, [(r, ref) for r, ref in sinks if all_hold(r.when, args, receiver)],
                         receiver, args)
        if source is None:
            return CLEAN
        return self.external.source_value(frame, node, source[0], source[1], [])
