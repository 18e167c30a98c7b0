"""Module names from file paths alone (no parse): what a file is imported as, which of
its path parts are importable, and where its relative imports start. The plan groups
files with these before any syntax tree exists."""

from __future__ import annotations

from pathlib import PurePosixPath


def module_name_for(relpath: str, package_dirs: set[str], root_name: str) -> tuple[str, bool]:
    """The dotted module name of a file, walking up through package directories.

    `package_dirs` holds root-relative directories containing an `__init__.py` ("" for
    the root itself, whose package name is `root_name`)."""
    pure = PurePosixPath(relpath)
    is_package = pure.name == "__init__.py"
    parts: list[str] = [] if is_package else [pure.stem]
    directory = pure.parent.as_posix()
    directory = "" if directory == "." else directory
    while directory in package_dirs:
        if directory == "":
            parts.insert(0, root_name)
            break
        parts.insert(0, PurePosixPath(directory).name)
        parent = PurePosixPath(directory).parent.as_posix()
        directory = "" if parent == "." else parent
    if not parts:
        parts = [root_name or "__init__"]
    return ".".join(parts), is_package


def importable_parts(relpath: str) -> list[str] | None:
    """The dotted parts of a file's path (without `.py`; a package's folder for an
    `__init__.py`), or None when a part is not a Python identifier."""
    pure = PurePosixPath(relpath)
    parts = list(pure.parent.parts) + ([] if pure.name == "__init__.py" else [pure.stem])
    if not parts or not all(p.isidentifier() for p in parts):
        return None
    return [p for p in parts if p != "."]


def package_of(name: str, is_package: bool, folder: str) -> str:
    """The package relative imports in module `name` start from: itself for a package,
    its folder's dotted path for a top-level module (a folder without `__init__.py`),
    else its parent."""
    if is_package:
        return name
    if "." not in name:
        return folder
    return name.rpartition(".")[0]
