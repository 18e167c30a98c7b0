"""Project classes as the analysis sees them: method resolution order, methods,
class attributes, instance attributes (from the store), and the PII an instance holds."""

from __future__ import annotations

from collections.abc import Callable

import libcst as cst

from scanner.propagate.records import field_key
from scanner.propagate.store import AttributeStore
from scanner.propagate.values import CLEAN, Value, join, wrap
from scanner.resolve.index import ClassInfo, FunctionInfo, ModuleInfo
from scanner.resolve.refs import BoundMethod, ClassRef, ExtRef, FuncRef, Holds, InstanceRef
from scanner.rules.patterns import Segment

StaticEvaluator = Callable[[ModuleInfo, cst.BaseExpression], Value]
"""Evaluates an expression in a module's global scope (base classes, class attributes)."""


class ObjectModel:
    """Answers questions about project classes and their instances."""

    def __init__(self, store: AttributeStore, eval_static: StaticEvaluator) -> None:
        self.store = store
        self.eval_static = eval_static
        self._mro: dict[int, list[ClassInfo | ExtRef]] = {}
        self._class_attrs: dict[tuple[int, str], Value] = {}
        self._methods: dict[str, list[FunctionInfo]] | None = None

    def only_method_named(self, name: str, modules: list[ModuleInfo]) -> FunctionInfo | None:
        """The method `name` when exactly one project class (of `modules`) defines it."""
        if self._methods is None:
            self._methods = {}
            for module in modules:
                for func in module.all_functions:
                    if func.cls is not None and func.kind == "method" and not func.name.startswith("__"):
                        self._methods.setdefault(func.name, []).append(func)
        candidates = self._methods.get(name, [])
        return candidates[0] if len({id(f.cls) for f in candidates}) == 1 else None

    def begin_pass(self) -> None:
        """Forget evaluated class attributes (the store they may read has changed)."""
        self._class_attrs.clear()

    def mro(self, cls: ClassInfo) -> list[ClassInfo | ExtRef]:
        """The class and its bases in method-resolution order (project and external)."""
        cached = self._mro.get(id(cls))
        if cached is None:
            cached = self._compute_mro(cls)
            self._mro[id(cls)] = cached
        return cached

    def _compute_mro(self, cls: ClassInfo) -> list[ClassInfo | ExtRef]:
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

    def dataclass_fields(self, cls: ClassInfo) -> list[str]:
        """The annotated class-level names of the class and its project bases, base first
        (the positional fields of a dataclass or NamedTuple)."""
        return [f for c in reversed(self.mro(cls)) if isinstance(c, ClassInfo) for f in c.fields]

    def instance_attr(self, cls: ClassInfo, name: str) -> Value:
        """`instance.name`: a bound method, or what the store holds for the attribute
        (plus the class attribute); an external base answers for names it may define."""
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
                values.append(self.store.read(field_key(c.qualname, name)))
                if name in c.attributes:
                    values.append(self.class_attr(c, name))
            else:
                external = True
                values.append(Value(refs=[ExtRef(c.path[:-1] + (Segment(c.path[-1].name, True),)).attr(name)]))
        if not external and not any(v.refs or v.facts for v in values):
            values.append(Value(refs=[ExtRef((Segment("?"), Segment(name)))]))
        return join(values)

    def class_attr(self, cls: ClassInfo, name: str) -> Value:
        """`Class.name`: a method, the class attribute's value (evaluated once per pass)
        joined with what the store holds for it, or the external base's attribute (which,
        if it is a collection, holds instances of this class: `Model.objects.all()`)."""
        method = self.find_method(cls, name)
        if method is not None:
            if method.kind == "classmethod":
                return Value(refs=[BoundMethod(method, frozenset([ClassRef(cls)]))])
            return Value(refs=[FuncRef(method)])
        for c in self.mro(cls):
            if isinstance(c, ClassInfo) and name in c.attributes:
                key = (id(c), name)
                if key not in self._class_attrs:
                    self._class_attrs[key] = CLEAN
                    expr = c.attributes[name]
                    value = self.eval_static(c.module, expr) if expr is not None else CLEAN
                    self._class_attrs[key] = value
                return join([self._class_attrs[key], self.store.read(field_key(c.qualname, name))])
            if isinstance(c, ExtRef):
                # A class attribute an external base provides (an ORM model's manager):
                # what it yields, if anything, are instances of this class.
                return Value(refs=[c.attr(name), Holds(frozenset([InstanceRef(cls)]))])
        return self.store.read(field_key(cls.qualname, name))

    def instance_facts(self, value: Value) -> Value:
        """`value` plus the PII held in the attributes of the project instances it refers
        to, each under its attribute name (an instance sent whole sends its fields)."""
        extra = [value]
        for ref in value.refs:
            if isinstance(ref, InstanceRef):
                for c in self.mro(ref.cls):
                    if isinstance(c, ClassInfo):
                        for name in self.store.fields_of(c.qualname):
                            extra.append(wrap(self.store.read(field_key(c.qualname, name)), name))
        return join(extra)
