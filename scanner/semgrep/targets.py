"""The files semgrep scans: the Python files sellerscan discovered (including those the
taint engine could not parse) plus HTML/Jinja templates, found with the same excludes.
Also the keyword pre-filter: when every rule lists keywords, only files containing one
are given to semgrep (none: semgrep is not started)."""

from __future__ import annotations

import fnmatch
import os
from pathlib import Path, PurePosixPath

from scanner.discover.files import DEFAULT_EXCLUDES, SourceFile, relative_posix

TEMPLATE_SUFFIXES = (".html", ".htm", ".jinja", ".jinja2", ".j2")


def _excluded(relpath: str, patterns: list[str]) -> bool:
    """The same test as discovery's: the path, or any part of it, matches a pattern."""
    pure = PurePosixPath(relpath)
    return any(fnmatch.fnmatchcase(relpath, p) or pure.match(p)
               or any(fnmatch.fnmatchcase(part, p) for part in pure.parts) for p in patterns)


def template_files(paths: list[Path], root: Path, excludes: list[str],
                   default_excludes: bool) -> list[SourceFile]:
    """HTML/Jinja templates under `paths` (sorted), honouring the excludes; symlinks
    are not followed."""
    patterns = list(excludes) + (list(DEFAULT_EXCLUDES) if default_excludes else [])
    resolved_root = root.resolve()
    found: dict[str, SourceFile] = {}
    for start in paths:
        if start.is_file():
            if start.suffix in TEMPLATE_SUFFIXES:
                rel = relative_posix(start.resolve(), resolved_root)
                found[rel] = SourceFile(start.resolve(), rel)
            continue
        for dirpath, dirnames, filenames in os.walk(start, followlinks=False):
            base = Path(dirpath)
            dirnames[:] = sorted(
                d for d in dirnames if not (base / d).is_symlink()
                and not _excluded(relative_posix((base / d).absolute(), resolved_root), patterns))
            for name in sorted(filenames):
                full = base / name
                if not name.endswith(TEMPLATE_SUFFIXES) or full.is_symlink():
                    continue
                rel = relative_posix(full.absolute(), resolved_root)
                if not _excluded(rel, patterns):
                    found[rel] = SourceFile(full.resolve(), rel)
    return [found[k] for k in sorted(found)]


def files_mentioning(files: list[SourceFile], keywords: set[str],
                     max_bytes: int) -> list[SourceFile]:
    """The files that contain one of the keywords (compared case-insensitively, in
    their first `max_bytes`). Unreadable files are kept (semgrep decides)."""
    needles = [k.encode("utf-8") for k in keywords]
    kept = []
    for source in files:
        try:
            with open(source.path, "rb") as handle:
                data = handle.read(max_bytes).lower()
        except OSError:
            kept.append(source)
            continue
        if any(n in data for n in needles):
            kept.append(source)
    return kept
