"""Sources and sinks that are not calls, decided by the rulesets: attributes whose
value is PII when read (`reads`), objects whose items or attributes send what is
assigned to them (`item_assignments`, `attribute_assignments`), and the project
functions a framework calls, whose parameter carries PII (`functions` + `parameter`)
or whose return value is sent (a sink's `functions`)."""

from __future__ import annotations

import fnmatch
from collections.abc import Callable

import libcst as cst

from scanner.model import StepKind
from scanner.propagate.services import Analysis, CallerFrame
from scanner.propagate.sinks import report_sink
from scanner.propagate.values import Fact, SourceOrigin, Step, Value, join
from scanner.resolve.index import ClassInfo, FunctionInfo, ModuleInfo
from scanner.resolve.refs import ExtRef
from scanner.rules.patterns import CallPattern, PatternIndex, Ref, ref_text
from scanner.rules.schema import ArgSpec, FunctionSelector, RuleSet, SinkRule, SourceRule

StaticEvaluator = Callable[[ModuleInfo, cst.BaseExpression], Value]
"""Evaluates an expression in a module's global scope (decorators)."""
Bases = Callable[[ClassInfo], list[ClassInfo | ExtRef]]
"""A class and its bases in method-resolution order."""
HandlerRules = tuple[list[SourceRule], list[SinkRule]]
"""The parameter sources and the return sinks that select one project function."""


def _index(rules: list[SourceRule] | list[SinkRule],
           patterns: Callable[[SourceRule | SinkRule], tuple[CallPattern, ...]]) -> PatternIndex:
    index = PatternIndex()
    for rule in rules:
        for pattern in patterns(rule):
            index.add(pattern, rule)
    return index


