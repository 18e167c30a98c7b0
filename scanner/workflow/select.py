"""Which discovered files to scan: `include`/`exclude` gitignore-style patterns of the
configuration (through `pathspec`) and, unless switched off, the `.gitignore` files from
the top of the git work tree down to each file's folder."""

from __future__ import annotations

from pathlib import Path

import pathspec

from scanner.discover.files import SourceFile

_PROBE = "sellerscan-probe"
"""A name no ignore pattern aimed at files names: to ask whether a folder is ignored."""


def _spec(patterns: list[str]) -> pathspec.GitIgnoreSpec:
    return pathspec.GitIgnoreSpec.from_lines(patterns)


def _relative(path: Path, base: Path) -> str | None:
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return None


def git_top(start: Path) -> Path | None:
    """The nearest folder at or above `start` that holds `.git`, or None."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return None


class GitIgnore:
    """The `.gitignore` files of a tree, read on first use."""

    def __init__(self, top: Path) -> None:
        self.top = top
        self._specs: dict[Path, pathspec.GitIgnoreSpec | None] = {}

    def _at(self, folder: Path) -> pathspec.GitIgnoreSpec | None:
        if folder not in self._specs:
            file = folder / ".gitignore"
            try:
                lines = file.read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                lines = []
            self._specs[folder] = _spec(lines) if lines else None
        return self._specs[folder]

    def ignored(self, path: Path) -> bool:
        """Whether git would ignore `path` (the deepest `.gitignore` that decides wins)."""
        rel = _relative(path, self.top)
        if rel is None:
            return False
        decision = False
        folder = self.top
        parts = rel.split("/")
        for depth in range(len(parts)):
            spec = self._at(folder)
            if spec is not None:
                result = spec.check_file("/".join(parts[depth:]))
                if result.include is not None:
                    decision = bool(result.include)
            folder = folder / parts[depth]
        return decision


def select_files(
    files: list[SourceFile], root: Path, base: Path, include: list[str], exclude: list[str],
    respect_gitignore: bool,
) -> tuple[list[SourceFile], int]:
    """The files to keep, and how many were left out. Patterns match paths relative to
    `base` (the configuration file's folder, else the scan root). `.gitignore` rules do
    not apply when the scan root itself lies in an ignored folder (scanning a vendored or
    installed package on purpose)."""
    inc = _spec(include) if include else None
    exc = _spec(exclude) if exclude else None
    top = git_top(root) if respect_gitignore else None
    ignore = GitIgnore(top) if top is not None else None
    if ignore is not None and ignore.ignored(root / _PROBE):
        ignore = None  # the scan root itself is in an ignored folder: the user chose it
    kept: list[SourceFile] = []
    for source in files:
        full = root / source.relpath
        rel = _relative(full, base) or source.relpath
        if inc is not None and not inc.match_file(rel):
            continue
        if exc is not None and exc.match_file(rel):
            continue
        if ignore is not None and ignore.ignored(full):
            continue
        kept.append(source)
    return kept, len(files) - len(kept)
