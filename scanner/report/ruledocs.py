"""Render the documentation pages of sellerscan's rules as Markdown.

One page per rule (`docs/rules/SS101.md`, laid out like ruff's rule pages: what it does,
why it is bad, an example, what to use instead, how to fix) and an index table of every
rule. The pages are generated from the rule data in `rulesets/*.yaml` by
`docs/regenerate.py`, and reports link to them with `rule_doc_url`. Rendering is
deterministic: the same rules always give byte-identical pages.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from scanner.model import RuleInfo

RULE_DOCS_BASE = "https://github.com/sellerscan/sellerscan/blob/main/docs/rules"
"""Where the generated rule pages are published."""

_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_INDEX_INTRO = (
    "Every rule sellerscan reports findings under. Each page says what the rule detects, "
    "why it matters, shows an example and how to fix it."
)


def rule_doc_url(rule_id: str) -> str:
    """The URL of the documentation page of the rule `rule_id`."""
    return f"{RULE_DOCS_BASE}/{rule_id}.md"


def rule_doc_filename(rule_id: str) -> str:
    """The file name of the documentation page of the rule `rule_id` (`SS101.md`)."""
    return f"{rule_id}.md"


def render_rule_doc(rule: RuleInfo) -> str:
    """The Markdown page documenting one rule.

    The page starts with `# <ID>: <name>` and a line giving the severity and tags, then
    has the sections `## What it does` (title and explanation), `## Why is this bad?`
    (the policy text), `## Example` (the bad example), `## Use instead` (the good
    example) and `## How to fix` (the fix). A section whose text is empty is left out.
    Prose is not wrapped; see `_paragraphs` for how it is split into paragraphs. The
    result ends with exactly one newline.
    """
    blocks: list[str] = [f"# {rule.id}: {rule.name}", _meta_line(rule)]
    what = ([f"**{_one_line(rule.title)}**"] if rule.title.strip() else []) + _paragraphs(
        rule.explanation
    )
    _add_section(blocks, "What it does", what)
    _add_section(blocks, "Why is this bad?", _paragraphs(rule.policy))
    _add_section(blocks, "Example", _code_block(rule.bad_example))
    _add_section(blocks, "Use instead", _code_block(rule.good_example))
    _add_section(blocks, "How to fix", _paragraphs(rule.fix))
    return "\n\n".join(blocks) + "\n"


def render_rule_index(rules: Iterable[RuleInfo]) -> str:
    """A Markdown page with a table of all `rules`, sorted by id.

    Each row links the rule id to its page (`SS101.md`, relative to the index) and gives
    the rule's name, severity and title. The result ends with exactly one newline.
    """
    lines = [
        "# sellerscan rules",
        "",
        _INDEX_INTRO,
        "",
        "| Rule | Name | Severity | Title |",
        "|---|---|---|---|",
    ]
    for rule in sorted(rules, key=lambda r: r.id):
        cells = [
            f"[{rule.id}]({rule_doc_filename(rule.id)})",
            f"`{rule.name}`",
            _severity(rule),
            _one_line(rule.title),
        ]
        lines.append("| " + " | ".join(_table_cell(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


def _meta_line(rule: RuleInfo) -> str:
    """The line under the page title: severity, then the tags if there are any."""
    meta = f"**Severity:** {_severity(rule)}"
    if rule.tags:
        meta += " · **Tags:** " + ", ".join(f"`{tag}`" for tag in rule.tags)
    return meta


def _severity(rule: RuleInfo) -> str:
    """The severity as plain text (`critical`), whether an enum member or a string."""
    return str(getattr(rule.severity, "value", rule.severity))


def _add_section(blocks: list[str], heading: str, body: list[str]) -> None:
    """Append `## heading` and its body blocks, unless the body is empty."""
    if body:
        blocks.append(f"## {heading}")
        blocks.extend(body)


def _one_line(text: str) -> str:
    """`text` with every run of whitespace (newlines included) made one space."""
    return " ".join(text.split())


def _paragraphs(text: str) -> list[str]:
    """The prose paragraphs of a rule text, each on one line.

    Paragraphs are separated by blank lines. A text without blank lines but with line
    breaks comes from a folded YAML scalar (`>`), where a line break is what remains of a
    blank line between paragraphs, so then each line is a paragraph. Whitespace inside a
    paragraph is normalised to single spaces.
    """
    text = text.strip()
    if not text:
        return []
    chunks = _BLANK_LINE.split(text) if _BLANK_LINE.search(text) else text.splitlines()
    return [p for p in (_one_line(chunk) for chunk in chunks) if p]


def _code_block(code: str) -> list[str]:
    """A fenced Python code block holding `code`, or nothing if `code` is blank."""
    if not code.strip():
        return []
    body = "\n".join(line.rstrip() for line in code.strip("\n").splitlines())
    fence = "```"
    while fence in body:
        fence += "`"
    return [f"{fence}python\n{body}\n{fence}"]


def _table_cell(text: str) -> str:
    """`text` made safe for a Markdown table cell (pipes escaped)."""
    return text.replace("|", "\\|")
