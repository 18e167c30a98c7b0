"""Abstract interpretation of one function body (or module body, or lambda).

A `Frame` walks the libcst tree of one scope, keeping an environment from local names to
abstract `Value`s. It is flow-sensitive (a variable overwritten with a constant is clean
again), joins branches of `if`/`try`/`match`, and iterates loops to a fixpoint. Calls,
attribute look-ups on references and module-level names are delegated to the `Engine`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import libcst as cst

from scanner.propagate.values import (
    CLEAN,
    HOLE,
    BoundMethod,
    ClassRef,
    FuncRef,
    InstanceRef,
    ModuleRef,
    Step,
    Value,
    build_container,
    elements,
    flatten,
    get_index,
    get_key,
    join,
    wrap,
)
from scanner.rules.shapes import LIST_KEY

if TYPE_CHECKING:
    from scanner.propagate.engine import Engine
    from scanner.resolve.index import FunctionInfo

MAX_LOOP_ROUNDS = 4
_PERCENT_FIELD = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(?:\d+|\*)?(?:\.(?:\d+|\*))?[a-zA-Z%]")
_BRACE_FIELD = re.compile(r"\{[^{}]*\}")


@dataclass
class Arg:
    """One argument of a call: keyword name, `*`/`**` marker, its value and node."""

    keyword: str | None
    star: str
    value: Value
    node: cst.CSTNode


@dataclass
class Context:
    """What a summary records about its parameters' PII (placeholders) for the caller."""

    events: list[tuple[object, object]] = field(default_factory=list)
    """(placeholder fact, sink site) pairs: a parameter reaches a sink."""
    effects: list[tuple[tuple[str, ...], Value]] = field(default_factory=list)
    """(store key, value) pairs: a parameter is stored in an attribute or global."""


