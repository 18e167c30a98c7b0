"""Project configuration: `[tool.sellerscan]` in `pyproject.toml`, or `.sellerscan.toml`.

The file is looked for from the scanned path upward, stopping at the filesystem root or at
the top of a git work tree (a folder holding `.git`); in each folder `.sellerscan.toml`
wins over `pyproject.toml`. Paths in the file are relative to the file's folder. An
unknown key or a bad value is a `ConfigError` naming the key and the file."""

from __future__ import annotations

import difflib
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scanner.model import Severity

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

CONFIG_FILE = ".sellerscan.toml"
PYPROJECT = "pyproject.toml"
KEYS = ("include", "exclude", "respect-gitignore", "rulesets", "disable", "fail-on",
        "baseline", "jobs", "cache", "cache-dir")


class ConfigError(Exception):
    """A configuration file that cannot be read or holds an unknown key or a bad value."""


@dataclass
class Config:
    """The settings of a configuration file (defaults when there is none)."""

    path: Path | None = None
    """The file the settings came from."""
    include: list[str] = field(default_factory=list)
    """gitignore-style patterns; when given, only matching files are scanned."""
    exclude: list[str] = field(default_factory=list)
    """gitignore-style patterns of files and folders not to scan."""
    respect_gitignore: bool = True
    rulesets: list[Path] = field(default_factory=list)
    disable: list[str] = field(default_factory=list)
    """Rule ids whose findings are dropped."""
    fail_on: Severity | None = None
    """The least severe level that fails the run (None: any finding fails)."""
    baseline: Path | None = None
    jobs: int | None = None
    """Worker processes (default: one per CPU)."""
    cache: bool = True
    """Read and write the result cache."""
    cache_dir: Path | None = None
    """Folder of the result cache (default: the per-user cache folder)."""

    @property
    def base(self) -> Path | None:
        """The folder patterns and relative paths of the file are relative to."""
        return self.path.parent if self.path else None


def find_config(start: Path) -> Path | None:
    """The configuration file that applies to `start`, or None."""
    folder = start.resolve()
    if not folder.is_dir():
        folder = folder.parent
    for candidate in (folder, *folder.parents):
        own = candidate / CONFIG_FILE
        if own.is_file():
            return own
        pyproject = candidate / PYPROJECT
        if pyproject.is_file() and _has_section(pyproject):
            return pyproject
        if (candidate / ".git").exists():
            return None
    return None


def _has_section(path: Path) -> bool:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False
    tool = data.get("tool")
    return isinstance(tool, dict) and "sellerscan" in tool


def load_config(path: Path) -> Config:
    """Read and validate one configuration file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the configuration: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    if path.name == PYPROJECT:
        section: Any = data.get("tool", {}).get("sellerscan", {})
        prefix = "tool.sellerscan."
    else:
        section, prefix = data, ""
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: `{prefix.rstrip('.')}` must be a table")
    config = Config(path=path.resolve())
    for key, value in section.items():
        _apply(config, key, value, f"{path}: {prefix}{key}")
    return config


def _apply(config: Config, key: str, value: Any, where: str) -> None:
    base = config.base or Path.cwd()
    if key not in KEYS:
        close = difflib.get_close_matches(key, KEYS, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else f"; known keys: {', '.join(KEYS)}"
        raise ConfigError(f"{where}: unknown key{hint}")
    if key in ("include", "exclude", "rulesets", "disable"):
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise ConfigError(f"{where}: must be a list of strings")
        if key == "rulesets":
            config.rulesets = [base / v for v in value]
        else:
            setattr(config, key, list(value))
    elif key == "respect-gitignore":
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: must be true or false")
        config.respect_gitignore = value
    elif key == "fail-on":
        config.fail_on = parse_severity(value, where)
    elif key == "baseline":
        if not isinstance(value, str) or not value:
            raise ConfigError(f"{where}: must be a file path")
        config.baseline = base / value
    elif key == "jobs":
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(f"{where}: must be a whole number of at least 1")
        config.jobs = value
    elif key == "cache":
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: must be true or false")
        config.cache = value
    elif key == "cache-dir":
        if not isinstance(value, str) or not value:
            raise ConfigError(f"{where}: must be a folder path")
        config.cache_dir = base / Path(value).expanduser()


def parse_severity(value: Any, where: str) -> Severity:
    """A severity name, or a `ConfigError` saying which are allowed."""
    names = [s.value for s in Severity]
    if isinstance(value, str) and value.lower() in names:
        return Severity(value.lower())
    close = difflib.get_close_matches(str(value), names, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    raise ConfigError(f"{where}: {value!r} is not one of {', '.join(names)}{hint}")


def check_rule_ids(config: Config, known: set[str]) -> None:
    """Raise `ConfigError` when `disable` names a rule id no ruleset defines."""
    for rule_id in config.disable:
        if rule_id not in known:
            close = difflib.get_close_matches(rule_id, sorted(known), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            where = f"{config.path}: disable" if config.path else "--disable"
            raise ConfigError(f"{where}: unknown rule id {rule_id!r}{hint}")
