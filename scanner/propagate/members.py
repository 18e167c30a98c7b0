"""Module-level names: what a module's global name is bound to statically (definitions,
imports, star imports, builtins, resolved through `scanner.resolve`), joined with what the
analysis stored into it, and the names an import statement binds."""

from __future__ import annotations

import libcst as cst

from scanner.propagate.records import global_key
from scanner.propagate.store import AttributeStore
from scanner.propagate.values import CLEAN, Value, join
from scanner.resolve.index import ModuleInfo
from scanner.resolve.names import ImportedMember, NameResolver, Target


class ModuleMembers:
    """The values of module-level names (static bindings cached per module and name)."""

    def __init__(self, names: NameResolver, store: AttributeStore) -> None:
        self.names = names
        self.store = store
        self._static: dict[tuple[int, str], Value] = {}
        self._resolving: set[tuple[int, str]] = set()

    def member(self, module: ModuleInfo, name: str) -> Value:
        """The value of the module-level name `name` of `module` (or a builtin): what it
        is bound to statically, joined with what the store holds for it (PII a function
        stored into a global)."""
        key = (id(module), name)
        static = self._static.get(key)
        if static is None:
            if key in self._resolving:
                return CLEAN
            self._resolving.add(key)
            try:
                static = join([self._target_value(t) for t in self.names.member_targets(module, name)])
            finally:
                self._resolving.discard(key)
            self._static[key] = static
        if name in module.assigned:
            stored = self.store.read(global_key(module.name, name))
            known = [v for v in (static, stored) if v.facts or v.refs or v.const is not None]
            return join(known)
        return static

    def import_bindings(self, module: ModuleInfo, node: cst.Import | cst.ImportFrom) -> list[tuple[str, Value]]:
        """The names an import statement inside a function binds, with their values."""
        return [(name, self._target_value(t)) for name, t in self.names.import_targets(module, node)]

    def _target_value(self, target: Target) -> Value:
        if isinstance(target, ImportedMember):
            return self.member(target.module, target.name)
        return Value(refs=target)
