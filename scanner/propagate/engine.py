"""The interprocedural driver: runs frames over every module and function, resolves
names through `scanner.resolve`, evaluates calls (project code through summaries,
everything else through the rulesets), owns the global store and the raw findings,
and keeps the analysis within its limits.

Summaries are computed on demand per abstract calling context (`summaries`). Values
stored into instance attributes and module globals go to the global store (`store`);
the whole analysis is repeated while a store entry changed after it had been read (a
global fixpoint), up to `AnalysisLimits.max_passes` passes."""

from __future__ import annotations

import time

import libcst as cst

from scanner.model import StepKind
from scanner.options import AnalysisLimits, ProgressCallback, no_progress
from scanner.propagate.accesses import AccessRules
from scanner.propagate.arguments import bind_parameters
from scanner.propagate.external import ExternalCalls
from scanner.propagate.frame import Frame
from scanner.propagate.guards import GuardTable
from scanner.propagate.members import ModuleMembers
from scanner.propagate.named import NamedFunctions
from scanner.propagate.objects import ObjectModel
from scanner.propagate.records import (
    Arg,
    Context,
    RawFinding,
    SinkSite,
    StoreKey,
    Summary,
    field_key,
)
from scanner.propagate.services import CallerFrame
from scanner.propagate.store import AttributeStore
from scanner.propagate.summaries import SummaryTable
from scanner.propagate.values import (
    Fact,
    ParamOrigin,
    SourceOrigin,
    Step,
    Value,
    get_key,
    join,
    wrap,
)
from scanner.resolve.index import ClassInfo, FunctionInfo, ModuleInfo
from scanner.resolve.names import NameResolver
from scanner.resolve.project import ProjectIndex
from scanner.resolve.refs import (
    AnyRef,
    BoundMethod,
    ClassRef,
    ExtRef,
    FuncRef,
    InstanceRef,
    ModuleRef,
)
from scanner.rules.patterns import Segment
from scanner.rules.schema import DecoratorEffect, RuleSet
from scanner.rules.shapes import LIST_KEY
from scanner.rules.urls import HOLE


class BudgetExceeded(Exception):
    """The analysis exceeded its work or time budget (hostile or enormous input)."""


RawKey = tuple[SourceOrigin, object, bool, object, str, int, str]


