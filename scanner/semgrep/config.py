"""Find and read the semgrep rule files: the bundled `rulesets/semgrep/*.yaml` and a
`semgrep/` folder inside each `--ruleset` directory.

Each semgrep rule names the sellerscan rule it reports under (`metadata.sellerscan-rule`,
documented like every other rule in a ruleset's `rules:`), optionally the words a file
must contain for it to match (`sellerscan-keywords`: when every rule has them, only the
files containing one are given to semgrep, and none means semgrep is not started), the taint rules whose finding on the same line supersedes it (`sellerscan-dedupe`)
and the destination its findings report (`sellerscan-destination`, `sellerscan-sink-kind`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from scanner.model import SinkKind
from scanner.rules.document import RulesetError
from scanner.rules.loader import bundled_ruleset_dir
from scanner.rules.schema import RuleSet

SEMGREP_DIR = "semgrep"
META_PREFIX = "sellerscan-"

_SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader when PyYAML has it (ten times faster), else the Python one."""


@dataclass(frozen=True)
class SemgrepRule:
    """What sellerscan needs to know about one semgrep rule."""

    id: str
    rule_id: str
    """The sellerscan rule (with docs, severity) its findings are reported under."""
    keywords: tuple[str, ...] = ()
    """Lower-case words one of which a file must contain to match; empty: always run."""
    dedupe: tuple[str, ...] = ()
    destination: str = "credential"
    sink_kind: SinkKind = SinkKind.SOURCE_CODE


@dataclass(frozen=True)
class SemgrepRules:
    """The semgrep rule files to pass to semgrep and their rules by id."""

    files: tuple[Path, ...]
    rules: dict[str, SemgrepRule]
    entries: tuple[dict[str, Any], ...] = ()
    """The semgrep rules as read (YAML anchors resolved), in file order."""

    def write_config(self, folder: Path) -> Path:
        """Write every rule into one JSON config file in `folder` (semgrep's native
        engine reads JSON but not YAML anchors) and return its path."""
        path = folder / "sellerscan-rules.json"
        path.write_text(json.dumps({"rules": list(self.entries)}), encoding="utf-8")
        return path

    def needs_all_files(self) -> bool:
        """True when some rule has no keywords (the keyword pre-filter cannot be used)."""
        return any(not rule.keywords for rule in self.rules.values())

    def keywords(self) -> set[str]:
        """Every rule's keywords."""
        return {k for rule in self.rules.values() for k in rule.keywords}


def semgrep_rule_files(extra: list[Path], include_bundled: bool) -> list[Path]:
    """The semgrep rule files: bundled ones first, then each `--ruleset` folder's."""
    folders = [bundled_ruleset_dir() / SEMGREP_DIR] if include_bundled else []
    folders += [p / SEMGREP_DIR for p in extra if p.is_dir()]
    files: list[Path] = []
    for folder in folders:
        if folder.is_dir():
            files += sorted(p for p in folder.iterdir()
                            if p.suffix in (".yaml", ".yml") and p.is_file())
    return files


def load_semgrep_rules(extra: list[Path], include_bundled: bool, ruleset: RuleSet) -> SemgrepRules:
    """Read the semgrep rule files; raise `RulesetError` when a rule names no known
    sellerscan rule, two rules share an id, or a file is not a semgrep rule file."""
    problems: list[tuple[str, int, str]] = []
    rules: dict[str, SemgrepRule] = {}
    kept: list[dict[str, Any]] = []
    files = semgrep_rule_files(extra, include_bundled)
    for path in files:
        try:
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=_SAFE_LOADER)
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            problems.append((str(path), 0, f"cannot read semgrep rules: {exc}"))
            continue
        entries = data.get("rules") if isinstance(data, dict) else None
        if not isinstance(entries, list):
            problems.append((str(path), 0, "a semgrep rule file needs a `rules:` list"))
            continue
        for entry in entries:
            rule = _rule(entry, ruleset, str(path), problems)
            if rule is not None and rule.id in rules:
                problems.append((str(path), 0, f"semgrep rule id {rule.id!r} is used twice"))
            elif rule is not None:
                rules[rule.id] = rule
                kept.append(entry)
    if problems:
        raise RulesetError(problems)
    return SemgrepRules(tuple(files), rules, tuple(kept))


def _rule(entry: Any, ruleset: RuleSet, label: str,
          problems: list[tuple[str, int, str]]) -> SemgrepRule | None:
    if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
        problems.append((label, 0, "every semgrep rule needs an `id`"))
        return None
    found = entry.get("metadata")
    meta: dict[str, Any] = found if isinstance(found, dict) else {}
    rule_id = meta.get(META_PREFIX + "rule")
    if rule_id not in ruleset.rules:
        text = (f"semgrep rule {entry['id']!r}: metadata.sellerscan-rule {rule_id!r} is not "
                "a rule of the loaded rulesets")
        problems.append((label, 0, text))
        return None
    kind_text = meta.get(META_PREFIX + "sink-kind", SinkKind.SOURCE_CODE.value)
    try:
        kind = SinkKind(kind_text)
    except ValueError:
        problems.append((label, 0, f"semgrep rule {entry['id']!r}: unknown sink kind {kind_text!r}"))
        return None
    return SemgrepRule(
        id=entry["id"], rule_id=rule_id,
        keywords=tuple(str(k).lower() for k in meta.get(META_PREFIX + "keywords", []) or []),
        dedupe=tuple(str(d) for d in meta.get(META_PREFIX + "dedupe", []) or []),
        destination=str(meta.get(META_PREFIX + "destination", "credential")), sink_kind=kind,
    )