class Frame:
    """The abstract state of one scope while it is being analysed."""

    def __init__(self, engine: Engine, func: FunctionInfo, ctx: Context,
                 closure: Frame | None = None) -> None:
        self.engine = engine
        self.func = func
        self.ctx = ctx
        self.closure = closure
        self.path = func.module.relpath
        self.env: dict[str, Value] = {}
        self.returns: list[Value] = []
        self.yields: list[Value] = []
        self.raised: list[Value] = []
        self._try_stack: list[list[Value]] = []
        self.is_module = func.kind == "module"

    # ---- entry --------------------------------------------------------------------
    def run(self, params: dict[str, Value]) -> Value:
        """Analyse the body with `params` bound; return the abstract return value."""
        self.env.update(params)
        body = self.func.node.body if not self.is_module else None
        if self.is_module:
            self.exec_block(self.func.module.parsed.module.body)
        elif isinstance(body, cst.BaseSuite):
            self.exec_suite(body)
        elif isinstance(body, cst.BaseExpression):
            self.returns.append(self.ev(body))  # a lambda's expression
        result = join(self.returns)
        if self.func.is_generator:
            result = join([result, wrap(join(self.yields), LIST_KEY)])
        return result

    # ---- names --------------------------------------------------------------------
    def lookup(self, name: str) -> Value:
        """The value of `name` as Python would resolve it from this scope."""
        func = self.func
        if name in func.global_names:
            return self.engine.module_member(func.module, name)
        if name in func.nonlocal_names:
            return self._closure_lookup(name)
        if self.is_module:
            if name in self.env:
                return self.env[name]
            return self.engine.module_member(func.module, name)
        if name in self.env:
            return self.env[name]
        if name in func.assigned:
            return CLEAN
        return self._closure_lookup(name)

    def _closure_lookup(self, name: str) -> Value:
        frame = self.closure
        while frame is not None:
            if frame.is_module:
                break
            if name in frame.func.assigned:
                return frame.env.get(name, CLEAN)
            frame = frame.closure
        return self.engine.module_member(self.func.module, name)

    def bind(self, name: str, value: Value, node: cst.CSTNode, action: str | None = None) -> None:
        """Assign `value` to the local (or global) name `name`."""
        value = value.with_step(Step(self.path, node, action or f"assigned to `{name}`"))
        if name in self.func.global_names or self.is_module:
            self.engine.store_write(("g", self.func.module.name, name), value, self.ctx)
        if name in self.func.nonlocal_names:
            frame = self.closure
            while frame is not None and name not in frame.func.assigned:
                frame = frame.closure
            if frame is not None:
                frame.env[name] = join([frame.env.get(name, CLEAN), value])
            return
        self.env[name] = value

    # ---- statements ---------------------------------------------------------------
    def exec_suite(self, suite: cst.BaseSuite) -> None:
        """Run an indented block or a one-line suite."""
        if isinstance(suite, cst.IndentedBlock):
            self.exec_block(suite.body)
        elif isinstance(suite, cst.SimpleStatementSuite):
            for small in suite.body:
                self.exec_small(small)

    def exec_block(self, stmts: Sequence[cst.BaseStatement]) -> None:
        """Run statements in order."""
        for stmt in stmts:
            self.exec_stmt(stmt)

    def exec_stmt(self, stmt: cst.BaseStatement) -> None:
        """Run one statement."""
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                self.exec_small(small)
            return
        handler = _STMT_HANDLERS.get(type(stmt))
        if handler is not None:
            handler(self, stmt)

    def exec_small(self, node: cst.BaseSmallStatement) -> None:
        """Run one small statement (assignment, expression, return, ...)."""
        if isinstance(node, cst.Assign):
            value = self.ev(node.value)
            for target in node.targets:
                self.assign(target.target, value, node, node.value)
        elif isinstance(node, cst.Expr):
            self.ev(node.value)
        elif isinstance(node, cst.Return):
            if node.value is not None:
                self.returns.append(self.ev(node.value))
        elif isinstance(node, cst.AugAssign):
            current = self.ev(node.target)
            value = self.ev(node.value)
            combined = join([current, value]) if not isinstance(
                node.operator, (cst.MultiplyAssign, cst.SubtractAssign)) else flatten(join([current, value]))
            if current.const is not None or value.const is not None:
                combined = Value(combined.facts, combined.refs,
                                 (current.const or HOLE) + (value.const or HOLE)
                                 if isinstance(node.operator, cst.AddAssign) else None)
            self.assign(node.target, combined, node)
        elif isinstance(node, cst.AnnAssign):
            if node.value is not None:
                self.assign(node.target, self.ev(node.value), node, node.value)
        elif isinstance(node, cst.Raise):
            if node.exc is not None:
                self.note_raise(self.ev(node.exc).with_step(Step(self.path, node, "raised in an exception")))
        elif isinstance(node, (cst.Import, cst.ImportFrom)):
            for name, value in self.engine.import_bindings(self.func.module, node):
                self.env[name] = value
                if self.is_module or name in self.func.global_names:
                    self.engine.store_write(("g", self.func.module.name, name), value, self.ctx)
        elif isinstance(node, cst.Assert):
            self.ev(node.test)
        elif isinstance(node, cst.Del):
            pass

    def note_raise(self, value: Value) -> None:
        """Record an exception value (caught by an enclosing `except ... as e`)."""
        if not value.facts:
            return
        self.raised.append(value)
        if self._try_stack:
            self._try_stack[-1].append(value)

    def _snapshot(self) -> dict[str, Value]:
        return dict(self.env)

    def _join_envs(self, envs: list[dict[str, Value]]) -> dict[str, Value]:
        names: set[str] = set()
        for e in envs:
            names.update(e)
        return {n: join([e[n] for e in envs if n in e]) for n in names}

    @staticmethod
    def _same(a: dict[str, Value], b: dict[str, Value]) -> bool:
        """Whether two environments carry the same PII (what loops iterate for).

        References and constants are left out on purpose: chains such as
        `node = node.parent` or a string grown in a loop must not keep a loop spinning,
        and clean code then needs a single round."""
        for name in a.keys() | b.keys():
            va, vb = a.get(name), b.get(name)
            fa = va.facts.keys() if va is not None else ()
            fb = vb.facts.keys() if vb is not None else ()
            if (fa or fb) and set(fa) != set(fb):
                return False
        return True

    def _branch(self, runners: list[Callable[[], None]], include_entry: bool) -> None:
        entry = self._snapshot()
        results = [entry] if include_entry else []
        for run in runners:
            self.env = dict(entry)
            run()
            results.append(self.env)
        self.env = self._join_envs(results)

    def _loop(self, body: Callable[[], None]) -> None:
        for _ in range(MAX_LOOP_ROUNDS):
            before = self._snapshot()
            body()
            self.env = self._join_envs([before, self.env])
            if self._same(before, self.env):
                break

    def exec_if(self, node: cst.If) -> None:
        self.ev(node.test)
        orelse = node.orelse
        runners: list[Callable[[], None]] = [lambda: self.exec_suite(node.body)]
        if isinstance(orelse, cst.If):
            runners.append(lambda: self.exec_if(orelse))
        elif isinstance(orelse, cst.Else):
            runners.append(lambda: self.exec_suite(orelse.body))
        self._branch(runners, include_entry=orelse is None)

    def exec_for(self, node: cst.For) -> None:
        items = elements(self.ev(node.iter))
        iter_refs = self.ev(node.iter).refs

        def body() -> None:
            self.assign(node.target, Value(items.facts, _element_refs(iter_refs)), node)
            self.exec_suite(node.body)

        self._loop(body)
        if node.orelse is not None:
            self.exec_suite(node.orelse.body)

    def exec_while(self, node: cst.While) -> None:
        def body() -> None:
            self.ev(node.test)
            self.exec_suite(node.body)

        self._loop(body)
        if node.orelse is not None:
            self.exec_suite(node.orelse.body)

    def exec_try(self, node: cst.Try | cst.TryStar) -> None:
        entry = self._snapshot()
        self._try_stack.append([])
        self.exec_suite(node.body)
        caught = self._try_stack.pop()
        after_body = self._snapshot()
        results = []
        if node.orelse is not None:
            self.exec_suite(node.orelse.body)
        results.append(self._snapshot())
        start = self._join_envs([entry, after_body])
        for handler in node.handlers:
            self.env = dict(start)
            if handler.type is not None:
                self.ev(handler.type)
            if handler.name is not None and isinstance(handler.name.name, cst.Name):
                self.bind(handler.name.name.value, join(caught), handler)
            self.exec_suite(handler.body)
            results.append(self.env)
        self.env = self._join_envs(results)
        if node.finalbody is not None:
            self.exec_suite(node.finalbody.body)

    def exec_with(self, node: cst.With) -> None:
        for item in node.items:
            value = self.ev(item.item)
            if item.asname is not None:
                self.assign(item.asname.name, value, node)
        self.exec_suite(node.body)

    def exec_match(self, node: cst.Match) -> None:
        subject = self.ev(node.subject)
        runners: list[Callable[[], None]] = []
        for case in node.cases:
            def run(case: cst.MatchCase = case) -> None:
                self._bind_pattern(case.pattern, subject, case)
                if case.guard is not None:
                    self.ev(case.guard)
                self.exec_suite(case.body)
            runners.append(run)
        self._branch(runners, include_entry=True)

    def _bind_pattern(self, pattern: cst.MatchPattern, subject: Value, node: cst.CSTNode) -> None:
        if isinstance(pattern, cst.MatchAs):
            if pattern.name is not None:
                self.bind(pattern.name.value, subject, node)
            if pattern.pattern is not None:
                self._bind_pattern(pattern.pattern, subject, node)
        elif isinstance(pattern, cst.MatchMapping):
            for item in pattern.elements:
                key = self.ev(item.key).const
                self._bind_pattern(item.pattern, get_key(subject, key), node)
            if pattern.rest is not None:
                self.bind(pattern.rest.value, subject, node)
        elif isinstance(pattern, (cst.MatchSequence, cst.MatchList, cst.MatchTuple)):
            for i, element in enumerate(pattern.patterns):
                if isinstance(element, cst.MatchSequenceElement):
                    self._bind_pattern(element.value, get_index(subject, i), node)
                elif isinstance(element, cst.MatchStar) and element.name is not None:
                    self.bind(element.name.value, subject, node)
        elif isinstance(pattern, cst.MatchClass):
            for positional in pattern.patterns:
                self._bind_pattern(positional.value, subject, node)
            for kw in pattern.kwds:
                self._bind_pattern(kw.pattern, get_key(subject, kw.key.value), node)
        elif isinstance(pattern, cst.MatchOr):
            for alternative in pattern.patterns:
                self._bind_pattern(alternative.pattern, subject, node)

    def exec_def(self, node: cst.FunctionDef) -> None:
        info = self.func.nested.get(node)
        if info is not None:
            closure = None if self.is_module else self
            self.env[node.name.value] = Value(refs=[FuncRef(info, closure)])

    def exec_class(self, node: cst.ClassDef) -> None:
        info = self.func.nested_classes.get(node)
        if info is not None:
            self.env[node.name.value] = Value(refs=[ClassRef(info)])

    # ---- assignment ---------------------------------------------------------------
    def assign(self, target: cst.BaseExpression, value: Value, stmt: cst.CSTNode,
               value_node: cst.BaseExpression | None = None) -> None:
        """Bind `value` to an assignment target (name, tuple, attribute, subscript)."""
        if isinstance(target, cst.Name):
            self.bind(target.value, value, stmt)
        elif isinstance(target, (cst.Tuple, cst.List)):
            elems = target.elements
            literal = value_node if isinstance(value_node, (cst.Tuple, cst.List)) else None
            if literal is not None and len(literal.elements) == len(elems) and not any(
                isinstance(e, cst.StarredElement) for e in list(elems) + list(literal.elements)
            ):
                values = [self.ev(src.value) for src in literal.elements]  # RHS first, as Python
                for el, src, val in zip(elems, literal.elements, values):
                    self.assign(el.value, val, stmt, src.value)
                return
            for i, el in enumerate(elems):
                if isinstance(el, cst.StarredElement):
                    self.assign(el.value, wrap(get_index(value, None), LIST_KEY), stmt)
                else:
                    self.assign(el.value, get_index(value, i), stmt)
        elif isinstance(target, (cst.Attribute, cst.Subscript)):
            self.add_to(target, value, stmt, replace=True)
        elif isinstance(target, cst.StarredElement):
            self.assign(target.value, value, stmt)

    def add_to(self, target: cst.BaseExpression, value: Value, stmt: cst.CSTNode,
               replace: bool = False) -> None:
        """Add `value` into the container or object that `target` denotes.

        `a.b[k] = v` and `a.b.append(v)` both make `a` carry `v` under the path
        `b -> k` (or `b -> []`); `self.x = v` also updates the attribute store of the
        class, so other methods see it."""
        keys: list[str] = []
        node = target
        while True:
            if isinstance(node, cst.Attribute):
                keys.insert(0, node.attr.value)
                node = node.value
            elif isinstance(node, cst.Subscript):
                keys.insert(0, self._subscript_key(node) or "*")
                node = node.value
            elif isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
                # `d.setdefault(k, []).append(v)`: the call returned a part of `d`.
                keys.insert(0, "*")
                node = node.func.value
            else:
                break
        if not isinstance(node, cst.Name):
            self.ev(node)
            return
        root_name = node.value
        root = self.lookup(root_name)
        label = _expr_text(target)
        step = Step(self.path, stmt, f"stored in `{label}`" if replace else f"added to `{label}`")
        value = value.with_step(step)
        wrapped = value
        for key in reversed(keys):
            wrapped = wrap(wrapped, key)
        if keys:
            rest = value
            for key in reversed(keys[1:]):
                rest = wrap(rest, key)
            self._store_member(root, keys[0], rest)
        if not wrapped.facts:
            return
        if self.is_module or root_name in self.func.global_names:
            self.engine.store_write(("g", self.func.module.name, root_name), wrapped, self.ctx)
            if self.is_module:
                self.env[root_name] = join([root, wrapped])
            return
        if root_name in self.func.nonlocal_names or root_name not in self.func.assigned:
            owner = self._enclosing_owner(root_name)
            if owner is not None:
                owner.env[root_name] = join([owner.env.get(root_name, CLEAN), wrapped])
            elif root_name not in self.func.assigned:
                self.engine.store_write(("g", self.func.module.name, root_name), wrapped, self.ctx)
            return
        self.env[root_name] = join([root, wrapped])

    def _store_member(self, root: Value, name: str, value: Value) -> None:
        """`obj.name = value` where `obj` is an instance, class or module of the project."""
        for ref in root.refs:
            if isinstance(ref, (InstanceRef, ClassRef)):
                self.engine.store_write(("f", ref.cls.qualname, name), value, self.ctx)
                self.engine.note_field(ref.cls, name)
            elif isinstance(ref, ModuleRef):
                self.engine.store_write(("g", ref.module.name, name), value, self.ctx)

    def _enclosing_owner(self, name: str) -> Frame | None:
        """The enclosing function frame that binds `name`, if any."""
        frame = self.closure
        while frame is not None and not frame.is_module:
            if name in frame.func.assigned:
                return frame
            frame = frame.closure
        return None

    def _subscript_key(self, node: cst.Subscript) -> str | None:
        if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
            return None
        key = self.ev(node.slice[0].slice.value)
        if key.const is not None and HOLE not in key.const:
            return key.const
        return None

    # ---- expressions --------------------------------------------------------------
    def ev(self, node: cst.BaseExpression) -> Value:
        """The abstract value of an expression."""
        handler = _EXPR_HANDLERS.get(type(node))
        if handler is None:
            return CLEAN
        return handler(self, node)

    def ev_name(self, node: cst.Name) -> Value:
        if node.value in ("None", "True", "False"):
            return CLEAN
        return self.lookup(node.value)

    def ev_attribute(self, node: cst.Attribute) -> Value:
        return self.engine.attribute(self.ev(node.value), node.attr.value)

    def ev_subscript(self, node: cst.Subscript) -> Value:
        base = self.ev(node.value)
        if len(node.slice) != 1:
            return get_index(base, None)
        sl = node.slice[0].slice
        if not isinstance(sl, cst.Index):
            return base.only_facts()
        key = self.ev(sl.value)
        if not base.facts:
            return CLEAN
        if isinstance(sl.value, cst.Integer):
            return get_index(base, int(sl.value.value, 0))
        if isinstance(sl.value, cst.UnaryOperation) and isinstance(sl.value.expression, cst.Integer):
            return get_index(base, None)
        if key.const is not None and HOLE not in key.const:
            return get_key(base, key.const)
        return get_key(base, None)

    def ev_concatenated(self, node: cst.ConcatenatedString) -> Value:
        """Implicit concatenation: `"a" f"{x}"` (parts may be f-strings)."""
        left = self.ev(node.left)
        right = self.ev(node.right)
        const = None
        if left.const is not None or right.const is not None:
            const = (left.const if left.const is not None else HOLE) + (
                right.const if right.const is not None else HOLE)
        return Value(flatten(join([left.only_facts(), right.only_facts()])).facts, const=const)

    def ev_string(self, node: cst.SimpleString) -> Value:
        if isinstance(node, cst.SimpleString):
            raw = node.value
            # Fast path for plain literals: libcst's evaluated_value compiles each one.
            if raw[:1] in "\"'" and "\\" not in raw:
                quote = raw[:3] if raw[:3] in ('"""', "'''") else raw[:1]
                return Value(const=raw[len(quote):-len(quote)])
        try:
            text = node.evaluated_value
        except Exception:  # noqa: BLE001 - malformed escapes in hostile input
            return CLEAN
        if isinstance(text, bytes):
            text = text.decode("latin-1")
        return Value(const=text) if isinstance(text, str) else CLEAN

    def ev_fstring(self, node: cst.FormattedString) -> Value:
        parts: list[Value] = []
        text: list[str] = []
        for part in node.parts:
            if isinstance(part, cst.FormattedStringText):
                text.append(part.value)
            elif isinstance(part, cst.FormattedStringExpression):
                value = self.ev(part.expression)
                if part.format_spec:
                    for spec in part.format_spec:
                        if isinstance(spec, cst.FormattedStringExpression):
                            self.ev(spec.expression)
                parts.append(value)
                text.append(value.const if value.const is not None and part.conversion is None
                            and not part.format_spec else HOLE)
        return Value(flatten(join(parts)).facts, const="".join(text))

    def ev_collection(self, node: cst.List | cst.Tuple | cst.Set) -> Value:
        items: list[tuple[str | None, Value]] = []
        for i, el in enumerate(node.elements):
            if isinstance(el, cst.StarredElement):
                items.append((LIST_KEY, elements(self.ev(el.value))))
            else:
                items.append((str(i), self.ev(el.value)))
        return build_container(items, list_like=not isinstance(node, cst.Tuple))

    def ev_dict(self, node: cst.Dict) -> Value:
        items: list[tuple[str | None, Value]] = []
        spread: list[Value] = []
        for el in node.elements:
            if not isinstance(el, cst.DictElement):
                spread.append(self.ev(el.value).only_facts())
                continue
            key = self.ev(el.key)
            value = self.ev(el.value)
            k = key.const if key.const is not None and HOLE not in key.const else None
            items.append((k, value))
            if key.facts:
                items.append((None, flatten(key)))
        return join([build_container(items, list_like=False)] + spread)

    def ev_comprehension(self, node: cst.BaseComp) -> Value:
        saved = self.env
        self.env = dict(saved)
        try:
            self._comp_for(node.for_in)
            if isinstance(node, cst.DictComp):
                key = self.ev(node.key)
                value = self.ev(node.value)
                k = key.const if key.const is not None and HOLE not in key.const else None
                items = [(k, value)] + ([(None, flatten(key))] if key.facts else [])
                result = build_container(items, list_like=False)
                if key.facts:
                    result = join([result, wrap(flatten(key), "*")])
                return result
            assert isinstance(node, (cst.ListComp, cst.SetComp, cst.GeneratorExp))
            element = self.ev(node.elt)
            return wrap(element, LIST_KEY)
        finally:
            self.env = saved

    def _comp_for(self, comp: cst.CompFor) -> None:
        source = self.ev(comp.iter)
        self.assign(comp.target, Value(elements(source).facts, _element_refs(source.refs)), comp)
        for cond in comp.ifs:
            self.ev(cond.test)
        if comp.inner_for_in is not None:
            self._comp_for(comp.inner_for_in)

    def ev_binary(self, node: cst.BinaryOperation) -> Value:
        left = self.ev(node.left)
        right = self.ev(node.right)
        op = node.operator
        if isinstance(op, cst.Add):
            const = None
            if left.const is not None or right.const is not None:
                const = (left.const if left.const is not None else HOLE) + (
                    right.const if right.const is not None else HOLE)
            merged = join([left.only_facts(), right.only_facts()])
            return Value(merged.facts, const=const)
        if isinstance(op, cst.Modulo) and left.const is not None:
            return Value(flatten(join([left, right])).facts,
                         const=_PERCENT_FIELD.sub(HOLE, left.const))
        return flatten(join([left, right]))

    def ev_boolean(self, node: cst.BooleanOperation) -> Value:
        return join([self.ev(node.left), self.ev(node.right)])

    def ev_compare(self, node: cst.Comparison) -> Value:
        self.ev(node.left)
        for c in node.comparisons:
            self.ev(c.comparator)
        return CLEAN

    def ev_unary(self, node: cst.UnaryOperation) -> Value:
        value = self.ev(node.expression)
        return CLEAN if isinstance(node.operator, cst.Not) else value.only_facts()

    def ev_ifexp(self, node: cst.IfExp) -> Value:
        self.ev(node.test)
        return join([self.ev(node.body), self.ev(node.orelse)])

    def ev_lambda(self, node: cst.Lambda) -> Value:
        info = self.func.nested.get(node)
        if info is None:
            return CLEAN
        return Value(refs=[FuncRef(info, self)])

    def ev_await(self, node: cst.Await) -> Value:
        return self.ev(node.expression)

    def ev_yield(self, node: cst.Yield) -> Value:
        if isinstance(node.value, cst.From):
            self.yields.append(elements(self.ev(node.value.item)))
        elif node.value is not None:
            self.yields.append(self.ev(node.value))
        return CLEAN

    def ev_named(self, node: cst.NamedExpr) -> Value:
        value = self.ev(node.value)
        self.assign(node.target, value, node)
        return value

    def ev_starred(self, node: cst.StarredElement) -> Value:
        return self.ev(node.value)

    def ev_call(self, node: cst.Call) -> Value:
        func = node.func
        receiver: Value | None = None
        receiver_node: cst.BaseExpression | None = None
        method: str | None = None
        if isinstance(func, cst.Attribute):
            receiver_node = func.value
            receiver = self.ev(func.value)
            method = func.attr.value
            callee = self.engine.attribute(receiver, method, for_call=True)
        else:
            callee = self.ev(func)
        args = []
        for a in node.args:
            star = a.star if isinstance(a.star, str) else ""
            keyword = a.keyword.value if a.keyword is not None else None
            args.append(Arg(keyword, star, self.ev(a.value), a.value))
        return self.engine.call(self, node, callee, receiver, receiver_node, method, args)


