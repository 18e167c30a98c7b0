"""Name resolution: what a module-level name or an import denotes, and the order in
which modules depend on each other.

This layer knows the project's structure only (modules, functions, classes, imports);
it never evaluates code. Where a name is a module global of another project module
(`from config import CLIENT`), it answers with an `ImportedMember`, which the engine
resolves against what the analysis has stored for that global."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import libcst as cst

from scanner.resolve.index import ModuleInfo, dotted_name
from scanner.resolve.project import ProjectIndex
from scanner.resolve.refs import AnyRef, ClassRef, ExtRef, FuncRef, ModuleRef
from scanner.rules.patterns import Segment, ref_from_dotted


@dataclass(frozen=True)
class ModuleImport:
    """`import dotted` (bound to its first part) or `import dotted as alias`."""

    dotted: str


@dataclass(frozen=True)
class FromImport:
    """`from base import name` (`base` already made absolute for relative imports)."""

    base: str
    name: str


Binding = ModuleImport | FromImport


@dataclass(frozen=True)
class ImportedMember:
    """The module-level name `name` of project module `module`, whose value depends on
    what the analysis stores for it."""

    module: ModuleInfo
    name: str


Target = frozenset[AnyRef] | ImportedMember
"""What one binding of a name denotes: fixed references (empty: nothing known), or a
global of another project module."""


class NameResolver:
    """Resolves names and imports over a `ProjectIndex` (results are cached per module)."""

    def __init__(self, index: ProjectIndex) -> None:
        self.index = index
        self._imports: dict[int, dict[str, list[Binding]]] = {}
        self._public: dict[int, frozenset[str]] = {}

    def member_targets(self, module: ModuleInfo, name: str) -> list[Target]:
        """What the module-level `name` of `module` is bound to, before any code runs:
        a function, a class, its imports, a submodule, or else a builtin. An empty list
        means a plain global assigned in the module (only the analysis knows its value)."""
        if name in module.functions:
            return [frozenset([FuncRef(module.functions[name])])]
        if name in module.classes:
            return [frozenset([ClassRef(module.classes[name])])]
        targets = [self.binding_target(module, b) for b in self.imports(module).get(name, [])]
        if targets:
            return targets
        sub = self.index.find_module(f"{module.name}.{name}", module)
        if sub is not None:
            return [frozenset([ModuleRef(sub)])]
        if name in module.assigned:
            return []
        return [frozenset([ExtRef((Segment(name),))])]

    def imports(self, module: ModuleInfo) -> dict[str, list[Binding]]:
        """The names bound by the module's top-level imports (including those under
        `if`/`try`/`with`), each with every binding found for it, in source order."""
        cached = self._imports.get(id(module))
        if cached is not None:
            return cached
        table: dict[str, list[Binding]] = {}
        stars: list[str] = []
        for node in _top_level_imports(module.parsed.module.body):
            if isinstance(node, cst.ImportFrom) and isinstance(node.names, cst.ImportStar):
                stars.append(import_base(node, module))
            for name, binding in bindings_of(node, module):
                table.setdefault(name, []).append(binding)
        own = set(module.functions) | set(module.classes) | set(module.assigned) | set(table)
        for base in stars:
            source = self.index.find_module(base, module)
            if source is None or source is module:
                continue
            for name in sorted(self.public_names(source) - own):
                table.setdefault(name, []).append(FromImport(base, name))
        self._imports[id(module)] = table
        return table

    def public_names(self, module: ModuleInfo) -> frozenset[str]:
        """The names `from module import *` binds: its `__all__` when that is a constant
        list or tuple, else its module-level names not starting with `_`, including those
        it star-imports itself (through any cycle of star imports)."""
        cached = self._public.get(id(module))
        if cached is None:
            cached = frozenset(self._public_names(module, set()))
            self._public[id(module)] = cached
        return cached

    def _public_names(self, module: ModuleInfo, visiting: set[int]) -> set[str]:
        declared = constant_all(module.parsed.module)
        if declared is not None:
            return declared
        if id(module) in visiting:
            return set()
        visiting.add(id(module))
        names = set(module.functions) | set(module.classes) | set(module.assigned)
        for node in _top_level_imports(module.parsed.module.body):
            if isinstance(node, cst.ImportFrom) and isinstance(node.names, cst.ImportStar):
                source = self.index.find_module(import_base(node, module), module)
                if source is not None and source is not module:
                    names |= self._public_names(source, visiting)
            names.update(name for name, _ in bindings_of(node, module))
        return {name for name in names if not name.startswith("_")}

    def binding_target(self, importer: ModuleInfo, binding: Binding) -> Target:
        """What one import binding of `importer` denotes."""
        if isinstance(binding, ModuleImport):
            return self.module_refs(binding.dotted, importer)
        base, name = binding.base, binding.name
        mod = self.index.find_module(base, importer) if base else None
        if mod is not None:
            if mod is importer and name not in mod.functions and name not in mod.classes:
                sub = self.index.find_module(f"{base}.{name}", importer)
                return frozenset([ModuleRef(sub)]) if sub else frozenset()
            return ImportedMember(mod, name)
        sub = self.index.find_module(f"{base}.{name}" if base else name, importer)
        if sub is not None:
            return frozenset([ModuleRef(sub)])
        return frozenset([ExtRef(ref_from_dotted(f"{base}.{name}" if base else name))])

    def module_refs(self, dotted: str, importer: ModuleInfo | None = None) -> frozenset[AnyRef]:
        """What `import dotted` denotes: a project module, or an external name."""
        mod = self.index.find_module(dotted, importer)
        if mod is not None:
            return frozenset([ModuleRef(mod)])
        return frozenset([ExtRef(ref_from_dotted(dotted))])

    def import_targets(self, module: ModuleInfo, node: cst.Import | cst.ImportFrom) -> list[tuple[str, Target]]:
        """The names an import statement (anywhere in `module`) binds, with their targets."""
        return [(name, self.binding_target(module, b)) for name, b in bindings_of(node, module)]

    def imported_modules(self, module: ModuleInfo) -> list[ModuleInfo]:
        """The project modules `module` imports at its top level."""
        found: list[ModuleInfo] = []
        for bindings in self.imports(module).values():
            for binding in bindings:
                if isinstance(binding, ModuleImport):
                    names = [binding.dotted]
                else:
                    names = [binding.base, f"{binding.base}.{binding.name}"]
                for name in names:
                    dep = self.index.find_module(name, module) if name else None
                    if dep is not None and dep is not module:
                        found.append(dep)
        return found

    def dependency_order(self) -> list[ModuleInfo]:
        """Every module once, each after the modules it imports (cycles broken in index
        order), so module globals are known when another module reads them."""
        order: list[ModuleInfo] = []
        state: dict[int, int] = {}
        modules: list[ModuleInfo] = []
        seen: set[int] = set()
        for m in self.index.all_modules():
            if id(m) not in seen:
                seen.add(id(m))
                modules.append(m)
        for module in modules:
            if state.get(id(module), 0) != 0:
                continue
            stack = [(module, iter(self.imported_modules(module)))]
            state[id(module)] = 1
            while stack:
                current, deps = stack[-1]
                for dep in deps:
                    if state.get(id(dep), 0) == 0:
                        state[id(dep)] = 1
                        stack.append((dep, iter(self.imported_modules(dep))))
                        break
                else:
                    stack.pop()
                    state[id(current)] = 2
                    order.append(current)
        return order


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


def bindings_of(node: cst.Import | cst.ImportFrom, module: ModuleInfo) -> list[tuple[str, Binding]]:
    """The (local name, binding) pairs of one import statement in `module`."""
    result: list[tuple[str, Binding]] = []
    if isinstance(node, cst.Import):
        for alias in node.names:
            dotted = dotted_name(alias.name)
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                result.append((alias.asname.name.value, ModuleImport(dotted)))
            else:
                top = dotted.split(".")[0]
                result.append((top, ModuleImport(top)))
        return result
    base = import_base(node, module)
    if isinstance(node.names, cst.ImportStar):
        return result  # the names it binds depend on the imported module: see NameResolver.imports
    for alias in node.names:
        name = dotted_name(alias.name)
        local = alias.asname.name.value if alias.asname is not None and isinstance(alias.asname.name, cst.Name) else name
        result.append((local, FromImport(base, name)))
    return result


def import_base(node: cst.ImportFrom, module: ModuleInfo) -> str:
    """The absolute module name `from ... import` reads from in `module`."""
    level = len(node.relative)
    base = dotted_name(node.module) if node.module is not None else ""
    if level:
        package = module.package.split(".") if module.package else []
        if level > 1:
            package = package[: len(package) - (level - 1)]
        base = ".".join([p for p in package if p] + ([base] if base else []))
    return base


def constant_all(tree: cst.Module) -> set[str] | None:
    """The names of a module-level `__all__ = [...]` (or tuple) of string constants, or None."""
    for stmt in tree.body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            if not (isinstance(small, cst.Assign) and len(small.targets) == 1
                    and isinstance(small.targets[0].target, cst.Name)
                    and small.targets[0].target.value == "__all__"):
                continue
            if not isinstance(small.value, (cst.List, cst.Tuple)):
                return None
            names: set[str] = set()
            for element in small.value.elements:
                value = element.value
                if not isinstance(value, cst.SimpleString) or not isinstance(value.evaluated_value, str):
                    return None
                names.add(value.evaluated_value)
            return names
    return None
