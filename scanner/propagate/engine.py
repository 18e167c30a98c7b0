"""The interprocedural driver: resolves names across modules, runs frames, keeps
per-function summaries, the attribute/global store, and the raw findings.

Summaries are computed on demand, per function and per *abstract calling context* (the
shapes of PII, references and constants the arguments carry), with the PII itself
replaced by placeholders; at each call the placeholders are substituted by the caller's
facts, so one summary serves every caller with the same kind of data. Recursion is cut
by using the summary computed so far and iterating to a fixpoint. Values stored into
instance attributes and module globals go to a global store; the whole analysis is
repeated while a store entry changed after it had been read (a global fixpoint).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import libcst as cst

from scanner.propagate.frame import Arg, Context, Frame
from scanner.propagate.values import (
    CLEAN,
    BoundMethod,
    ClassRef,
    ExtRef,
    Fact,
    FuncRef,
    InstanceRef,
    ModuleRef,
    ParamOrigin,
    SourceOrigin,
    Step,
    Value,
    build_container,
    elements,
    get_key,
    join,
    wrap,
)
from scanner.resolve.index import ClassInfo, FunctionInfo, ModuleInfo, ProjectIndex, dotted_name
from scanner.rules.patterns import Segment, ref_from_dotted
from scanner.rules.schema import RuleSet
from scanner.rules.shapes import LIST_KEY, Shape

MAX_CALL_DEPTH = 40
MAX_PASSES = 4
REF_PASSES = 3
"""From this pass on, only changes in stored PII (not in references) trigger another."""
MAX_RECURSION_ROUNDS = 3
MAX_ANALYSES = 500_000
MAX_CONTEXTS = 8
DEFAULT_TIME_BUDGET = 900.0


@dataclass
class Summary:
    """What a function does with its parameters, in one calling context."""

    result: Value
    events: list[tuple[Fact, object]]
    effects: list[tuple[tuple[str, ...], Value]]
    raised: Value

    def signature(self) -> object:
        """Identity for the recursion fixpoint."""
        return (self.result.signature(), len(self.events), len(self.effects), self.raised.signature())


EMPTY_SUMMARY = Summary(CLEAN, [], [], CLEAN)


@dataclass
class SinkSite:
    """A sink call: the rule, where it is, and where the data goes."""

    rule_id: str
    kind: str
    destination: str
    host: str | None
    path: str
    node: cst.CSTNode
    callee: str


@dataclass
class RawFinding:
    """A fact that reached a sink, before policy and positions are applied."""

    fact: Fact
    site: SinkSite


class Engine:
    """Runs the analysis over a project index with a rule set (see the module docstring)."""

    def __init__(self, index: ProjectIndex, ruleset: RuleSet,
                 max_seconds: float = DEFAULT_TIME_BUDGET,
                 progress: Callable[[int, int, str], None] | None = None) -> None:
        from scanner.propagate.external import ExternalCalls

        self.index = index
        self.ruleset = ruleset
        self.external = ExternalCalls(self, ruleset)
        self.memo: dict[object, Summary] = {}
        self.in_progress: dict[object, Summary] = {}
        self.recursive: set[object] = set()
        self.depth = 0
        self.analyses = 0
        self.store: dict[tuple[str, ...], Value] = {}
        self.store_versions: dict[tuple[str, ...], int] = {}
        self.first_read: dict[tuple[str, ...], int] = {}
        self.fact_versions: dict[tuple[str, ...], int] = {}
        self.first_fact_read: dict[tuple[str, ...], int] = {}
        self.fields: dict[str, set[str]] = {}
        self.raw: dict[tuple[object, ...], RawFinding] = {}
        self.notes: list[str] = []
        self._static_members: dict[tuple[int, str], Value] = {}
        self._resolving: set[tuple[int, str]] = set()
        self._import_cache: dict[int, dict[str, list[tuple[str, object]]]] = {}
        self._decorator_cache: dict[int, list[str]] = {}
        self._class_attr_cache: dict[tuple[int, str], Value] = {}
        self._mro_cache: dict[int, list[ClassInfo | ExtRef]] = {}
        self.budget_hit = False
        self.contexts: dict[int, set[object]] = {}
        self.inline_stack: set[int] = set()
        self.progress = progress or (lambda done, total, label: None)
        self.max_analyses = MAX_ANALYSES
        self.deadline = time.monotonic() + max_seconds
        self.failed: list[tuple[str, str]] = []

    # ---- driver -------------------------------------------------------------------
    def run(self) -> None:
        """Analyse every module body and every function, repeating until stable."""
        unique = self._dependency_order()
        for round_no in range(1, MAX_PASSES + 1):
            self.memo.clear()
            self.contexts.clear()
            self._class_attr_cache.clear()
            self.first_read.clear()
            self.first_fact_read.clear()
            for module in unique:
                self._entry(module.top_level, module)
            for number, module in enumerate(unique, 1):
                self.progress(number, len(unique), f"analysing {module.relpath} (pass {round_no})")
                for func in module.all_functions:
                    if func.kind == "lambda":
                        continue
                    self._entry(func, module)
            versions = self.store_versions if round_no < REF_PASSES else self.fact_versions
            reads = self.first_read if round_no < REF_PASSES else self.first_fact_read
            stale = [k for k, v in reads.items() if versions.get(k, 0) > v]
            if not stale or self.budget_hit:
                break
            if round_no == MAX_PASSES:
                self.notes.append(
                    f"the global fixpoint was not reached after {MAX_PASSES} passes; "
                    "some flows through attributes or globals may be missing")

    def _dependency_order(self) -> list[ModuleInfo]:
        """Modules with the modules they import first, so module globals are known when read."""
        order: list[ModuleInfo] = []
        state: dict[int, int] = {}
        modules: list[ModuleInfo] = []
        seen: set[int] = set()
        for m in self.index.all_modules():
            if id(m) not in seen:
                seen.add(id(m))
                modules.append(m)

        def visit(module: ModuleInfo) -> None:
            stack = [(module, iter(self._imported_modules(module)))]
            state[id(module)] = 1
            while stack:
                current, deps = stack[-1]
                for dep in deps:
                    if state.get(id(dep), 0) == 0:
                        state[id(dep)] = 1
                        stack.append((dep, iter(self._imported_modules(dep))))
                        break
                else:
                    stack.pop()
                    state[id(current)] = 2
                    order.append(current)

        for module in modules:
            if state.get(id(module), 0) == 0:
                visit(module)
        return order

    def _imported_modules(self, module: ModuleInfo) -> list[ModuleInfo]:
        found: list[ModuleInfo] = []
        for bindings in self._imports(module).values():
            for kind, target in bindings:
                names = [str(target)] if kind == "module" else [target[0], f"{target[0]}.{target[1]}"]  # type: ignore[index]
                for name in names:
                    dep = self.index.find_module(name, module) if name else None
                    if dep is not None and dep is not module:
                        found.append(dep)
        return found

    def _entry(self, func: FunctionInfo | None, module: ModuleInfo) -> None:
        if func is None:
            return
        params: dict[str, Value] = {}
        if func.kind in ("method", "classmethod") and func.params and func.cls is not None:
            ref = InstanceRef(func.cls) if func.kind == "method" else ClassRef(func.cls)
            params[func.params[0].name] = Value(refs=[ref])
        try:
            if func.kind == "module":
                ctx = Context()
                Frame(self, func, ctx).run({})
            else:
                args = [Arg(None, "", v, func.node) for v in params.values()]
                self.invoke(None, func, None, args, func.node, preset=params)
        except RecursionError:
            self.failed.append((module.relpath, f"{func.qualname}: nesting too deep to analyse"))
        except _BudgetExceeded:
            self.budget_hit = True

    # ---- store --------------------------------------------------------------------
    def store_read(self, key: tuple[str, ...]) -> Value:
        """The value stored under `key` (an attribute of a class, or a module global)."""
        version = self.store_versions.get(key, 0)
        if key not in self.first_read or self.first_read[key] > version:
            self.first_read[key] = version
        fact_version = self.fact_versions.get(key, 0)
        if key not in self.first_fact_read or self.first_fact_read[key] > fact_version:
            self.first_fact_read[key] = fact_version
        return self.store.get(key, CLEAN)

    def store_write(self, key: tuple[str, ...], value: Value, ctx: Context) -> None:
        """Add `value` to the store entry `key`; placeholder PII becomes a summary effect."""
        concrete = [f for f in value.facts.values() if not isinstance(f.origin, ParamOrigin)]
        placeholders = [f for f in value.facts.values() if isinstance(f.origin, ParamOrigin)]
        if placeholders:
            ctx.effects.append((key, Value.of_facts(placeholders)))
        stored = Value.of_facts(concrete, value.refs)
        if value.const is not None and key[0] == "g":
            stored = Value(stored.facts, stored.refs, value.const)
        old = self.store.get(key)
        new = stored if old is None else join([old, stored])
        if old is not None and old.const is not None and stored.const is None and not stored.facts and not stored.refs:
            new = old
        if old is None or new.signature() != old.signature():
            self.store[key] = new
            self.store_versions[key] = self.store_versions.get(key, 0) + 1
            if old is None or new.facts.keys() != old.facts.keys():
                self.fact_versions[key] = self.fact_versions.get(key, 0) + 1

    def note_field(self, cls: ClassInfo, name: str) -> None:
        """Remember that instances of `cls` have attribute `name` (for whole-object sinks)."""
        self.fields.setdefault(cls.qualname, set()).add(name)

    # ---- names and modules ----------------------------------------------------------
    def module_member(self, module: ModuleInfo, name: str) -> Value:
        """The value of the module-level name `name` of `module` (or a builtin)."""
        key = (id(module), name)
        static = self._static_members.get(key)
        if static is None:
            if key in self._resolving:
                return CLEAN
            self._resolving.add(key)
            try:
                static = self._static_member(module, name)
            finally:
                self._resolving.discard(key)
            self._static_members[key] = static
        if name in module.assigned:
            stored = self.store_read(("g", module.name, name))
            known = [v for v in (static, stored) if v.facts or v.refs or v.const is not None]
            return join(known)
        return static

    def _static_member(self, module: ModuleInfo, name: str) -> Value:
        if name in module.functions:
            return Value(refs=[FuncRef(module.functions[name])])
        if name in module.classes:
            return Value(refs=[ClassRef(module.classes[name])])
        values = [self._resolve_binding(module, b) for b in self._imports(module).get(name, [])]
        if values:
            return join(values)
        sub = self.index.find_module(f"{module.name}.{name}", module)
        if sub is not None:
            return Value(refs=[ModuleRef(sub)])
        if name in module.assigned:
            return CLEAN
        return Value(refs=[ExtRef((Segment(name),))])

    def _imports(self, module: ModuleInfo) -> dict[str, list[tuple[str, object]]]:
        cached = self._import_cache.get(id(module))
        if cached is not None:
            return cached
        table: dict[str, list[tuple[str, object]]] = {}
        for node in _top_level_imports(module.parsed.module.body):
            for name, binding in _bindings_of(node, module):
                table.setdefault(name, []).append(binding)
        self._import_cache[id(module)] = table
        return table

    def _resolve_binding(self, importer: ModuleInfo, binding: tuple[str, object]) -> Value:
        kind, target = binding
        if kind == "module" or isinstance(target, str):
            return self.module_value(str(target), importer)
        assert isinstance(target, tuple)
        base, name = str(target[0]), str(target[1])
        mod = self.index.find_module(base, importer) if base else None
        if mod is not None:
            if mod is importer and name not in mod.functions and name not in mod.classes:
                sub = self.index.find_module(f"{base}.{name}", importer)
                return Value(refs=[ModuleRef(sub)]) if sub else CLEAN
            return self.module_member(mod, name)
        sub = self.index.find_module(f"{base}.{name}" if base else name, importer)
        if sub is not None:
            return Value(refs=[ModuleRef(sub)])
        return Value(refs=[ExtRef(ref_from_dotted(f"{base}.{name}" if base else name))])

    def module_value(self, dotted: str, importer: ModuleInfo | None = None) -> Value:
        """The value of `import dotted` (a project module or an external name)."""
        mod = self.index.find_module(dotted, importer)
        if mod is not None:
            return Value(refs=[ModuleRef(mod)])
        return Value(refs=[ExtRef(ref_from_dotted(dotted))])

    def import_bindings(self, module: ModuleInfo, node: cst.Import | cst.ImportFrom) -> list[tuple[str, Value]]:
        """The names an import statement inside a function binds, with their values."""
        return [(name, self._resolve_binding(module, b)) for name, b in _bindings_of(node, module)]

    # ---- attributes ---------------------------------------------------------------
    def attribute(self, base: Value, name: str, for_call: bool = False) -> Value:
        """The value of `base.name`: a field of its PII, and/or a member of what it is."""
        results = [get_key(base, name)] if base.facts else []
        refs: list[object] = []
        for ref in base.refs:
            if isinstance(ref, ExtRef):
                refs.append(ref.attr(name))
            elif isinstance(ref, ModuleRef):
                results.append(self.module_member(ref.module, name))
            elif isinstance(ref, InstanceRef):
                results.append(self._instance_attr(ref.cls, name, base.refs))
            elif isinstance(ref, ClassRef):
                results.append(self._class_attr(ref.cls, name))
        if not base.refs and for_call:
            refs.append(ExtRef((Segment("?"), Segment(name))))
        if refs:
            results.append(Value(refs=refs))  # type: ignore[arg-type]
        return join(results)

    def mro(self, cls: ClassInfo) -> list[ClassInfo | ExtRef]:
        """The class and its bases in method-resolution order (project and external)."""
        cached = self._mro_cache.get(id(cls))
        if cached is None:
            cached = self._mro(cls)
            self._mro_cache[id(cls)] = cached
        return cached

    def _mro(self, cls: ClassInfo) -> list[ClassInfo | ExtRef]:
        order: list[ClassInfo | ExtRef] = []
        seen: set[int] = set()

        def visit(c: ClassInfo) -> None:
            if id(c) in seen:
                return
            seen.add(id(c))
            order.append(c)
            for base in c.bases:
                value = self.eval_static(c.module, base)
                for r in value.refs:
                    if isinstance(r, ClassRef):
                        visit(r.cls)
                    elif isinstance(r, ExtRef):
                        order.append(r)

        visit(cls)
        return order

    def find_method(self, cls: ClassInfo, name: str) -> FunctionInfo | None:
        """The method `name` of `cls` or of its project bases."""
        for c in self.mro(cls):
            if isinstance(c, ClassInfo) and name in c.methods:
                return c.methods[name]
        return None

    def _instance_attr(self, cls: ClassInfo, name: str, refs: frozenset) -> Value:  # type: ignore[type-arg]
        method = self.find_method(cls, name)
        if method is not None:
            if method.kind == "staticmethod":
                return Value(refs=[FuncRef(method)])
            if method.kind == "classmethod":
                return Value(refs=[BoundMethod(method, frozenset([ClassRef(cls)]))])
            return Value(refs=[BoundMethod(method, frozenset([InstanceRef(cls)]))])
        values = []
        external = False
        for c in self.mro(cls):
            if isinstance(c, ClassInfo):
                values.append(self.store_read(("f", c.qualname, name)))
                if name in c.attributes:
                    values.append(self._class_attr(c, name))
            else:
                external = True
                values.append(Value(refs=[ExtRef(c.path[:-1] + (Segment(c.path[-1].name, True),)).attr(name)]))
        if not external and not any(v.refs or v.facts for v in values):
            values.append(Value(refs=[ExtRef((Segment("?"), Segment(name)))]))
        return join(values)

    def _class_attr(self, cls: ClassInfo, name: str) -> Value:
        method = self.find_method(cls, name)
        if method is not None:
            if method.kind == "classmethod":
                return Value(refs=[BoundMethod(method, frozenset([ClassRef(cls)]))])
            return Value(refs=[FuncRef(method)])
        for c in self.mro(cls):
            if isinstance(c, ClassInfo) and name in c.attributes:
                key = (id(c), name)
                if key not in self._class_attr_cache:
                    self._class_attr_cache[key] = CLEAN
                    expr = c.attributes[name]
                    value = self.eval_static(c.module, expr) if expr is not None else CLEAN
                    self._class_attr_cache[key] = value
                return join([self._class_attr_cache[key], self.store_read(("f", c.qualname, name))])
            if isinstance(c, ExtRef):
                return Value(refs=[c.attr(name)])
        return self.store_read(("f", cls.qualname, name))

    def eval_static(self, module: ModuleInfo, expr: cst.BaseExpression) -> Value:
        """Evaluate an expression in a module's global scope (bases, decorators, class attributes)."""
        assert module.top_level is not None
        frame = Frame(self, module.top_level, Context())
        frame.env = {}
        return frame.ev(expr)

    def instance_facts(self, value: Value) -> Value:
        """`value` plus the PII held in the attributes of the project instances it refers to."""
        extra = [value]
        for ref in value.refs:
            if isinstance(ref, InstanceRef):
                for c in self.mro(ref.cls):
                    if isinstance(c, ClassInfo):
                        for name in sorted(self.fields.get(c.qualname, ())):
                            extra.append(wrap(self.store_read(("f", c.qualname, name)), name))
        return join(extra)

    # ---- calls --------------------------------------------------------------------
    def call(self, frame: Frame, node: cst.Call, callee: Value, receiver: Value | None,
             receiver_node: cst.BaseExpression | None, method: str | None, args: list[Arg]) -> Value:
        """Evaluate a call: project code is analysed; everything else follows the rules."""
        results: list[Value] = []
        external: list[ExtRef] = []
        for ref in callee.refs:
            if isinstance(ref, FuncRef):
                results.append(self.invoke(frame, ref.func, None, args, node, closure=ref.closure))
            elif isinstance(ref, BoundMethod):
                self_value = receiver if receiver is not None else Value(refs=ref.receiver_refs)
                if receiver is not None and not (receiver.refs & ref.receiver_refs):
                    self_value = Value(refs=ref.receiver_refs)
                results.append(self.invoke(frame, ref.func, self_value, args, node))
            elif isinstance(ref, ClassRef):
                results.append(self.construct(frame, ref.cls, args, node))
            elif isinstance(ref, InstanceRef):
                method_info = self.find_method(ref.cls, "__call__")
                if method_info is not None:
                    results.append(self.invoke(frame, method_info, Value(refs=[ref]), args, node))
            elif isinstance(ref, ExtRef):
                external.append(ref)
        if external or not callee.refs:
            results.append(self.external.call(frame, node, external, receiver, receiver_node,
                                              method, args, has_refs=bool(callee.refs)))
        return join(results)

    def construct(self, frame: Frame, cls: ClassInfo, args: list[Arg], node: cst.Call) -> Value:
        """`cls(...)`: run `__init__` (or fill dataclass-style fields) on a new instance."""
        instance = Value(refs=[InstanceRef(cls)])
        init = self.find_method(cls, "__init__")
        if init is not None:
            self.invoke(frame, init, instance, args, node)
        else:
            fields = [f for c in reversed(self.mro(cls)) if isinstance(c, ClassInfo) for f in c.fields]
            for i, arg in enumerate(args):
                name = arg.keyword or (fields[i] if i < len(fields) and not arg.star else None)
                if name is not None and (arg.value.facts or arg.value.refs):
                    self.store_write(("f", cls.qualname, name), arg.value, frame.ctx)
                    self.note_field(cls, name)
            for c in self.mro(cls):
                if isinstance(c, ExtRef):
                    ext = self.external.call(frame, node, [c], None, None, None, args, has_refs=True)
                    return Value(ext.facts, instance.refs)
        return instance

    def invoke(self, frame: Frame | None, func: FunctionInfo, self_value: Value | None,
               args: list[Arg], node: cst.CSTNode, closure: object | None = None,
               preset: dict[str, Value] | None = None) -> Value:
        """Call a project function: bind arguments, apply (or compute) its summary."""
        if self.depth >= MAX_CALL_DEPTH:
            return self.external.unknown_result(None, args)
        bound = preset if preset is not None else self.bind_arguments(func, self_value, args)
        self.depth += 1
        try:
            if closure is not None or func.kind == "lambda":
                result = self._run_inline(frame, func, bound, closure)
            else:
                result = self._run_summary(frame, func, bound, node)
        finally:
            self.depth -= 1
        if self.decorator_effects(func) and "yields_return" in self.decorator_effects(func):
            result = wrap(result, LIST_KEY)
        return result

    def bind_arguments(self, func: FunctionInfo, self_value: Value | None, args: list[Arg]) -> dict[str, Value]:
        """Map call arguments onto the parameters of `func` (self/cls first for methods)."""
        params = list(func.params)
        bound: dict[str, Value] = {}
        if func.kind in ("method", "classmethod") and params and self_value is not None:
            bound[params[0].name] = self_value
            params = params[1:]
        positional = [p for p in params if p.kind == "pos"]
        star = next((p for p in params if p.kind == "star"), None)
        starstar = next((p for p in params if p.kind == "starstar"), None)
        by_name = {p.name: p for p in params if p.kind in ("pos", "kw")}
        extra_pos: list[tuple[str | None, Value]] = []
        extra_kw: list[tuple[str | None, Value]] = []
        index = 0
        for arg in args:
            if arg.star == "*":
                spread = elements(arg.value)
                for p in positional[index:]:
                    bound[p.name] = join([bound.get(p.name, CLEAN), spread])
                if star is not None:
                    extra_pos.append((LIST_KEY, spread))
                continue
            if arg.star == "**":
                for p in params:
                    if p.kind in ("pos", "kw") and p.name not in bound:
                        bound[p.name] = get_key(arg.value, p.name)
                if starstar is not None:
                    bound[starstar.name] = join([bound.get(starstar.name, CLEAN), arg.value])
                continue
            if arg.keyword is not None:
                if arg.keyword in by_name:
                    bound[arg.keyword] = arg.value
                else:
                    extra_kw.append((arg.keyword, arg.value))
                continue
            if index < len(positional):
                bound[positional[index].name] = arg.value
            else:
                extra_pos.append((str(len(extra_pos)), arg.value))
            index += 1
        if star is not None:
            bound[star.name] = join([bound.get(star.name, CLEAN), build_container(extra_pos, True)])
        if starstar is not None:
            bound[starstar.name] = join([bound.get(starstar.name, CLEAN),
                                         build_container(extra_kw, False)])
        return bound

    def _count_analysis(self) -> None:
        self.analyses += 1
        if self.analyses > self.max_analyses or (
            self.analyses % 256 == 0 and time.monotonic() > self.deadline
        ):
            raise _BudgetExceeded()

    def _run_inline(self, frame: Frame | None, func: FunctionInfo, bound: dict[str, Value],
                    closure: object | None) -> Value:
        if id(func) in self.inline_stack:
            # A nested function calling itself: approximate instead of unrolling.
            return self.external.unknown_result(None, [Arg(None, "", v, func.node) for v in bound.values()])
        self._count_analysis()
        self.inline_stack.add(id(func))
        try:
            return self._run_inline_frame(frame, func, bound, closure)
        finally:
            self.inline_stack.discard(id(func))

    def _run_inline_frame(self, frame: Frame | None, func: FunctionInfo, bound: dict[str, Value],
                          closure: object | None) -> Value:
        ctx = frame.ctx if frame is not None else Context()
        inner = Frame(self, func, ctx, closure if isinstance(closure, Frame) else None)
        result = inner.run(bound)
        if frame is not None:
            for raised in inner.raised:
                frame.note_raise(raised)
        return result

    def _run_summary(self, frame: Frame | None, func: FunctionInfo, bound: dict[str, Value],
                     node: cst.CSTNode) -> Value:
        placeholders: dict[str, Value] = {}
        pid_map: dict[object, list[Fact]] = {}
        pid_param: dict[object, str] = {}
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
                pid_map[pid] = facts
                pid_param[pid] = name
                ph_facts.append(Fact(ParamOrigin(pid), shape, hashed, ()))  # type: ignore[arg-type]
            # Constants matter to a callee only as URLs (destinations); keeping others in
            # the key would analyse a function once per distinct literal it is called with.
            const = value.const if value.const is not None and "://" in value.const else None
            placeholders[name] = Value(Value.of_facts(ph_facts).facts, value.refs, const)
            key_parts.append((name, frozenset(groups), value.refs, const))
        key = (id(func), tuple(key_parts))
        if key not in self.memo and key not in self.in_progress:
            contexts = self.contexts.setdefault(id(func), set())
            if len(contexts) >= MAX_CONTEXTS and key not in contexts:
                # Too many calling contexts: analyse once more with what the arguments
                # *are* forgotten (their PII shapes are kept), so the cost stays bounded.
                key_parts = [(n, g, frozenset(), None) for n, g, _, _ in key_parts]
                key = (id(func), tuple(key_parts))
                placeholders = {n: Value(v.facts) for n, v in placeholders.items()}
            contexts.add(key)
        summary = self._summary(func, key, placeholders)
        return self._apply(frame, func, summary, placeholders, pid_map, pid_param, node)

    def _summary(self, func: FunctionInfo, key: object, params: dict[str, Value]) -> Summary:
        found = self.memo.get(key)
        if found is not None:
            return found
        if key in self.in_progress:
            self.recursive.add(key)
            return self.in_progress[key]
        self.in_progress[key] = EMPTY_SUMMARY
        try:
            summary = EMPTY_SUMMARY
            for _ in range(MAX_RECURSION_ROUNDS):
                self._count_analysis()
                self.recursive.discard(key)
                ctx = Context()
                inner = Frame(self, func, ctx)
                result = inner.run(dict(params))
                summary = Summary(result, list(ctx.events), list(ctx.effects), join(inner.raised))  # type: ignore[arg-type]
                if key not in self.recursive or summary.signature() == self.in_progress[key].signature():
                    break
                self.in_progress[key] = summary
        finally:
            del self.in_progress[key]
        self.memo[key] = summary
        return summary

    def _apply(self, frame: Frame | None, func: FunctionInfo, summary: Summary,
               placeholders: dict[str, Value], pid_map: dict[object, list[Fact]],
               pid_param: dict[object, str], node: cst.CSTNode) -> Value:
        path = frame.path if frame is not None else func.module.relpath
        name = func.name if func.kind != "method" or func.cls is None else f"{func.cls.name}.{func.name}"

        def substitute(fact: Fact) -> list[Fact]:
            if isinstance(fact.origin, ParamOrigin):
                actual = pid_map.get(fact.origin.pid)
                if not actual:
                    return []
                param = pid_param[fact.origin.pid]
                step = Step(path, node, f"passed as `{param}` to `{name}()`", "call")
                return [Fact(a.origin, fact.shape, fact.hashed or a.hashed,
                             a.trace + (step,) + fact.trace) for a in actual]
            return [fact]

        ctx = frame.ctx if frame is not None else Context()
        for fact, site in summary.events:
            for f in substitute(fact):
                self.emit(f, site, ctx)  # type: ignore[arg-type]
        for key, value in summary.effects:
            facts = [g for f in value.facts.values() for g in substitute(f)]
            self.store_write(key, Value.of_facts(facts), ctx)
        if frame is not None and summary.raised.facts:
            frame.note_raise(Value.of_facts(g for f in summary.raised.facts.values() for g in substitute(f)))
        ret_step = Step(path, node, f"returned from `{name}()`", "return")
        facts = [g.with_step(ret_step) for f in summary.result.facts.values() for g in substitute(f)]
        return Value.of_facts(facts, summary.result.refs) if summary.result.const is None else \
            Value(Value.of_facts(facts).facts, summary.result.refs, summary.result.const)

    def decorator_effects(self, func: FunctionInfo) -> list[str]:
        """Effects of the library decorators on `func` that the rulesets describe."""
        cached = self._decorator_cache.get(id(func))
        if cached is not None:
            return cached
        effects: list[str] = []
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
        assert isinstance(fact.origin, SourceOrigin)
        key = (fact.origin, fact.shape, fact.hashed, site.path, id(site.node), site.rule_id)
        old = self.raw.get(key)
        if old is None or len(fact.trace) < len(old.fact.trace):
            self.raw[key] = RawFinding(fact, site)