class AccessRules:
    """Applies the rulesets' non-call sources and sinks (see the module docstring)."""

    def __init__(self, engine: Analysis, ruleset: RuleSet, eval_static: StaticEvaluator,
                 bases: Bases) -> None:
        self.engine = engine
        self.ruleset = ruleset
        self.eval_static = eval_static
        self.bases = bases
        self.reads = _index(ruleset.sources, lambda r: r.reads if isinstance(r, SourceRule) else ())
        self.items = _index(ruleset.sinks, lambda r: r.item_assignments if isinstance(r, SinkRule) else ())
        self.attributes = _index(ruleset.sinks,
                                 lambda r: r.attribute_assignments if isinstance(r, SinkRule) else ())
        self.handler_sources = [r for r in ruleset.sources if r.functions is not None]
        self.handler_sinks = [r for r in ruleset.sinks if r.functions is not None]
        self.has_reads = any(r.reads for r in ruleset.sources)
        self._read_cache: dict[Ref, SourceRule | None] = {}
        self._handlers: dict[int, HandlerRules] = {}

    # ---- attribute reads -------------------------------------------------------------
    def read(self, frame: CallerFrame, node: cst.CSTNode, value: Value) -> Value:
        """`value` (what an attribute read gave) plus new PII when it is an attribute a
        source `reads` (`request.form`): later subscripts navigate the rule's shape."""
        if not self.has_reads:
            return value
        found: list[Fact] = []
        for ref in value.refs:
            if not isinstance(ref, ExtRef):
                continue
            rule = self._read_rule(ref.path)
            if rule is not None:
                text = ref_text(ref.path)
                kinds = ", ".join(sorted(rule.shape.all_kinds))
                origin = SourceOrigin(rule.id, frame.path, id(node), node, text)
                step = Step(frame.path, node, f"`{text}` holds buyer PII ({kinds})", StepKind.SOURCE)
                found.append(Fact(origin, rule.shape, False, (step,)))
        if not found:
            return value
        return join([value, Value.of_facts(found)])

    def _read_rule(self, path: Ref) -> SourceRule | None:
        if path not in self._read_cache:
            hits = [r for _, r in self.reads.lookup(path) if isinstance(r, SourceRule)]
            self._read_cache[path] = hits[0] if hits else None
        return self._read_cache[path]

    # ---- assignments -----------------------------------------------------------------
    def assigned(self, frame: CallerFrame, node: cst.CSTNode, receiver: Value,
                 attribute: str | None, data: Value) -> None:
        """`receiver[key] = value` (`attribute` None) or `receiver.attribute = value`:
        when a sink names the receiver's items (or that attribute), `data` reaches it."""
        for ref in sorted((r for r in receiver.refs if isinstance(r, ExtRef)), key=repr):
            if attribute is None:
                path, index, target = ref.path, self.items, f"{ref_text(ref.path)}[...]"
            else:
                path = ref.attr(attribute).path
                index, target = self.attributes, ref_text(path)
            done: set[str] = set()
            for _, rule in index.lookup(path):
                if isinstance(rule, SinkRule) and rule.id not in done:
                    done.add(rule.id)
                    report_sink(self.engine, self.ruleset, frame, node, rule, data, target,
                                f"stored in `{target}`")

    # ---- handlers --------------------------------------------------------------------
    def handler_rules(self, func: FunctionInfo) -> HandlerRules:
        """The sources whose `parameter` and the sinks whose return value concern `func`
        (cached per function)."""
        cached = self._handlers.get(id(func))
        if cached is None:
            cached = ([r for r in self.handler_sources if r.functions is not None
                       and self._selects(r.functions, func)],
                      [r for r in self.handler_sinks if r.functions is not None
                       and self._selects(r.functions, func)])
            self._handlers[id(func)] = cached
        return cached

    def _selects(self, selector: FunctionSelector, func: FunctionInfo) -> bool:
        if func.kind == "lambda":
            return False
        if selector.named and func.cls is None and func.parent is None \
                and any(fnmatch.fnmatchcase(func.name, glob) for glob in selector.named):
            return True
        if selector.decorated:
            for expr in func.decorators:
                target = expr.func if isinstance(expr, cst.Call) else expr
                for ref in self.eval_static(func.module, target).refs:
                    if isinstance(ref, ExtRef) and any(p.matches(ref.path) for p in selector.decorated):
                        return True
        if selector.overrides and func.cls is not None and func.kind == "method":
            wanted = [p for p in selector.overrides if p.last_name in ("*", func.name)]
            for base in self.bases(func.cls) if wanted else ():
                if isinstance(base, ExtRef) and any(
                        CallPattern(p.text, p.segments[:-1]).matches(base.path) for p in wanted):
                    return True
        return False

    def parameters(self, func: FunctionInfo) -> dict[str, Value]:
        """The PII the parameters of `func` carry when a framework calls it (for the
        sources whose `functions` select it)."""
        sources = self.handler_rules(func)[0]
        result: dict[str, Value] = {}
        for rule in sources:
            assert rule.parameter is not None
            name = _parameter_name(func, rule.parameter)
            if name is None:
                continue
            node = _parameter_node(func, name)
            text = f"{func.name}({name})"
            kinds = ", ".join(sorted(rule.shape.all_kinds))
            origin = SourceOrigin(rule.id, func.module.relpath, id(node), node, text)
            step = Step(func.module.relpath, node,
                        f"parameter `{name}` of `{func.name}()` receives buyer PII ({kinds})", StepKind.SOURCE)
            fact = Value.of_facts([Fact(origin, rule.shape, False, (step,))])
            result[name] = join([result[name], fact]) if name in result else fact
        return result

    def returned(self, frame: CallerFrame, func: FunctionInfo, node: cst.CSTNode, value: Value) -> None:
        """`return value` in a function whose return value a sink sends (a route's
        response body): the value's PII reaches that sink."""
        for rule in self.handler_rules(func)[1]:
            report_sink(self.engine, self.ruleset, frame, node, rule, value, f"{func.name}()",
                        f"returned by `{func.name}()` to its caller")


def _parameter_name(func: FunctionInfo, spec: ArgSpec) -> str | None:
    """The parameter of `func` an argument spec names (positions skip `self`/`cls`)."""
    params = func.params[1:] if func.kind in ("method", "classmethod") else func.params
    if spec.name is not None and any(p.name == spec.name for p in params):
        return spec.name
    positional = [p for p in params if p.kind == "pos"]
    if spec.position is not None and spec.position < len(positional):
        return positional[spec.position].name
    return None


def _parameter_node(func: FunctionInfo, name: str) -> cst.CSTNode:
    """The `def` parameter node named `name` (the function itself if not found)."""
    params = func.node.params
    for param in (*params.posonly_params, *params.params, *params.kwonly_params):
        if param.name.value == name:
            return param
    return func.node