class Engine:
    """Runs the analysis over a project index with a rule set (see the module docstring)."""

    def __init__(self, index: ProjectIndex, ruleset: RuleSet, limits: AnalysisLimits | None = None,
                 progress: ProgressCallback | None = None,
                 method_census: dict[str, int] | None = None) -> None:
        """`method_census`: when `index` is part of a project, how many classes of the
        whole project define each method name (a call is inferred only for a name one
        class defines)."""
        self.index = index
        self.method_census = method_census
        self.ruleset = ruleset
        self.limits = limits or AnalysisLimits()
        self.names = NameResolver(index)
        self.external = ExternalCalls(self, ruleset)
        self.named = NamedFunctions(self.external)
        self.guards = GuardTable(ruleset.guards)
        self.tracked_methods = ruleset.tracked_methods
        self.store = AttributeStore()
        self.members = ModuleMembers(self.names, self.store)
        self.objects = ObjectModel(self.store, self.eval_static)
        self.accesses = AccessRules(self, ruleset, self.eval_static, self.objects.mro)
        self.summaries = SummaryTable(self.limits)
        self.progress = progress or no_progress
        self.raw: dict[RawKey, RawFinding] = {}
        self.notes: list[str] = []
        self.failed: list[tuple[str, str]] = []
        """(path, reason) of code too deeply nested to analyse."""
        self.budget_hit = False
        self._depth = 0
        self._analyses = 0
        self._deadline = time.monotonic() + self.limits.time_budget_seconds
        self._inline_stack: set[int] = set()
        self._decorator_cache: dict[int, list[DecoratorEffect]] = {}

    # ---- driver -------------------------------------------------------------------
    def run(self) -> None:
        """Analyse every module body and every function, repeating until stable."""
        modules = self.names.dependency_order()
        limits = self.limits
        for round_no in range(1, limits.max_passes + 1):
            self.summaries.begin_pass()
            self.objects.begin_pass()
            self.store.begin_pass()
            for module in modules:
                self._entry(module.top_level, module)
            for number, module in enumerate(modules, 1):
                self.progress(number, len(modules), f"analysing {module.relpath} (pass {round_no})")
                for func in module.all_functions:
                    if func.kind != "lambda":
                        self._entry(func, module)
            stale = self.store.stale(facts_only=round_no >= limits.ref_passes)
            if not stale or self.budget_hit:
                break
            if round_no == limits.max_passes:
                self.notes.append(
                    f"the global fixpoint was not reached after {limits.max_passes} passes; "
                    "some flows through attributes or globals may be missing")

    def _entry(self, func: FunctionInfo | None, module: ModuleInfo) -> None:
        """Analyse `func` as an entry point: `self`/`cls` is an instance/the class, other
        parameters are unknown (clean)."""
        if func is None:
            return
        params: dict[str, Value] = {}
        if func.kind in ("method", "classmethod") and func.params and func.cls is not None:
            ref = InstanceRef(func.cls) if func.kind == "method" else ClassRef(func.cls)
            params[func.params[0].name] = Value(refs=[ref])
        if func.kind != "module":
            params.update(self.accesses.parameters(func))
        try:
            if func.kind == "module":
                Frame(self, func, Context()).run({})
            else:
                args = [Arg(None, "", v, func.node) for v in params.values()]
                self.invoke(None, func, None, args, func.node, preset=params)
        except RecursionError:
            self.failed.append((module.relpath, f"{func.qualname}: nesting too deep to analyse"))
        except BudgetExceeded:
            self.budget_hit = True

    def _count_analysis(self) -> None:
        self._analyses += 1
        if self._analyses > self.limits.max_analyses or (
            self._analyses % 256 == 0 and time.monotonic() > self._deadline
        ):
            raise BudgetExceeded()

    # ---- store --------------------------------------------------------------------
    def store_read(self, key: StoreKey) -> Value:
        """The value stored under `key` (an attribute of a class, or a module global)."""
        return self.store.read(key)

    def store_write(self, key: StoreKey, value: Value, ctx: Context) -> None:
        """Add `value` to the store entry `key`; placeholder PII becomes a summary effect."""
        placeholders = self.store.write(key, value)
        if placeholders is not None:
            ctx.effects.append((key, placeholders))

    def note_field(self, cls: ClassInfo, name: str) -> None:
        """Remember that instances of `cls` have attribute `name` (for whole-object sinks)."""
        self.store.note_field(cls.qualname, name)

    # ---- names --------------------------------------------------------------------
    def module_member(self, module: ModuleInfo, name: str) -> Value:
        """The value of the module-level name `name` of `module` (or a builtin)."""
        return self.members.member(module, name)

    def import_bindings(self, module: ModuleInfo, node: cst.Import | cst.ImportFrom) -> list[tuple[str, Value]]:
        """The names an import statement inside a function binds, with their values."""
        return self.members.import_bindings(module, node)

    def eval_static(self, module: ModuleInfo, expr: cst.BaseExpression) -> Value:
        """Evaluate an expression in a module's global scope (bases, decorators, class attributes)."""
        assert module.top_level is not None
        frame = Frame(self, module.top_level, Context())
        frame.env = {}
        return frame.ev(expr)

    # ---- attributes ---------------------------------------------------------------
    def attribute(self, base: Value, name: str, for_call: bool = False) -> Value:
        """The value of `base.name`: a field of its PII (`__dict__`: all of them), and/or
        a member of what it is."""
        if name == "__dict__" and base.facts:
            results = [base.only_facts()]  # an object's attribute mapping: its fields
        else:
            results = [get_key(base, name)] if base.facts else []
        refs: list[AnyRef] = []
        for ref in base.refs:
            if isinstance(ref, ExtRef):
                refs.append(ref.attr(name))
            elif isinstance(ref, ModuleRef):
                results.append(self.module_member(ref.module, name))
            elif isinstance(ref, InstanceRef):
                if name == "__dict__":
                    results.append(self.objects.instance_facts(Value(refs=[ref])).only_facts())
                else:
                    results.append(self.objects.instance_attr(ref.cls, name))
            elif isinstance(ref, ClassRef):
                results.append(self.objects.class_attr(ref.cls, name))
        if not base.refs and for_call:
            refs.append(ExtRef((Segment("?"), Segment(name))))
        if refs:
            results.append(Value(refs=refs))
        return join(results)

    def never_returns(self, callee: Value) -> bool:
        """Whether calling `callee` ends the path (`settings: {no_return: [...]}`)."""
        return bool(self.ruleset.no_return) and any(
            pattern.matches(ref.path) for ref in callee.refs if isinstance(ref, ExtRef)
            for pattern in self.ruleset.no_return)

    def attribute_read(self, frame: CallerFrame, node: cst.CSTNode, value: Value) -> Value:
        """`value`, read from an attribute, plus the PII a source says that attribute holds."""
        return self.accesses.read(frame, node, value)

    def assigned(self, frame: CallerFrame, node: cst.CSTNode, receiver: Value,
                 attribute: str | None, data: Value) -> None:
        """`receiver[k] = v` / `receiver.attribute = v`: `data` reaches the sinks naming it."""
        self.accesses.assigned(frame, node, receiver, attribute, data)

    def returned(self, frame: CallerFrame, func: FunctionInfo, node: cst.CSTNode, value: Value) -> None:
        """`return value` in `func`: its PII reaches the sinks naming `func`'s return value."""
        self.accesses.returned(frame, func, node, value)

    def instance_facts(self, value: Value) -> Value:
        """`value` plus the PII held in the attributes of the project instances it refers to."""
        if not value.refs:
            return value
        return self.objects.instance_facts(value)

    def as_text(self, frame: CallerFrame, value: Value, node: cst.CSTNode) -> Value:
        """`value` as it is formatted into a string: an instance of a project class
        whose class defines `__str__` (or `__repr__`) gives what that method returns;
        one that does not gives all its fields."""
        if not any(isinstance(r, InstanceRef) for r in value.refs):
            return value
        parts = [value]
        for ref in value.refs:
            if isinstance(ref, InstanceRef):
                method = self.objects.find_method(ref.cls, "__str__") or \
                    self.objects.find_method(ref.cls, "__repr__")
                if method is not None:
                    parts.append(self.invoke(frame, method, Value(refs=[ref]), [], node))
                else:
                    parts.append(self.objects.instance_facts(Value(refs=[ref])))
        return join(parts)

    # ---- calls --------------------------------------------------------------------
    def call(self, frame: CallerFrame, node: cst.Call, callee: Value, receiver: Value | None,
             receiver_node: cst.BaseExpression | None, method: str | None, args: list[Arg]) -> Value:
        """Evaluate a call: project code is analysed; everything else follows the rules.
        A name holding data (PII) called with a constant (`response("Orders")`, as SDK
        response objects allow) yields that field of it."""
        if method is None and callee.facts and not any(
                isinstance(r, (FuncRef, BoundMethod, ClassRef, InstanceRef)) for r in callee.refs):
            key = args[0].value.const if len(args) == 1 and not args[0].star else None
            field = get_key(callee, key if key is not None and HOLE not in key else None)
            return join([field, self.external.unknown_result(None, args)])
        results: list[Value] = []
        external: list[ExtRef] = []
        for ref in callee.refs:
            if isinstance(ref, FuncRef):
                result = self.invoke(frame, ref.func, None, args, node, closure=ref.closure)
                results.append(self.named.sanitized(frame, node, ref.func, result))
                results.append(self.named.vendored(frame, node, ref.func, receiver, args))
            elif isinstance(ref, BoundMethod):
                self_value = receiver if receiver is not None else Value(refs=ref.receiver_refs)
                if receiver is not None and not (receiver.refs & ref.receiver_refs):
                    self_value = Value(refs=ref.receiver_refs)
                result = self.invoke(frame, ref.func, self_value, args, node)
                results.append(self.named.sanitized(frame, node, ref.func, result))
                results.append(self.named.vendored(frame, node, ref.func, receiver, args))
            elif isinstance(ref, ClassRef):
                results.append(self.construct(frame, ref.cls, args, node))
            elif isinstance(ref, InstanceRef):
                method_info = self.objects.find_method(ref.cls, "__call__")
                if method_info is not None:
                    results.append(self.invoke(frame, method_info, Value(refs=[ref]), args, node))
            elif isinstance(ref, ExtRef):
                external.append(ref)
        if external or not callee.refs:
            results.append(self.external.call(frame, node, external, receiver, receiver_node,
                                              method, args))
        return join(results)

    def construct(self, frame: CallerFrame, cls: ClassInfo, args: list[Arg], node: cst.Call) -> Value:
        """`cls(...)`: run `__init__` (or fill dataclass-style fields) on a new instance;
        an external base class's constructor is a call of external code."""
        instance = Value(refs=[InstanceRef(cls)])
        init = self.objects.find_method(cls, "__init__")
        if init is not None:
            self.invoke(frame, init, instance, args, node)
        else:
            fields = self.objects.dataclass_fields(cls)
            for i, arg in enumerate(args):
                name = arg.keyword or (fields[i] if i < len(fields) and not arg.star else None)
                if name is not None and (arg.value.facts or arg.value.refs):
                    stored = arg.value.with_step(Step(frame.path, arg.node, f"stored in `{cls.name}.{name}`"))
                    self.store_write(field_key(cls.qualname, name), stored, frame.ctx)
                    self.note_field(cls, name)
            for c in self.objects.mro(cls):
                if isinstance(c, ExtRef):
                    ext = self.external.call(frame, node, [c], None, None, None, args)
                    return Value(ext.facts, instance.refs)
        return instance

    def invoke(self, frame: CallerFrame | None, func: FunctionInfo, self_value: Value | None,
               args: list[Arg], node: cst.CSTNode, closure: object | None = None,
               preset: dict[str, Value] | None = None) -> Value:
        """Call a project function: bind arguments, apply (or compute) its summary.
        Nested functions and lambdas run inline, in their closure's scope."""
        if self._depth >= self.limits.max_call_depth:
            return self.external.unknown_result(None, args)
        bound = preset if preset is not None else bind_parameters(func, self_value, args)
        self._depth += 1
        try:
            if closure is not None or func.kind == "lambda":
                result = self._run_inline(frame, func, bound, closure)
            else:
                result = self._run_summary(frame, func, bound, node)
        finally:
            self._depth -= 1
        if DecoratorEffect.YIELDS_RETURN in self.decorator_effects(func):
            result = wrap(result, LIST_KEY)
        return result

    def _run_inline(self, frame: CallerFrame | None, func: FunctionInfo, bound: dict[str, Value],
                    closure: object | None) -> Value:
        if id(func) in self._inline_stack:
            # A nested function calling itself: approximate instead of unrolling.
            return self.external.unknown_result(None, [Arg(None, "", v, func.node) for v in bound.values()])
        self._count_analysis()
        self._inline_stack.add(id(func))
        try:
            ctx = frame.ctx if frame is not None else Context()
            inner = Frame(self, func, ctx, closure if isinstance(closure, Frame) else None)
            result = inner.run(bound)
            if frame is not None:
                for raised in inner.raised:
                    frame.note_raise(raised)
            return result
        finally:
            self._inline_stack.discard(id(func))

    def _run_summary(self, frame: CallerFrame | None, func: FunctionInfo, bound: dict[str, Value],
                     node: cst.CSTNode) -> Value:
        context = self.summaries.context(func, bound)

        def analyse() -> Summary:
            self._count_analysis()
            ctx = Context()
            inner = Frame(self, func, ctx)
            result = inner.run(dict(context.placeholders))
            return Summary(result, list(ctx.events), list(ctx.effects), join(inner.raised))

        summary = self.summaries.summary(context.key, analyse)
        path = frame.path if frame is not None else func.module.relpath
        name = func.name if func.kind != "method" or func.cls is None else f"{func.cls.name}.{func.name}"

        def substitute(fact: Fact) -> list[Fact]:
            return context.substitute(fact, path, node, name, traced=frame is not None)

        ctx = frame.ctx if frame is not None else Context()
        for fact, site in summary.events:
            for f in substitute(fact):
                self.emit(f, site, ctx)
        for key, value in summary.effects:
            self.store_write(key, Value.of_facts(g for f in value.facts.values() for g in substitute(f)), ctx)
        if frame is not None and summary.raised.facts:
            frame.note_raise(Value.of_facts(g for f in summary.raised.facts.values() for g in substitute(f)))
        ret_step = Step(path, node, f"returned from `{name}()`", StepKind.RETURN)
        facts = [g.with_step(ret_step) for f in summary.result.facts.values() for g in substitute(f)]
        if summary.result.const is None:
            return Value.of_facts(facts, summary.result.refs)
        return Value(Value.of_facts(facts).facts, summary.result.refs, summary.result.const)

    def inferred_call(self, frame: CallerFrame, node: cst.Call, method: str,
                      args: list[Arg]) -> Value | None:
        """`x.method(...)` where `x` is set where the project cannot see it (a framework
        base class, a DI container): when exactly one project class defines `method`,
        analyse the call as a call of that class's method, and say so in the trace."""
        if self.method_census is not None and self.method_census.get(method, 0) != 1:
            return None
        func = self.objects.only_method_named(method, self.names.dependency_order())
        if func is None or func.cls is None:
            return None
        result = self.invoke(frame, func, Value(refs=[InstanceRef(func.cls)]), args, node)
        return result.with_step(Step(frame.path, node, f"receiver inferred as `{func.cls.name}` "
                                                      f"(the only class with `{method}()`)"))

    def decorator_effects(self, func: FunctionInfo) -> list[DecoratorEffect]:
        """Effects of the library decorators on `func` that the rulesets describe."""
        cached = self._decorator_cache.get(id(func))
        if cached is not None:
            return cached
        effects: list[DecoratorEffect] = []
        for expr in func.decorators:
            target = expr.func if isinstance(expr, cst.Call) else expr
            value = self.eval_static(func.module, target)
            for ref in value.refs:
                if isinstance(ref, ExtRef):
                    effects.extend(self.external.decorator_effects(ref))
        self._decorator_cache[id(func)] = effects
        return effects

    # ---- findings -----------------------------------------------------------------
    def emit(self, fact: Fact, site: SinkSite, ctx: Context) -> None:
        """A fact reached a sink: record it (or, for a placeholder, tell the caller)."""
        if isinstance(fact.origin, ParamOrigin):
            ctx.events.append((fact, site))
            return
        key = (fact.origin, fact.shape, fact.hashed, fact.cleared, site.path, id(site.node), site.rule_id)
        old = self.raw.get(key)
        if old is None or len(fact.trace) < len(old.fact.trace):
            self.raw[key] = RawFinding(fact, site)