class _BudgetExceeded(Exception):
    """The analysis exceeded its work budget (hostile or enormous input)."""


def _top_level_imports(stmts: Iterable[cst.CSTNode]) -> Iterable[cst.Import | cst.ImportFrom]:
    for stmt in stmts:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, (cst.Import, cst.ImportFrom)):
                    yield small
        elif isinstance(stmt, (cst.If, cst.Try, cst.TryStar, cst.With)):
            for child in _nested_bodies(stmt):
                yield from _top_level_imports(child)


def _nested_bodies(stmt: cst.CSTNode) -> Iterable[Iterable[cst.CSTNode]]:
    for attr in ("body", "orelse", "finalbody"):
        part = getattr(stmt, attr, None)
        if part is None:
            continue
        if isinstance(part, cst.If):
            yield [part]
            continue
        suite = getattr(part, "body", None)
        if isinstance(suite, cst.IndentedBlock):
            yield suite.body
        elif isinstance(part, cst.IndentedBlock):
            yield part.body
    for handler in getattr(stmt, "handlers", ()):
        if isinstance(handler.body, cst.IndentedBlock):
            yield handler.body.body


def _bindings_of(node: cst.Import | cst.ImportFrom, module: ModuleInfo) -> list[tuple[str, tuple[str, object]]]:
    result: list[tuple[str, tuple[str, object]]] = []
    if isinstance(node, cst.Import):
        for alias in node.names:
            dotted = dotted_name(alias.name)
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                result.append((alias.asname.name.value, ("module", dotted)))
            else:
                top = dotted.split(".")[0]
                result.append((top, ("module", top)))
        return result
    level = len(node.relative)
    base = dotted_name(node.module) if node.module is not None else ""
    if level:
        package = module.package.split(".") if module.package else []
        if level > 1:
            package = package[: len(package) - (level - 1)]
        base = ".".join([p for p in package if p] + ([base] if base else []))
    if isinstance(node.names, cst.ImportStar):
        return result
    for alias in node.names:
        name = dotted_name(alias.name)
        local = alias.asname.name.value if alias.asname is not None and isinstance(alias.asname.name, cst.Name) else name
        result.append((local, ("from", (base, name))))
    return result


def raise_recursion_limit() -> None:
    """Deeply nested (possibly hostile) code needs a deep Python stack."""
    if sys.getrecursionlimit() < 20000:
        sys.setrecursionlimit(20000)
