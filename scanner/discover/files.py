"""Find the Python files to scan under the given paths, honouring excludes."""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

DEFAULT_EXCLUDES = (
    ".git", ".hg", ".svn", ".venv", "venv", ".tox", ".nox", "node_modules", "__pycache__",
    ".mypy_cache", ".pytest_cache", ".ruff_cache", "site-packages", ".eggs", "*.egg-info",
)
PYTHON_SUFFIXES = (".py", ".pyw")


@dataclass(frozen=True)
class SourceFile:
    """A file to scan: its absolute path and its path relative to the scan root."""

    path: Path
    relpath: str


def _excluded(relpath: str, patterns: list[str]) -> bool:
    pure = PurePosixPath(relpath)
    for pattern in patterns:
        if fnmatch.fnmatchcase(relpath, pattern) or pure.match(pattern):
            return True
        if any(fnmatch.fnmatchcase(part, pattern) for part in pure.parts):
            return True
    return False


def relative_posix(path: Path, root: Path) -> str:
    """`path` relative to `root` with forward slashes (absolute if outside the root)."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def discover_files(
    paths: list[Path], root: Path, excludes: list[str], default_excludes: bool = True
) -> tuple[list[SourceFile], list[str]]:
    """Python files under `paths` (sorted, unique) and notes on what was excluded.

    Directory symlinks are not followed (a hostile tree may loop); file symlinks that
    point outside the scan root are skipped."""
    patterns = list(excludes) + (list(DEFAULT_EXCLUDES) if default_excludes else [])
    found: dict[str, SourceFile] = {}
    notes: list[str] = []
    excluded = 0
    resolved_root = root.resolve()
    for start in paths:
        if start.is_file():
            rel = relative_posix(start.resolve(), resolved_root)
            found[rel] = SourceFile(start.resolve(), rel)
            continue
        for dirpath, dirnames, filenames in os.walk(start, followlinks=False):
            base = Path(dirpath)
            keep = []
            for d in sorted(dirnames):
                rel = relative_posix((base / d).resolve() if not (base / d).is_symlink() else base / d, resolved_root)
                if (base / d).is_symlink() or _excluded(rel, patterns):
                    excluded += 1
                    continue
                keep.append(d)
            dirnames[:] = keep
            for name in sorted(filenames):
                if not name.endswith(PYTHON_SUFFIXES):
                    continue
                full = base / name
                real = full.resolve()
                rel = relative_posix(full.absolute(), resolved_root)
                if full.is_symlink() and not real.is_relative_to(resolved_root):
                    notes.append(f"{rel}: skipped, a symlink pointing outside the scan root")
                    continue
                if _excluded(rel, patterns):
                    excluded += 1
                    continue
                found[rel] = SourceFile(real, rel)
    if excluded:
        notes.append(f"{excluded} file(s) or folder(s) excluded by --exclude or default excludes")
    return [found[k] for k in sorted(found)], notes
