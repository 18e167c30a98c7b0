"""The project's module table: dotted names for files (regular packages, and folders
without `__init__.py` that scripts import by path), and the index of every module."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import libcst as cst

from scanner.discover.files import SourceFile
from scanner.parse.source import ParsedFile
from scanner.resolve.index import ModuleBuilder, ModuleInfo
from scanner.resolve.modnames import importable_parts, module_name_for


@dataclass
class ProjectIndex:
    """All modules of the scanned project, by dotted name."""

    modules: dict[str, list[ModuleInfo]] = field(default_factory=dict)

    def all_modules(self) -> Iterator[ModuleInfo]:
        """Every module, in a stable order."""
        for name in sorted(self.modules):
            yield from self.modules[name]

    def find_module(self, name: str, near: ModuleInfo | None = None) -> ModuleInfo | None:
        """The project module called `name` (preferring one in `near`'s directory)."""
        candidates = self.modules.get(name)
        if not candidates:
            return None
        if len(candidates) == 1 or near is None:
            return candidates[0]
        here = PurePosixPath(near.relpath).parent
        for c in candidates:
            if PurePosixPath(c.relpath).parent == here:
                return c
        return candidates[0]


def build_index(files: list[ParsedFile], root: Path) -> ProjectIndex:
    """Index every parsed file: module names, functions, methods, classes.

    Besides its name as Python computes it from `__init__.py` files, a module answers to
    every dotted suffix of its path from the scan root (`app.jobs.mail`, `jobs.mail`,
    `mail`) unless a module has that name itself, and a folder without `__init__.py`
    is a namespace package (`import app.jobs` works), so scripts and PEP 420 packages
    that import each other by path resolve like regular packages."""
    package_dirs = set()
    for f in files:
        pure = PurePosixPath(f.relpath)
        if pure.name == "__init__.py":
            parent = pure.parent.as_posix()
            package_dirs.add("" if parent == "." else parent)
    index = ProjectIndex()
    aliases: list[tuple[str, ModuleInfo]] = []
    folders: set[str] = set()
    for f in files:
        name, is_package = module_name_for(f.relpath, package_dirs, root.resolve().name)
        path_parts = importable_parts(f.relpath)
        module = ModuleInfo(name, f, is_package)
        if path_parts is not None:
            dir_parts = path_parts if is_package else path_parts[:-1]
            module.folder = ".".join(dir_parts)
            folders.update(".".join(dir_parts[:i]) for i in range(1, len(dir_parts) + 1)
                           if "/".join(dir_parts[:i]) not in package_dirs)
            aliases.extend((".".join(path_parts[i:]), module) for i in range(len(path_parts)))
        ModuleBuilder(module).build()
        index.modules.setdefault(name, []).append(module)
    for folder in sorted(folders - set(index.modules)):
        index.modules[folder] = [_namespace_package(folder, root)]
        parts = folder.split(".")
        aliases.extend((".".join(parts[i:]), index.modules[folder][0]) for i in range(1, len(parts)))
    canonical = set(index.modules)
    for alias, module in aliases:
        if alias and alias not in canonical and module not in index.modules.get(alias, []):
            index.modules.setdefault(alias, []).append(module)
    return index


def _namespace_package(dotted: str, root: Path) -> ModuleInfo:
    """An empty module standing for a folder without `__init__.py` (PEP 420)."""
    relpath = dotted.replace(".", "/") + "/"
    source = SourceFile(root / relpath, relpath)
    module = ModuleInfo(dotted, ParsedFile(source, "", cst.parse_module("")), True)
    module.folder = dotted
    return ModuleBuilder(module).build()
