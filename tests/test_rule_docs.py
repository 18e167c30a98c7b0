"""The rule documentation under docs/rules/ is complete, fresh and self-contained."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

from scanner.model import RuleInfo, Severity
from scanner.report.ruledocs import (
    RULE_DOCS_BASE,
    render_rule_doc,
    render_rule_index,
    rule_doc_url,
)

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
RULE_DOCS = DOCS / "rules"
RULESETS = REPO / "rulesets"
REGENERATE = "run: python docs/regenerate.py"


def _regenerate_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docs_regenerate", DOCS / "regenerate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _headings(markdown: str) -> list[str]:
    return [line for line in markdown.splitlines() if line.startswith("#")]


def test_generated_docs_are_fresh() -> None:
    expected = _regenerate_module().expected_docs()
    on_disk = {p.name: p.read_text(encoding="utf-8") for p in RULE_DOCS.glob("*.md")}
    missing = sorted(set(expected) - set(on_disk))
    obsolete = sorted(set(on_disk) - set(expected))
    differ = sorted(n for n in set(expected) & set(on_disk) if expected[n] != on_disk[n])
    assert not (missing or obsolete or differ), (
        f"docs/rules/ is stale (missing {missing}, obsolete {obsolete}, differ {differ}); "
        + REGENERATE
    )


def test_every_bundled_rule_has_a_page_at_its_url() -> None:
    rules = _regenerate_module().bundled_rules()
    assert len(rules) >= 13
    for rule in rules:
        url = rule_doc_url(rule.id)
        assert url == f"{RULE_DOCS_BASE}/{rule.id}.md"
        assert url.startswith(RULE_DOCS_BASE + "/")
        relative = url.split("/blob/main/", 1)[1]
        page = REPO / relative
        assert page.is_file(), f"{relative} is missing; {REGENERATE}"
        text = page.read_text(encoding="utf-8")
        assert text.startswith(f"# {rule.id}: {rule.name}\n"), relative
        assert text.endswith("\n") and not text.endswith("\n\n"), relative
        for heading in ("## What it does", "## Why is this bad?", "## Example",
                        "## Use instead", "## How to fix"):
            assert heading in _headings(text), (relative, heading)
    index = (RULE_DOCS / "README.md").read_text(encoding="utf-8")
    for rule in rules:
        assert f"[{rule.id}]({rule.id}.md)" in index


def test_no_text_cites_internal_notes() -> None:
    pattern = re.compile(r"domain\.md|shared/")
    offending = []
    for folder in (RULESETS, DOCS):
        for path in sorted(folder.rglob("*")):
            if not path.is_file() or "__pycache__" in path.parts:
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if pattern.search(line):
                    offending.append(f"{path.relative_to(REPO).as_posix()}:{number}: {line.strip()}")
    assert not offending, "internal references left:\n" + "\n".join(offending)


def test_empty_optional_fields_leave_their_sections_out() -> None:
    rule = RuleInfo(id="XX001", name="bare-rule", severity=Severity.LOW, title="A bare rule")
    text = render_rule_doc(rule)
    assert _headings(text) == ["# XX001: bare-rule", "## What it does"]
    assert text == "# XX001: bare-rule\n\n**Severity:** low\n\n## What it does\n\n**A bare rule**\n"


def test_sections_appear_in_order_with_normalised_prose() -> None:
    rule = RuleInfo(
        id="XX002",
        name="full-rule",
        severity=Severity.HIGH,
        title="A  full\nrule",
        explanation="First   paragraph\n  of text.\n\nSecond paragraph.\n",
        fix="Do   the right thing.\n",
        policy="DPP 2.1:  delete\tit.",
        tags=("privacy", "review"),
        bad_example="import os\nprint(os.environ)  # expect: XX002\n",
        good_example="print('ok')\n",
    )
    text = render_rule_doc(rule)
    assert _headings(text) == [
        "# XX002: full-rule", "## What it does", "## Why is this bad?", "## Example",
        "## Use instead", "## How to fix",
    ]
    assert "**Severity:** high · **Tags:** `privacy`, `review`" in text
    assert "**A full rule**\n\nFirst paragraph of text.\n\nSecond paragraph.\n\n" in text
    assert "## Why is this bad?\n\nDPP 2.1: delete it.\n\n" in text
    assert "```python\nimport os\nprint(os.environ)  # expect: XX002\n```" in text
    assert text.endswith("## How to fix\n\nDo the right thing.\n")
    assert render_rule_doc(rule) == text


def test_folded_yaml_line_breaks_separate_paragraphs() -> None:
    # A folded YAML scalar (`>`) keeps a line break only where a blank line was.
    rule = RuleInfo(id="XX004", name="folded", severity=Severity.INFO, title="Folded",
                    explanation="One paragraph.\nAnother  one.\n")
    assert "**Folded**\n\nOne paragraph.\n\nAnother one.\n" in render_rule_doc(rule)


def test_sections_without_text_are_omitted_individually() -> None:
    rule = RuleInfo(id="XX003", name="partial", severity=Severity.MEDIUM, title="Partial",
                    policy="Some policy.", good_example="x = 1\n", fix="   \n")
    headings = _headings(render_rule_doc(rule))
    assert "## Why is this bad?" in headings and "## Use instead" in headings
    assert "## Example" not in headings and "## How to fix" not in headings


def test_index_is_sorted_and_links_each_rule() -> None:
    rules = [
        RuleInfo(id="XX002", name="b", severity=Severity.HIGH, title="Second | piped"),
        RuleInfo(id="XX001", name="a", severity=Severity.LOW, title="First"),
    ]
    index = render_rule_index(rules)
    rows = [line for line in index.splitlines() if line.startswith("| [")]
    assert rows == [
        "| [XX001](XX001.md) | `a` | low | First |",
        "| [XX002](XX002.md) | `b` | high | Second \\| piped |",
    ]
    assert index.endswith("|\n")
