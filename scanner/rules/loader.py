"""Load rulesets from YAML, validate them, and merge them into one `RuleSet`.

Every problem is reported with the file and line it was found on; all problems of all
files are collected before `RulesetError` is raised, so an author fixes them in one go:
first the structural ones (`validate`: the JSON Schema `ruleset.schema.json`), then,
once every file has the right structure, the semantic ones (`builder`: unknown shapes
and rules, bad call patterns).
Later rulesets (a user's `--ruleset`) override earlier ones (the bundled catalog): an
entry with the same id replaces the earlier one, and their policy entries are consulted
first. A ruleset may also `disable:` ids of entries it does not want.
"""

from __future__ import annotations

import functools
import os
import stat
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

from scanner.options import DEFAULT_MAX_RULESET_BYTES
from scanner.rules.builder import build_ruleset
from scanner.rules.document import RulesetError
from scanner.rules.patterns import PatternIndex
from scanner.rules.schema import RuleSet
from scanner.rules.validate import schema_problems
from scanner.rules.yamlload import YamlError, load_yaml

__all__ = ["RulesetError", "build_index", "build_ruleset", "load_ruleset_texts", "load_rulesets"]


def bundled_ruleset_dir() -> Path:
    """The directory of the rulesets shipped with sellerscan."""
    return Path(str(resources.files("scanner.rulesets")))


def ruleset_files(path: Path) -> list[Path]:
    """The YAML files a `--ruleset` argument names: a file, or a directory's *.yaml/*.yml."""
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
    return [path]


def read_ruleset_file(path: Path, max_bytes: int) -> str:
    """The text of a ruleset file: a regular file (opened without blocking) of at most
    `max_bytes`; raises OSError or ValueError (with the reason) otherwise."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise ValueError("not a regular file")
        if info.st_size > max_bytes:
            raise ValueError(f"{info.st_size} bytes exceeds the ruleset size limit of {max_bytes} "
                             "bytes (--max-ruleset-size)")
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ValueError(f"exceeds the ruleset size limit of {max_bytes} bytes (--max-ruleset-size)")
    return data.decode("utf-8")


def load_rulesets(extra: Iterable[Path] = (), include_bundled: bool = True,
                  max_bytes: int = DEFAULT_MAX_RULESET_BYTES) -> RuleSet:
    """Load the bundled rulesets and then each extra path; raise RulesetError if any is bad
    (or a file is larger than `max_bytes`)."""
    paths: list[Path] = []
    if include_bundled:
        paths.extend(ruleset_files(bundled_ruleset_dir()))
    problems: list[tuple[str, int, str]] = []
    for p in extra:
        if not p.exists():
            problems.append((str(p), 0, "no such ruleset file or directory"))
            continue
        found = ruleset_files(p)
        if not found:
            problems.append((str(p), 0, "directory holds no *.yaml ruleset"))
        paths.extend(found)
    if problems:
        raise RulesetError(problems)
    texts: list[tuple[str, str]] = []
    for path in paths:
        label = str(path)
        try:
            texts.append((label, read_ruleset_file(path, max_bytes)))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            problems.append((label, 0, f"cannot read: {exc}"))
    if problems:
        raise RulesetError(problems)
    bundled = frozenset(str(p) for p in ruleset_files(bundled_ruleset_dir())) if include_bundled \
        else frozenset()
    return _built(tuple(texts), bundled)


@functools.lru_cache(maxsize=8)
def _built(texts: tuple[tuple[str, str], ...], bundled: frozenset[str]) -> RuleSet:
    """The ruleset of these (label, text) files, built once per process (a batch loads
    the same files for every app); the bundled files skip the schema check (their tests
    validate them), the others do not."""
    documents: list[tuple[str, Any]] = []
    problems: list[tuple[str, int, str]] = []
    for label, text in texts:
        try:
            documents.append((label, load_yaml(text)))
        except YamlError as exc:
            problems.append((label, exc.line, str(exc)))
    if problems:
        raise RulesetError(problems)
    return validate_and_build(documents, bundled)


def validate_and_build(documents: list[tuple[str, Any]],
                       trusted: frozenset[str] = frozenset()) -> RuleSet:
    """Check every document (except the `trusted` labels) against the ruleset schema
    (raising RulesetError with each structural problem of every file), then build and
    merge them (semantic checks)."""
    problems = [(label, line, message) for label, doc in documents if label not in trusted
                for line, message in schema_problems(doc)]
    if problems:
        raise RulesetError(problems)
    return build_ruleset(documents)


def load_ruleset_texts(texts: list[tuple[str, str]], include_bundled: bool = True) -> RuleSet:
    """Like `load_rulesets`, from (label, YAML text) pairs (for tests and tools)."""
    documents: list[tuple[str, Any]] = []
    problems: list[tuple[str, int, str]] = []
    if include_bundled:
        for path in ruleset_files(bundled_ruleset_dir()):
            documents.append((str(path), load_yaml(path.read_text(encoding="utf-8"))))
    for label, text in texts:
        try:
            documents.append((label, load_yaml(text)))
        except YamlError as exc:
            problems.append((label, exc.line, str(exc)))
    if problems:
        raise RulesetError(problems)
    return validate_and_build(documents)


def build_index(items: Iterable[Any]) -> PatternIndex:
    """Index entries (with a `patterns` attribute) by their call patterns."""
    index = PatternIndex()
    for item in items:
        for pattern in item.patterns:
            index.add(pattern, item)
    return index
