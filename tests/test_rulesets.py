"""Ruleset loading: the bundled rulesets are valid, and every kind of mistake in a
user's ruleset is reported with its file and line (the CLI exits 2)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from scanner.cli import main
from scanner.rules.loader import RulesetError, load_ruleset_texts, load_rulesets
from scanner.rules.patterns import PatternError, Segment, parse_pattern, ref_from_dotted
from scanner.rules.urls import classify_host


def test_bundled_rulesets_load() -> None:
    ruleset = load_rulesets()
    assert ruleset.sources and ruleset.sinks and ruleset.rules and ruleset.policy
    for entry in ruleset.policy:
        assert entry.rule is None or entry.rule in ruleset.rules


def _problems(text: str) -> list[tuple[int, str]]:
    with pytest.raises(RulesetError) as info:
        load_ruleset_texts([("user.yaml", text)])
    return [(line, msg) for f, line, msg in info.value.problems if f == "user.yaml"]


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("sources: [\n", 2, "invalid YAML"),
        ("sinks:\n  - id: x\n    calls: [requests.post]\n    kind: http\n    destinaton: log\n", 5,
         "unknown key 'destinaton' in a sink (did you mean 'destination'?)"),
        ("sinks:\n  - id: x\n    calls: [requests.post]\n    kind: http\n", 2,
         "missing required key 'destination'"),
        ("sources:\n  - id: s\n    calls: ['a.b(']\n    returns: email\n", 3, "bad call pattern"),
        ("sources:\n  - id: s\n    calls: [a.b]\n    returns: $nope\n", 4, "unknown shape 'nope'"),
        ("shapes:\n  a: {x: $a}\nsources:\n  - id: s\n    calls: [a.b]\n    returns: $a\n", 2,
         "refers to itself"),
        ("propagators:\n  - id: p\n    calls: [x.y]\n    effect: teleport\n", 4, "unknown effect 'teleport'"),
        ("rules:\n  - id: R1\n    name: r\n    severity: severe\n    title: t\n", 4,
         "unknown severity 'severe'; known: critical, high, medium, low, info"),
        ("policy:\n  - rule: NOPE\n    verdict: violation\n    destinations: [log]\n", 2,
         "unknown rule 'NOPE'"),
        ("policy:\n  - rule: SS101\n    verdict: maybe\n    destinations: [log]\n", 3,
         "unknown verdict 'maybe'"),
        ("hosts:\n  ad_platform:\n    - https://x.com/path\n", 3, "bad host glob 'https://x.com/path'"),
        ("sinks:\n  - id: x\n    calls: [a.b]\n    kind: http\n    destination: d\n    args: ['x:y']\n", 6,
         "bad argument spec"),
        ("- just a list\n", 1, "must be a mapping at the top level"),
        ("sinks:\n  - id: x\n    calls: [a.b]\n    kind: emial\n    destination: d\n", 4,
         "unknown sink kind 'emial' (did you mean 'email'?)"),
        ("decorators:\n  - id: d\n    calls: [a.b]\n    effect: yield_return\n", 4,
         "unknown effect 'yield_return' (did you mean 'yields_return'?)"),
    ],
)
def test_bad_ruleset_reports_file_line_and_problem(text: str, line: int, fragment: str) -> None:
    problems = _problems(text)
    assert any(ln == line and fragment in msg for ln, msg in problems), problems


def test_user_ruleset_overrides_by_id_and_disables() -> None:
    text = (
        "disable: [python.print]\n"
        "sinks:\n  - id: requests\n    calls: [requests.post]\n    kind: http\n"
        "    destination: carrier\n"
    )
    ruleset = load_ruleset_texts([("user.yaml", text)])
    assert "python.print" not in {s.id for s in ruleset.sinks}
    assert [s.destination for s in ruleset.sinks if s.id == "requests"] == ["carrier"]


def test_user_policy_entries_take_precedence() -> None:
    text = "policy:\n  - verdict: allow\n    destinations: [log]\n"
    ruleset = load_ruleset_texts([("user.yaml", text)])
    assert ruleset.policy[0].verdict == "allow" and "log" in ruleset.policy[0].destinations


def test_host_classification_prefers_the_most_specific_glob() -> None:
    ruleset = load_rulesets()
    assert classify_host(ruleset, "advertising-api-eu.amazon.com") == "ad_platform"
    assert classify_host(ruleset, "sellingpartnerapi-na.amazon.com") == "amazon"
    assert classify_host(ruleset, "GRAPH.facebook.com") == "ad_platform"
    assert classify_host(ruleset, "example.org") is None


def test_patterns_match_called_and_constrained_segments() -> None:
    plain = parse_pattern("sp_api.api.Orders.get_orders")
    called = (Segment("sp_api"), Segment("api"), Segment("Orders", True), Segment("get_orders", True))
    assert plain.matches(called)
    versioned = parse_pattern('sp_api.api.Orders(version="2026-01-01").get_order')
    v2026 = (Segment("sp_api"), Segment("api"), Segment("Orders", True, (("version", "2026-01-01"),)),
             Segment("get_order", True))
    assert versioned.matches(v2026) and not versioned.matches(called[:3] + (Segment("get_order", True),))
    assert versioned.specificity > parse_pattern("sp_api.api.Orders.get_order").specificity
    any_receiver = parse_pattern("*.append")
    assert any_receiver.matches((Segment("?"), Segment("append", True)))
    assert not any_receiver.matches(ref_from_dotted("append"))
    with pytest.raises(PatternError):
        parse_pattern("a.(b")


def test_cli_exits_2_with_file_and_line_for_a_broken_ruleset(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("sinks:\n  - id: x\n    calls: [requests.post]\n    kind: http\n", encoding="utf-8")
    app = tmp_path / "app.py"
    app.write_text("print(1)\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["scan", str(app), "--ruleset", str(bad)])
    assert result.exit_code == 2
    assert f"{bad}:2: a sink is missing required key 'destination'" in result.output


def test_cli_unknown_rule_id_exits_2() -> None:
    result = CliRunner().invoke(main, ["explain", "SS9999"])
    assert result.exit_code == 2
    assert "unknown rule" in result.output


def test_unknown_call_propagation_is_configurable(tmp_path: Path) -> None:
    from scanner.api import ScanOptions, run_scan

    app = tmp_path / "app.py"
    app.write_text(
        "import mystery\nfrom sp_api.api import Orders\n"
        "o = Orders().get_order('1').payload\n"
        "print(mystery.wrap(o['BuyerInfo']['BuyerEmail']))\n",
        encoding="utf-8",
    )
    assert [f.rule_id for f in run_scan(ScanOptions(paths=[app])).findings] == ["SS108"]
    rules = tmp_path / "drop.yaml"
    rules.write_text("settings:\n  unknown_calls: drop\n", encoding="utf-8")
    assert run_scan(ScanOptions(paths=[app], rulesets=[rules])).findings == []
    rules.write_text("settings:\n  unknown_calls: sometimes\n", encoding="utf-8")
    with pytest.raises(RulesetError):
        run_scan(ScanOptions(paths=[app], rulesets=[rules]))