def _element_refs(refs: frozenset) -> list:  # type: ignore[type-arg]
    """What iterating over a reference yields: instances stay instances; others unknown."""
    return [r for r in refs if isinstance(r, (InstanceRef, BoundMethod))]


def _expr_text(node: cst.CSTNode) -> str:
    try:
        text = cst.Module(body=[]).code_for_node(node)
    except Exception:  # noqa: BLE001
        return "?"
    return text if len(text) <= 60 else text[:57] + "..."


_STMT_HANDLERS: dict[type, Callable[[Frame, cst.CSTNode], None]] = {
    cst.If: Frame.exec_if,  # type: ignore[dict-item]
    cst.For: Frame.exec_for,  # type: ignore[dict-item]
    cst.While: Frame.exec_while,  # type: ignore[dict-item]
    cst.Try: Frame.exec_try,  # type: ignore[dict-item]
    cst.TryStar: Frame.exec_try,  # type: ignore[dict-item]
    cst.With: Frame.exec_with,  # type: ignore[dict-item]
    cst.Match: Frame.exec_match,  # type: ignore[dict-item]
    cst.FunctionDef: Frame.exec_def,  # type: ignore[dict-item]
    cst.ClassDef: Frame.exec_class,  # type: ignore[dict-item]
}

_EXPR_HANDLERS: dict[type, Callable[[Frame, cst.CSTNode], Value]] = {
    cst.Name: Frame.ev_name,  # type: ignore[dict-item]
    cst.Attribute: Frame.ev_attribute,  # type: ignore[dict-item]
    cst.Subscript: Frame.ev_subscript,  # type: ignore[dict-item]
    cst.Call: Frame.ev_call,  # type: ignore[dict-item]
    cst.SimpleString: Frame.ev_string,  # type: ignore[dict-item]
    cst.ConcatenatedString: Frame.ev_concatenated,  # type: ignore[dict-item]
    cst.FormattedString: Frame.ev_fstring,  # type: ignore[dict-item]
    cst.List: Frame.ev_collection,  # type: ignore[dict-item]
    cst.Tuple: Frame.ev_collection,  # type: ignore[dict-item]
    cst.Set: Frame.ev_collection,  # type: ignore[dict-item]
    cst.Dict: Frame.ev_dict,  # type: ignore[dict-item]
    cst.ListComp: Frame.ev_comprehension,  # type: ignore[dict-item]
    cst.SetComp: Frame.ev_comprehension,  # type: ignore[dict-item]
    cst.GeneratorExp: Frame.ev_comprehension,  # type: ignore[dict-item]
    cst.DictComp: Frame.ev_comprehension,  # type: ignore[dict-item]
    cst.BinaryOperation: Frame.ev_binary,  # type: ignore[dict-item]
    cst.BooleanOperation: Frame.ev_boolean,  # type: ignore[dict-item]
    cst.Comparison: Frame.ev_compare,  # type: ignore[dict-item]
    cst.UnaryOperation: Frame.ev_unary,  # type: ignore[dict-item]
    cst.IfExp: Frame.ev_ifexp,  # type: ignore[dict-item]
    cst.Lambda: Frame.ev_lambda,  # type: ignore[dict-item]
    cst.Await: Frame.ev_await,  # type: ignore[dict-item]
    cst.Yield: Frame.ev_yield,  # type: ignore[dict-item]
    cst.NamedExpr: Frame.ev_named,  # type: ignore[dict-item]
    cst.StarredElement: Frame.ev_starred,  # type: ignore[dict-item]
}
