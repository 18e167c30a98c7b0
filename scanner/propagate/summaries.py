"""Function summaries per abstract calling context.

A summary says what a function does with its parameters' PII: what it returns, which
sinks it reaches, what it stores, what it raises. Inside a summary the caller's PII is
replaced by placeholders (one per parameter and fact group), so one summary serves every
caller passing the same kind of data; at each call the placeholders are swapped back for
the caller's facts, with a trace step through the call. Recursion is cut by using the
summary computed so far and iterating to a fixpoint."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import libcst as cst

from scanner.model import StepKind
from scanner.options import AnalysisLimits
from scanner.propagate.records import EMPTY_SUMMARY, Summary
from scanner.propagate.values import Fact, ParamOrigin, Step, Value
from scanner.resolve.index import FunctionInfo, getattr_names
from scanner.resolve.refs import AnyRef
from scanner.rules.shapes import Shape

ContextKey = tuple[int, tuple[tuple[str, frozenset[tuple[Shape, bool]], frozenset[AnyRef], str | None], ...]]
"""(function id, per parameter: name, its PII groups, what it is, its URL constant)."""


@dataclass
class CallContext:
    """One call's abstract calling context: the summary key, the placeholder arguments
    the summary is computed with, and which caller facts each placeholder stands for."""

    key: ContextKey
    placeholders: dict[str, Value]
    actual: dict[tuple[int, str, int], list[Fact]]
    param_of: dict[tuple[int, str, int], str]

    def substitute(self, fact: Fact, path: str, node: cst.CSTNode, callee: str,
                   traced: bool = True) -> list[Fact]:
        """A summary's fact with its placeholder replaced by the caller's facts, traced
        "passed as `param` to `callee()`" at the call `node` (unless not `traced`: an
        entry point's parameters, which no call passed); concrete facts stay."""
        if not isinstance(fact.origin, ParamOrigin):
            return [fact]
        actual = self.actual.get(fact.origin.pid)
        if not actual:
            return []
        param = self.param_of[fact.origin.pid]
        steps = (Step(path, node, f"passed as `{param}` to `{callee}()`", StepKind.CALL),) if traced else ()
        return [Fact(a.origin, fact.shape, fact.hashed or a.hashed, a.trace + steps + fact.trace,
                     a.cleared | fact.cleared) for a in actual]


class SummaryTable:
    """Summaries computed in the current global pass, by calling context."""

    def __init__(self, limits: AnalysisLimits) -> None:
        self.limits = limits
        self._memo: dict[ContextKey, Summary] = {}
        self._in_progress: dict[ContextKey, Summary] = {}
        self._recursive: set[ContextKey] = set()
        self._contexts: dict[int, set[ContextKey]] = {}
        self._names: dict[int, frozenset[str]] = {}

    def begin_pass(self) -> None:
        """Forget every summary (the store they read may have changed)."""
        self._memo.clear()
        self._contexts.clear()

    def context(self, func: FunctionInfo, bound: dict[str, Value]) -> CallContext:
        """The calling context of a call binding `bound` to `func`'s parameters.

        PII is grouped by (shape, hashed) per parameter. Constants matter to a callee
        only as URLs, and as names for the parameters the function looks
        attributes up by (`getattr(obj, name)`). Past `max_contexts` contexts for one
        function, what the arguments *are* is forgotten (their PII shapes are kept), so
        the cost stays bounded."""
        name_params = self._name_params(func)
        placeholders: dict[str, Value] = {}
        actual: dict[tuple[int, str, int], list[Fact]] = {}
        param_of: dict[tuple[int, str, int], str] = {}
        key_parts = []
        for name in sorted(bound):
            value = bound[name]
            groups: dict[tuple[Shape, bool], list[Fact]] = {}
            for fact in value.facts.values():
                groups.setdefault((fact.shape, fact.hashed), []).append(fact)
            ph_facts = []
            ordered = sorted(groups.items(), key=lambda kv: (kv[0][0].describe(), kv[0][1]))
            for index, ((shape, hashed), facts) in enumerate(ordered):
                # Placeholder ids depend only on (function, parameter, group), so a summary
                # cached for one call site substitutes correctly at every later one.
                pid = (id(func), name, index)
                actual[pid] = facts
                param_of[pid] = name
                ph_facts.append(Fact(ParamOrigin(pid), shape, hashed, ()))
            const = value.const if value.const is not None and (
                "://" in value.const or name in name_params) else None
            placeholders[name] = Value(Value.of_facts(ph_facts).facts, value.refs, const)
            key_parts.append((name, frozenset(groups), value.refs, const))
        key: ContextKey = (id(func), tuple(key_parts))
        if key not in self._memo and key not in self._in_progress:
            contexts = self._contexts.setdefault(id(func), set())
            if len(contexts) >= self.limits.max_contexts and key not in contexts:
                key = (id(func), tuple((n, g, frozenset(), None) for n, g, _, _ in key_parts))
                placeholders = {n: Value(v.facts) for n, v in placeholders.items()}
            contexts.add(key)
        return CallContext(key, placeholders, actual, param_of)

    def _name_params(self, func: FunctionInfo) -> frozenset[str]:
        """The parameters `func` looks attributes up by (`getattr(obj, param)`)."""
        found = self._names.get(id(func))
        if found is None:
            found = frozenset()
            if "getattr" in func.module.parsed.text:
                params = {p.name for p in func.params}
                found = frozenset(n for n in getattr_names(func.node.body) if n in params)
            self._names[id(func)] = found
        return found

    def summary(self, key: ContextKey, analyse: Callable[[], Summary]) -> Summary:
        """The summary for `key`: cached, the partial one while it is being computed
        (a recursive call), or computed by `analyse` until recursion reaches a fixpoint."""
        found = self._memo.get(key)
        if found is not None:
            return found
        if key in self._in_progress:
            self._recursive.add(key)
            return self._in_progress[key]
        self._in_progress[key] = EMPTY_SUMMARY
        try:
            summary = EMPTY_SUMMARY
            for _ in range(self.limits.max_recursion_rounds):
                self._recursive.discard(key)
                summary = analyse()
                if key not in self._recursive or summary.signature() == self._in_progress[key].signature():
                    break
                self._in_progress[key] = summary
        finally:
            del self._in_progress[key]
        self._memo[key] = summary
        return summary
