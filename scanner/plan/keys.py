"""Cache keys: a fingerprint of the sellerscan code itself and a digest of the rulesets."""

from __future__ import annotations

import sys
from functools import lru_cache
from pathlib import Path

import scanner
from scanner.cache.store import digest
from scanner.rules.schema import RuleSet


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """sellerscan's version, the Python version and every source file of the package:
    any change to the code gives new keys."""
    package = Path(scanner.__file__).parent
    parts: list[str | bytes] = [scanner.__version__, f"{sys.version_info[0]}.{sys.version_info[1]}"]
    for path in sorted(package.rglob("*.py")):
        parts.append(path.relative_to(package).as_posix())
        parts.append(path.read_bytes())
    return digest(*parts)


def ruleset_digest(ruleset: RuleSet) -> str | None:
    """A digest of the ruleset files a scan loaded (their paths and bytes); None when a
    ruleset did not come from a readable file (then nothing is cached by it)."""
    parts: list[str | bytes] = []
    for label in ruleset.files:
        parts.append(label)
        try:
            parts.append(Path(label).read_bytes())
        except OSError:
            return None
    return digest(*parts)
