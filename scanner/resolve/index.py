"""What each module, class and function of the project defines (the module table
itself is built in `project`). Built in one plain pass over each module's top level (no libcst metadata
providers: measured at several times the cost of the parse itself)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import libcst as cst

from scanner.parse.source import ParsedFile
from scanner.resolve.modnames import package_of

FunctionNode = cst.FunctionDef | cst.Lambda


@dataclass(eq=False)
class ParamInfo:
    """A parameter: its name, kind (`pos`, `kw`, `star`, `starstar`) and default."""

    name: str
    kind: str
    default: cst.BaseExpression | None = None


@dataclass(eq=False)
class FunctionInfo:
    """A function, method or lambda of the project."""

    qualname: str
    name: str
    node: FunctionNode
    module: ModuleInfo
    params: list[ParamInfo]
    cls: ClassInfo | None = None
    parent: FunctionInfo | None = None
    kind: str = "function"
    """function, method, staticmethod, classmethod or lambda."""
    is_generator: bool = False
    is_async: bool = False
    assigned: frozenset[str] = frozenset()
    global_names: frozenset[str] = frozenset()
    nonlocal_names: frozenset[str] = frozenset()
    nested: dict[cst.CSTNode, FunctionInfo] = field(default_factory=dict)
    nested_classes: dict[cst.CSTNode, ClassInfo] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"<function {self.qualname}>"

    @property
    def body(self) -> cst.BaseSuite | cst.BaseExpression:
        """The statements (or, for a lambda, the expression) to analyse."""
        return self.node.body

    @property
    def decorators(self) -> list[cst.BaseExpression]:
        """The decorator expressions, outermost first."""
        if isinstance(self.node, cst.FunctionDef):
            return [d.decorator for d in self.node.decorators]
        return []


@dataclass(eq=False)
class ClassInfo:
    """A class of the project."""

    qualname: str
    name: str
    node: cst.ClassDef
    module: ModuleInfo
    bases: list[cst.BaseExpression]
    methods: dict[str, FunctionInfo] = field(default_factory=dict)
    attributes: dict[str, cst.BaseExpression | None] = field(default_factory=dict)
    fields: list[str] = field(default_factory=list)
    """Annotated class-level names in order (dataclass / NamedTuple style fields)."""

    def __repr__(self) -> str:
        return f"<class {self.qualname}>"


@dataclass(eq=False)
class ModuleInfo:
    """A module of the project and its top-level definitions."""

    name: str
    parsed: ParsedFile
    is_package: bool
    functions: dict[str, FunctionInfo] = field(default_factory=dict)
    classes: dict[str, ClassInfo] = field(default_factory=dict)
    all_functions: list[FunctionInfo] = field(default_factory=list)
    assigned: frozenset[str] = frozenset()
    top_level: FunctionInfo | None = None
    """A pseudo-function standing for the module body."""
    folder: str = ""
    """The dotted path of the module's folder from the scan root ("" if at the root or
    not importable), for relative imports in folders without `__init__.py`."""

    @property
    def package(self) -> str:
        """The package relative imports start from."""
        return package_of(self.name, self.is_package, self.folder)

    @property
    def relpath(self) -> str:
        """Path relative to the scan root."""
        return self.parsed.relpath

    def __repr__(self) -> str:
        return f"<module {self.name}>"


_SKIPPED_FIELD_PREFIXES = (
    "whitespace", "lpar", "rpar", "comma", "semicolon", "colon", "leading_lines",
    "trailing_whitespace", "header", "footer", "lbracket", "rbracket", "lbrace", "rbrace",
    "equal", "dot", "newline", "indent", "asynchronous",
)
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def _child_fields(node_type: type) -> tuple[str, ...]:
    """The fields of a node type that may hold nodes we care about (not whitespace)."""
    found = _CHILD_FIELDS.get(node_type)
    if found is None:
        found = tuple(
            f.name for f in dataclasses.fields(node_type)
            if not f.name.startswith(_SKIPPED_FIELD_PREFIXES)
        )
        _CHILD_FIELDS[node_type] = found
    return found


class ScopeScanner:
    """Collects the names a scope binds, its global/nonlocal declarations, whether it
    yields, and the functions, lambdas and classes nested in it, without descending into
    nested scopes.

    A plain iterative walk over the dataclass fields of libcst nodes: libcst's visitor
    machinery (on_visit/on_leave dispatch for every node) costs several times more, and
    this pass runs over every function of every file."""

    def __init__(self) -> None:
        self.assigned: set[str] = set()
        self.globals: set[str] = set()
        self.nonlocals: set[str] = set()
        self.yields = False
        self.nested_defs: list[cst.FunctionDef] = []
        self.nested_lambdas: list[cst.Lambda] = []
        self.nested_classes: list[cst.ClassDef] = []

    def _targets(self, node: cst.CSTNode) -> None:
        if isinstance(node, cst.Name):
            self.assigned.add(node.value)
        elif isinstance(node, (cst.Tuple, cst.List)):
            for el in node.elements:
                self._targets(el.value)
        elif isinstance(node, cst.StarredElement):
            self._targets(node.value)

    def scan(self, roots: list[cst.CSTNode]) -> None:
        """Walk `roots` in source order."""
        stack: list[cst.CSTNode] = list(reversed(roots))
        while stack:
            node = stack.pop()
            if self._enter(node):
                children: list[cst.CSTNode] = []
                for name in _child_fields(type(node)):
                    value = getattr(node, name)
                    if isinstance(value, cst.CSTNode):
                        children.append(value)
                    elif isinstance(value, (list, tuple)):
                        children.extend(v for v in value if isinstance(v, cst.CSTNode))
                stack.extend(reversed(children))

    def _enter(self, node: cst.CSTNode) -> bool:
        """Record what `node` binds; False for a nested scope (not descended into)."""
        if isinstance(node, cst.FunctionDef):
            self.assigned.add(node.name.value)
            self.nested_defs.append(node)
            return False
        if isinstance(node, cst.ClassDef):
            self.assigned.add(node.name.value)
            self.nested_classes.append(node)
            return False
        if isinstance(node, cst.Lambda):
            self.nested_lambdas.append(node)
            return False
        if isinstance(node, (cst.AssignTarget, cst.AnnAssign, cst.AugAssign, cst.For, cst.NamedExpr)):
            self._targets(node.target)
        elif isinstance(node, cst.WithItem):
            if node.asname is not None:
                self._targets(node.asname.name)
        elif isinstance(node, cst.ExceptHandler):
            if node.name is not None and isinstance(node.name.name, cst.Name):
                self.assigned.add(node.name.name.value)
        elif isinstance(node, (cst.Import, cst.ImportFrom)):
            self._imports(node)
        elif isinstance(node, cst.Global):
            self.globals.update(n.name.value for n in node.names)
        elif isinstance(node, cst.Nonlocal):
            self.nonlocals.update(n.name.value for n in node.names)
        elif isinstance(node, cst.Yield):
            self.yields = True
        elif isinstance(node, (cst.MatchAs, cst.MatchStar)):
            if node.name is not None:
                self.assigned.add(node.name.value)
        elif isinstance(node, cst.MatchMapping) and node.rest is not None:
            self.assigned.add(node.rest.value)
        return True

    def _imports(self, node: cst.Import | cst.ImportFrom) -> None:
        if isinstance(node, cst.ImportFrom) and isinstance(node.names, cst.ImportStar):
            return
        for alias in node.names:  # type: ignore[union-attr]
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self.assigned.add(alias.asname.name.value)
            elif isinstance(node, cst.Import):
                self.assigned.add(_dotted(alias.name).split(".")[0])
            else:
                self.assigned.add(_dotted(alias.name))


def _dotted(node: cst.BaseExpression | cst.Attribute | cst.Name) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{_dotted(node.value)}.{node.attr.value}"
    return ""


def dotted_name(node: cst.CSTNode) -> str:
    """`a.b.c` for a Name/Attribute chain, else ""."""
    return _dotted(node) if isinstance(node, (cst.Name, cst.Attribute)) else ""


def _params(node: FunctionNode) -> list[ParamInfo]:
    ps = node.params
    result: list[ParamInfo] = []
    for p in list(ps.posonly_params) + list(ps.params):
        result.append(ParamInfo(p.name.value, "pos", p.default))
    if isinstance(ps.star_arg, cst.Param):
        result.append(ParamInfo(ps.star_arg.name.value, "star"))
    for p in ps.kwonly_params:
        result.append(ParamInfo(p.name.value, "kw", p.default))
    if ps.star_kwarg is not None:
        result.append(ParamInfo(ps.star_kwarg.name.value, "starstar"))
    return result


def getattr_names(body: cst.CSTNode) -> set[str]:
    """The names passed as the attribute name of `getattr(obj, name, ...)` calls in a
    function body (nested functions included)."""
    found: set[str] = set()
    stack: list[cst.CSTNode] = [body]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == "getattr" \
                and len(node.args) >= 2 and isinstance(node.args[1].value, cst.Name):
            found.add(node.args[1].value.value)
        for name in _child_fields(type(node)):
            value = getattr(node, name)
            if isinstance(value, cst.CSTNode):
                stack.append(value)
            elif isinstance(value, (list, tuple)):
                stack.extend(v for v in value if isinstance(v, cst.CSTNode))
    return found


def scan_scope(body: cst.CSTNode) -> ScopeScanner:
    """What one scope (a module, or a function's body) binds and nests."""
    scanner = ScopeScanner()
    scanner.scan(list(body.body) if isinstance(body, cst.Module) else [body])
    return scanner


class ModuleBuilder:
    """Builds FunctionInfo/ClassInfo objects for one module, recursively."""

    def __init__(self, module: ModuleInfo) -> None:
        self.module = module

    def build(self) -> ModuleInfo:
        """Fill the module's top-level functions, classes and names (and a pseudo-function
        standing for its body)."""
        module, name = self.module, self.module.name
        scope = scan_scope(module.parsed.module)
        module.assigned = frozenset(scope.assigned)
        top = FunctionInfo(f"{name}.<module>", "<module>", cst.Lambda(
            params=cst.Parameters(), body=cst.Name("None")), module, [], kind="module")
        top.assigned = frozenset(scope.assigned)
        module.top_level = top
        for d in scope.nested_defs:
            info = self.function(d, f"{name}.{d.name.value}", None, None)
            module.functions[d.name.value] = info
            top.nested[d] = info
        for lam in scope.nested_lambdas:
            top.nested[lam] = self.function(lam, f"{name}.<lambda>", None, None)
        for c in scope.nested_classes:
            cinfo = self.klass(c, f"{name}.{c.name.value}", None)
            module.classes[c.name.value] = cinfo
            top.nested_classes[c] = cinfo
        return module

    def function(self, node: FunctionNode, qualname: str, cls: ClassInfo | None,
                 parent: FunctionInfo | None) -> FunctionInfo:
        """The FunctionInfo of a def or lambda (and, recursively, of what it nests)."""
        name = node.name.value if isinstance(node, cst.FunctionDef) else "<lambda>"
        kind = "lambda" if isinstance(node, cst.Lambda) else "function"
        if cls is not None and isinstance(node, cst.FunctionDef):
            kind = "method"
            for dec in node.decorators:
                dname = dotted_name(dec.decorator)
                if dname in ("staticmethod", "classmethod"):
                    kind = dname
        info = FunctionInfo(qualname, name, node, self.module, _params(node), cls, parent, kind)
        info.is_async = isinstance(node, cst.FunctionDef) and node.asynchronous is not None
        scope = scan_scope(node.body)
        info.is_generator = scope.yields
        info.assigned = frozenset(scope.assigned | {p.name for p in info.params})
        info.global_names = frozenset(scope.globals)
        info.nonlocal_names = frozenset(scope.nonlocals)
        self.module.all_functions.append(info)
        self._children(scope, info, qualname)
        return info

    def _children(self, scope: ScopeScanner, owner: FunctionInfo, prefix: str) -> None:
        for d in scope.nested_defs:
            owner.nested[d] = self.function(d, f"{prefix}.<locals>.{d.name.value}", None, owner)
        for lam in scope.nested_lambdas:
            owner.nested[lam] = self.function(lam, f"{prefix}.<lambda>", None, owner)
        for c in scope.nested_classes:
            owner.nested_classes[c] = self.klass(c, f"{prefix}.<locals>.{c.name.value}", owner)

    def klass(self, node: cst.ClassDef, qualname: str, parent: FunctionInfo | None) -> ClassInfo:
        """The ClassInfo of a class: methods, class attributes and annotated fields."""
        info = ClassInfo(qualname, node.name.value, node, self.module,
                         [a.value for a in node.bases if a.keyword is None])
        body = node.body.body if isinstance(node.body, cst.IndentedBlock) else ()
        for stmt in body:
            if isinstance(stmt, cst.FunctionDef):
                info.methods[stmt.name.value] = self.function(
                    stmt, f"{qualname}.{stmt.name.value}", info, parent)
            elif isinstance(stmt, cst.ClassDef):
                pass
            elif isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    if isinstance(small, cst.Assign):
                        for t in small.targets:
                            if isinstance(t.target, cst.Name):
                                info.attributes[t.target.value] = small.value
                    elif isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
                        info.attributes[small.target.value] = small.value
                        info.fields.append(small.target.value)
        return info
