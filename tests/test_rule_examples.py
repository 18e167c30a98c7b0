"""Every rule's documented examples are tests (fixit-style): the bad example yields
exactly the findings its `# expect:` comments name, the good example yields none."""

from __future__ import annotations

from pathlib import Path

import pytest
from harness import annotations_in

from scanner.api import ScanOptions, run_scan
from scanner.rules.loader import load_rulesets

RULES = sorted(load_rulesets().rules.values(), key=lambda r: r.id)


def _scan(tmp_path: Path, code: str) -> set[tuple[int, str]]:
    path = tmp_path / "example.py"
    path.write_text(code, encoding="utf-8")
    result = run_scan(ScanOptions(paths=[tmp_path], root=tmp_path))
    assert result.skipped == []
    return {(f.sink.line, f.rule_id) for f in result.findings}


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_bad_example_yields_exactly_its_findings(rule, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert rule.bad_example, f"{rule.id} has no bad_example"
    expected, _ = annotations_in(rule.bad_example, "example.py")
    assert any(r == rule.id for _, _, r in expected), f"{rule.id}: bad example expects no {rule.id}"
    assert _scan(tmp_path, rule.bad_example) == {(line, r) for _, line, r in expected}


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_good_example_is_quiet(rule, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert rule.good_example, f"{rule.id} has no good_example"
    assert _scan(tmp_path, rule.good_example) == set()


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_rule_is_documented(rule) -> None:  # type: ignore[no-untyped-def]
    assert rule.title and rule.explanation and rule.fix and rule.policy


def test_rules_command_lists_every_rule() -> None:
    from click.testing import CliRunner

    from scanner.cli import main

    result = CliRunner().invoke(main, ["rules"])
    assert result.exit_code == 0
    for rule in RULES:
        line = next(ln for ln in result.output.splitlines() if ln.startswith(rule.id + " "))
        assert rule.severity.value in line and rule.title in line


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_explain_prints_the_documented_examples(rule) -> None:  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from scanner.cli import main

    result = CliRunner().invoke(main, ["explain", rule.id])
    assert result.exit_code == 0
    assert rule.title in result.output
    for code in (rule.bad_example, rule.good_example):
        for line in code.strip().splitlines():
            assert line.strip() in result.output
