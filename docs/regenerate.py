"""Regenerate the rule documentation under docs/rules/ from the bundled rulesets.

    python docs/regenerate.py           # rewrite docs/rules/<ID>.md and docs/rules/README.md
    python docs/regenerate.py --check   # exit 1 if any page is stale (tests do the same)

Every rule of `rulesets/*.yaml` gets a page (`scanner.report.ruledocs.render_rule_doc`),
README.md is the index of all rules, and pages of rules that no longer exist are deleted.
The rulesets are read from this repository's `rulesets/` folder, so the pages are the
same on every machine."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scanner.model import RuleInfo

REPO = Path(__file__).resolve().parents[1]
RULESETS = REPO / "rulesets"
OUT = REPO / "docs" / "rules"
INDEX = "README.md"


def bundled_rules() -> list[RuleInfo]:
    """`RuleInfo` of every rule in the repository's bundled rulesets, sorted by id."""
    from scanner.model import RuleInfo
    from scanner.rules.loader import load_rulesets

    ruleset = load_rulesets([RULESETS], include_bundled=False)
    return [
        RuleInfo(
            id=r.id,
            name=r.name,
            severity=r.severity,
            title=r.title,
            explanation=r.explanation,
            fix=r.fix,
            policy=r.policy,
            tags=tuple(r.tags),
            bad_example=r.bad_example,
            good_example=r.good_example,
        )
        for r in sorted(ruleset.rules.values(), key=lambda r: r.id)
    ]


def expected_docs() -> dict[str, str]:
    """Every file docs/rules/ should hold (file name -> text): one page per rule and the index."""
    from scanner.report.ruledocs import render_rule_doc, render_rule_index, rule_doc_filename

    rules = bundled_rules()
    docs = {rule_doc_filename(rule.id): render_rule_doc(rule) for rule in rules}
    docs[INDEX] = render_rule_index(rules)
    return docs


def stale_docs() -> list[str]:
    """Pages that are missing, differ from the rule data, or document no existing rule."""
    expected = expected_docs()
    stale = [
        name for name, text in expected.items()
        if not (OUT / name).is_file() or (OUT / name).read_text(encoding="utf-8") != text
    ]
    stale += [p.name for p in _obsolete_pages(expected)]
    return sorted(stale)


def _obsolete_pages(expected: dict[str, str]) -> list[Path]:
    """The *.md files in docs/rules/ that `expected` does not list."""
    if not OUT.is_dir():
        return []
    return sorted(p for p in OUT.glob("*.md") if p.name not in expected)


def main() -> int:
    """Rewrite the pages and delete obsolete ones, or with --check only list stale pages."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only list stale pages; exit 1 if any")
    args = parser.parse_args()
    if args.check:
        stale = stale_docs()
        for name in stale:
            print(f"stale: docs/rules/{name}")
        return 1 if stale else 0
    expected = expected_docs()
    OUT.mkdir(parents=True, exist_ok=True)
    for name, text in expected.items():
        path = OUT / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_bytes(text.encode("utf-8"))
            print(f"wrote {path.relative_to(REPO).as_posix()}")
    for path in _obsolete_pages(expected):
        path.unlink()
        print(f"deleted {path.relative_to(REPO).as_posix()}")
    return 0


if __name__ == "__main__":
    if str(REPO) not in sys.path:  # run from a checkout without an installed package
        sys.path.insert(0, str(REPO))
    sys.exit(main())
