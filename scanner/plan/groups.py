"""Groups of files that can reach each other: the weakly connected components of the
project's import graph, computed from the per-file facts without any syntax tree.

Edges over-approximate every way the name resolver (`scanner.resolve`) can get from one
module to another, so that analysing a group alone gives the findings the whole project
gives for it:

* an import joins the importer with *every* module answering to each name it may look up
  (the base of a `from`, each prefix of a dotted import, `base.name`), not only the one
  `ProjectIndex.find_module` would pick;
* a module joins every module answering to its parent package's name (`pkg.sub` is found
  from `pkg` without an import, and star imports bind submodules), folders without
  `__init__.py` included (namespace packages, as `scanner.resolve.project` builds them);
* modules with the same dotted name join (the analysis keys stored globals and instance
  attributes by name);
* a method defined by exactly one class of the whole project joins its file with every
  file that mentions the name (the engine infers `x.name(...)` as a call of it).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from scanner.plan.filefacts import FileFacts
from scanner.resolve.modnames import importable_parts, module_name_for, package_of


@dataclass
class _Module:
    name: str
    is_package: bool
    folder: str

    @property
    def package(self) -> str:
        return package_of(self.name, self.is_package, self.folder)


class _Union:
    """Union-find over node keys."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, key: str) -> str:
        root = self.parent.setdefault(key, key)
        while root != self.parent[root]:
            root = self.parent[root]
        while key != root:
            key, self.parent[key] = self.parent[key], root
        return root

    def join(self, first: str, others: Iterable[str]) -> None:
        for other in others:
            a, b = self.find(first), self.find(other)
            if a != b:
                self.parent[max(a, b)] = min(a, b)


@dataclass
class Groups:
    """The groups of a project (each a sorted tuple of relpaths, groups sorted) and the
    project-wide count of classes defining each method name."""

    groups: list[tuple[str, ...]] = field(default_factory=list)
    census: dict[str, int] = field(default_factory=dict)


def group_files(facts: list[FileFacts], root_name: str) -> Groups:
    """Split the parseable files (`facts`) into groups (see the module docstring)."""
    package_dirs: set[str] = set()
    for f in facts:
        pure = PurePosixPath(f.relpath)
        if pure.name == "__init__.py":
            parent = pure.parent.as_posix()
            package_dirs.add("" if parent == "." else parent)
    modules: dict[str, _Module] = {}
    answers: dict[str, list[str]] = {}
    aliases: list[tuple[str, str]] = []
    folders: set[str] = set()
    for f in facts:
        name, is_package = module_name_for(f.relpath, package_dirs, root_name)
        module = _Module(name, is_package, "")
        parts = importable_parts(f.relpath)
        if parts is not None:
            dir_parts = parts if is_package else parts[:-1]
            module.folder = ".".join(dir_parts)
            folders.update(".".join(dir_parts[:i]) for i in range(1, len(dir_parts) + 1)
                           if "/".join(dir_parts[:i]) not in package_dirs)
            aliases.extend((".".join(parts[i:]), f.relpath) for i in range(len(parts)))
        modules[f.relpath] = module
        answers.setdefault(name, []).append(f.relpath)
    for folder in sorted(folders - set(answers)):
        node = f"<namespace>/{folder}"
        answers[folder] = [node]
        split = folder.split(".")
        aliases.extend((".".join(split[i:]), node) for i in range(1, len(split)))
    canonical = set(answers)
    for alias, node in aliases:
        if alias and alias not in canonical and node not in answers.get(alias, []):
            answers.setdefault(alias, []).append(node)
    union = _Union()
    for name, nodes in answers.items():
        union.join(nodes[0], nodes[1:] if name in canonical else ())
        parent = name.rpartition(".")[0]
        if parent:
            for node in nodes:
                union.join(node, answers.get(parent, ()))
    for f in facts:
        wanted = _looked_up(f, modules[f.relpath])
        union.join(f.relpath, (n for name in wanted for n in answers.get(name, ())))
    census: dict[str, int] = {}
    owner: dict[str, str] = {}
    for f in facts:
        for method in f.methods:
            census[method] = census.get(method, 0) + 1
            owner[method] = f.relpath
    unique = {name: owner[name] for name, count in census.items() if count == 1}
    for f in facts:
        union.join(f.relpath, (unique[w] for w in f.words & unique.keys()))
    by_root: dict[str, list[str]] = {}
    for f in facts:
        by_root.setdefault(union.find(f.relpath), []).append(f.relpath)
    groups = sorted(tuple(sorted(members)) for members in by_root.values())
    return Groups(groups, census)


def _prefixes(dotted: str) -> list[str]:
    parts = [p for p in dotted.split(".") if p]
    return [".".join(parts[:i]) for i in range(1, len(parts) + 1)]


def _looked_up(facts: FileFacts, module: _Module) -> set[str]:
    """Every module name an import of the file may look up."""
    wanted: set[str] = set()
    for level, base, names in facts.imports:
        if not level and not names:
            for dotted in base.split(","):
                wanted.update(_prefixes(dotted))
            continue
        if level:
            package = module.package.split(".") if module.package else []
            if level > 1:
                package = package[: len(package) - (level - 1)]
            base = ".".join([p for p in package if p] + ([base] if base else []))
        wanted.update(_prefixes(base))
        wanted.update(f"{base}.{n}" if base else n for n in names if n != "*")
    return wanted
