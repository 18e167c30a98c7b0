"""Unit tests for name resolution: module names, imports, aliases, re-exports,
factories, module globals and `self` attributes resolve to the same external name."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.discover.files import SourceFile
from scanner.parse.source import ParsedFile, parse_file
from scanner.propagate.engine import Engine
from scanner.propagate.values import Value
from scanner.resolve.modnames import module_name_for
from scanner.resolve.names import ImportedMember, NameResolver
from scanner.resolve.project import ProjectIndex, build_index
from scanner.resolve.refs import ClassRef, ExtRef, FuncRef, InstanceRef, ModuleRef
from scanner.rules.loader import load_rulesets
from scanner.rules.patterns import ref_from_dotted, ref_text


def _project(tmp_path: Path, files: dict[str, str]) -> tuple[ProjectIndex, Engine]:
    index = _index(tmp_path, files)
    engine = Engine(index, load_rulesets())
    engine.run()
    return index, engine


def _ext(value: Value) -> set[str]:
    return {ref_text(r.path) for r in value.refs if isinstance(r, ExtRef)}


@pytest.mark.parametrize(
    ("relpath", "packages", "expected"),
    [
        ("app/main.py", {"app"}, ("app.main", False)),
        ("app/__init__.py", {"app"}, ("app", True)),
        ("src/app/sub/mod.py", {"src/app", "src/app/sub"}, ("app.sub.mod", False)),
        ("scripts/run.py", set(), ("run", False)),
        ("mod.py", {""}, ("root.mod", False)),
    ],
)
def test_module_names_follow_packages(relpath: str, packages: set[str], expected: tuple[str, bool]) -> None:
    assert module_name_for(relpath, packages, "root") == expected


def test_import_alias_and_from_import_alias(tmp_path: Path) -> None:
    index, engine = _project(tmp_path, {"app.py": (
        "import sp_api.api as spa\n"
        "from sp_api.api import Orders as O\n"
        "import mws\n"
    )})
    module = index.find_module("app")
    assert module is not None
    assert _ext(engine.module_member(module, "spa")) == {"sp_api.api"}
    assert _ext(engine.attribute(engine.module_member(module, "spa"), "Orders")) == {"sp_api.api.Orders"}
    assert _ext(engine.module_member(module, "O")) == {"sp_api.api.Orders"}
    assert _ext(engine.module_member(module, "mws")) == {"mws"}


def test_unknown_name_is_a_builtin_reference(tmp_path: Path) -> None:
    index, engine = _project(tmp_path, {"app.py": "x = 1\n"})
    module = index.find_module("app")
    assert module is not None
    assert _ext(engine.module_member(module, "print")) == {"print"}


def test_relative_imports_and_reexport_through_init(tmp_path: Path) -> None:
    index, engine = _project(tmp_path, {
        "pkg/__init__.py": "from .clients import make_client as factory\n",
        "pkg/clients.py": (
            "from sp_api.api import Orders\n"
            "CLIENT = Orders(credentials={})\n"
            "def make_client():\n    return Orders()\n"
        ),
        "pkg/sub/__init__.py": "",
        "pkg/sub/use.py": "from .. import factory\nfrom ..clients import CLIENT\nfrom . import helper\n",
        "pkg/sub/helper.py": "def f():\n    return 1\n",
    })
    use = index.find_module("pkg.sub.use")
    assert use is not None
    factory = engine.module_member(use, "factory")
    assert [r.func.qualname for r in factory.refs if isinstance(r, FuncRef)] == ["pkg.clients.make_client"]
    client = engine.module_member(use, "CLIENT")
    assert _ext(client) == {"sp_api.api.Orders()"}
    helper = engine.module_member(use, "helper")
    assert [r.module.name for r in helper.refs if isinstance(r, ModuleRef)] == ["pkg.sub.helper"]


def test_classes_methods_and_inherited_methods_resolve(tmp_path: Path) -> None:
    index, engine = _project(tmp_path, {"app.py": (
        "from sp_api.api import Orders\n"
        "class Base:\n"
        "    def __init__(self):\n        self.client = Orders()\n"
        "    def helper(self):\n        return 1\n"
        "class Child(Base):\n"
        "    pass\n"
        "class Remote(Orders):\n"
        "    pass\n"
    )})
    module = index.find_module("app")
    assert module is not None
    child = module.classes["Child"]
    method = engine.attribute(Value(refs=[InstanceRef(child)]), "helper")
    assert any(getattr(r, "func", None) is module.classes["Base"].methods["helper"] for r in method.refs)
    # `self.client = Orders()` in Base.__init__ is visible through a Child instance
    client = engine.attribute(Value(refs=[InstanceRef(child)]), "client")
    assert "sp_api.api.Orders()" in _ext(client)
    # an external base class: unknown attributes fall through to it
    remote = engine.attribute(Value(refs=[InstanceRef(module.classes["Remote"])]), "get_orders")
    assert _ext(remote) == {"sp_api.api.Orders().get_orders"}
    assert isinstance(next(iter(engine.module_member(module, "Child").refs)), ClassRef)


def _index(tmp_path: Path, files: dict[str, str]) -> ProjectIndex:
    parsed: list[ParsedFile] = []
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        outcome = parse_file(SourceFile(path, rel))
        assert isinstance(outcome, ParsedFile), outcome
        parsed.append(outcome)
    return build_index(parsed, tmp_path)


def test_name_resolver_alone_answers_imports_members_and_order(tmp_path: Path) -> None:
    """Name resolution is its own layer: no engine, no ruleset."""
    index = _index(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/config.py": "from sp_api.api import Orders as O\nCLIENT = O()\ndef make():\n    pass\n",
        "pkg/use.py": "import requests as rq\nfrom . import config\nfrom .config import CLIENT, make\n",
    })
    names = NameResolver(index)
    use, config = index.find_module("pkg.use"), index.find_module("pkg.config")
    assert use is not None and config is not None
    assert names.member_targets(use, "rq") == [frozenset([ExtRef(ref_from_dotted("requests"))])]
    pkg = index.find_module("pkg")
    assert pkg is not None
    # `from . import config` names pkg's member `config`, which is its submodule
    assert names.member_targets(use, "config") == [ImportedMember(pkg, "config")]
    assert names.member_targets(pkg, "config") == [frozenset([ModuleRef(config)])]
    assert names.member_targets(use, "CLIENT") == [ImportedMember(config, "CLIENT")]
    assert names.member_targets(use, "make") == [ImportedMember(config, "make")]
    assert names.member_targets(config, "make") == [frozenset([FuncRef(config.functions["make"])])]
    assert names.member_targets(config, "CLIENT") == []  # a plain global: only the analysis knows it
    assert names.member_targets(config, "len") == [frozenset([ExtRef(ref_from_dotted("len"))])]
    order = [m.name for m in names.dependency_order()]
    assert order.index("pkg.config") < order.index("pkg.use")
