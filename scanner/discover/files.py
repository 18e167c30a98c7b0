"""Find the Python files to scan under the given paths, honouring excludes.

A submitted tree may be hostile: only regular files are returned for reading; FIFOs,
devices and sockets, symlink loops and symlinks that lead outside the scan root are
listed as skipped (never opened, never fatal). Containment is decided on resolved paths
(`Path.is_relative_to`), never by comparing strings."""

from __future__ import annotations

import errno
import fnmatch
import os
import stat
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePosixPath

from scanner.model import SkippedFile, SkipReason

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


@dataclass
class Discovery:
    """What discovery found: files to read, files listed as skipped, notes."""

    files: list[SourceFile]
    skipped: list[SkippedFile]
    notes: list[str]


def _excluded(relpath: str, patterns: list[str]) -> bool:
    """Does a pattern match the whole path, its last parts (as `PurePath.match` does) or
    any one part?"""
    parts = PurePosixPath(relpath).parts
    for pattern in patterns:
        if fnmatch.fnmatchcase(relpath, pattern):
            return True
        tail = _pattern_parts(pattern)
        if tail and len(tail) <= len(parts) and all(
                fnmatch.fnmatchcase(part, want) for part, want in zip(parts[-len(tail):], tail)):
            return True
        if any(fnmatch.fnmatchcase(part, pattern) for part in parts):
            return True
    return False


@lru_cache(maxsize=1024)
def _pattern_parts(pattern: str) -> tuple[str, ...]:
    """The parts a relative pattern matches from the right (none for an absolute one)."""
    pure = PurePosixPath(pattern)
    return () if pure.is_absolute() else pure.parts


def relative_posix(path: Path, root: Path) -> str:
    """`path` relative to `root` with forward slashes (absolute if outside the root)."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def _vet(path: Path, rel: str, root: Path, contain: bool = True) -> SourceFile | SkippedFile:
    """`path` as a file to read, or why it is not read (nothing is opened here).

    `contain`: refuse a file whose resolved path is outside `root` (false for a path
    given by the user)."""
    try:
        real = path.resolve(strict=True)
    except RuntimeError:
        return SkippedFile(rel, SkipReason.SYMLINK_LOOP, "a symlink loop; not followed")
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return SkippedFile(rel, SkipReason.SYMLINK_LOOP, "a symlink loop; not followed")
        return SkippedFile(rel, SkipReason.UNREADABLE, exc.strerror or str(exc))
    if contain and not real.is_relative_to(root):
        return SkippedFile(rel, SkipReason.OUTSIDE_ROOT,
                           "a symlink pointing outside the scan root; not read")
    try:
        mode = os.stat(real, follow_symlinks=False).st_mode
    except OSError as exc:
        return SkippedFile(rel, SkipReason.UNREADABLE, exc.strerror or str(exc))
    if not stat.S_ISREG(mode):
        return SkippedFile(rel, SkipReason.NOT_A_REGULAR_FILE,
                           "not a regular file (FIFO, device or socket); never read")
    return SourceFile(real, rel)


def find_files(
    paths: list[Path], root: Path, excludes: list[str], default_excludes: bool = True
) -> Discovery:
    """Python files under `paths` (sorted, unique), the ones listed as skipped, and notes.

    Directory symlinks are not followed (a hostile tree may loop)."""
    patterns = list(excludes) + (list(DEFAULT_EXCLUDES) if default_excludes else [])
    found: dict[str, SourceFile | SkippedFile] = {}
    notes: list[str] = []
    excluded = 0
    resolved_root = root.resolve()
    for start in paths:
        if not start.is_dir():
            rel = relative_posix(start.absolute(), resolved_root)
            found[rel] = _vet(start, rel, resolved_root, contain=False)
            continue
        for dirpath, dirnames, filenames in os.walk(start, followlinks=False):
            base = Path(dirpath)
            keep = []
            for d in sorted(dirnames):
                rel = relative_posix((base / d).absolute(), resolved_root)
                if (base / d).is_symlink() or _excluded(rel, patterns):
                    excluded += 1
                    continue
                keep.append(d)
            dirnames[:] = keep
            for name in sorted(filenames):
                if not name.endswith(PYTHON_SUFFIXES):
                    continue
                full = base / name
                rel = relative_posix(full.absolute(), resolved_root)
                if _excluded(rel, patterns):
                    excluded += 1
                    continue
                found[rel] = _vet(full, rel, resolved_root)
    if excluded:
        notes.append(f"{excluded} file(s) or folder(s) excluded by --exclude or default excludes")
    ordered = [found[k] for k in sorted(found)]
    files = [f for f in ordered if isinstance(f, SourceFile)]
    skipped = [f for f in ordered if isinstance(f, SkippedFile)]
    return Discovery(files, skipped, notes)


