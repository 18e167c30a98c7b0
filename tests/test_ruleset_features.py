"""The rule-language features (conditions on arguments, scoped sanitizers, project
functions named by qualified name, guards, destinations by URL path): the app in
fixtures/ruleset_features, scanned with its ruleset, yields exactly its annotations;
each new key is validated with a file:line error."""

from __future__ import annotations

from pathlib import Path

import pytest
from harness import assert_findings_match, collect_annotations

from scanner.api import ScanOptions, run_scan
from scanner.model import ScanResult
from scanner.rules.loader import RulesetError, load_ruleset_texts, load_rulesets
from scanner.rules.urls import classify_host, destination_for

ROOT = Path(__file__).resolve().parents[1] / "fixtures" / "ruleset_features"
FILES = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "app").glob("*.py"))


@pytest.fixture(scope="module")
def result() -> ScanResult:
    return run_scan(ScanOptions(paths=[ROOT / "app"], root=ROOT, rulesets=[ROOT / "rules.yaml"]))


def test_whole_app_matches_exactly(result: ScanResult) -> None:
    assert result.skipped == []
    assert_findings_match(result, ROOT)


@pytest.mark.parametrize("path", FILES)
def test_file(result: ScanResult, path: str) -> None:
    assert_findings_match(result, ROOT, only=path)


def test_without_the_ruleset_the_features_are_silent() -> None:
    plain = run_scan(ScanOptions(paths=[ROOT / "app"], root=ROOT))
    rules = {f.rule_id for f in plain.findings}
    assert not rules & {"FEAT101", "FEAT102"}
    # Without the ruleset's guards, every guarded (`# ok:`) log call is reported.
    _, quiet = collect_annotations(ROOT)
    guarded = {line for path, line in quiet if path == "app/guards.py"}
    reported = {f.sink.line for f in plain.findings if f.sink.path == "app/guards.py"}
    assert len(guarded) == 8 and guarded <= reported


def test_url_paths_classify() -> None:
    ruleset = load_rulesets([ROOT / "rules.yaml"])
    assert classify_host(ruleset, "api.partner.example", "/ads/x") == "ad_platform"
    assert classify_host(ruleset, "api.partner.example", "/shipments/1") == "carrier"
    assert classify_host(ruleset, "api.partner.example", "/other") is None
    assert classify_host(ruleset, "api.partner.example") is None
    assert destination_for(ruleset, "third_party_http", "https://api.partner.example/ads/a?x=1") == \
        ("ad_platform", "api.partner.example")


def test_scoped_sanitizer_trace_says_what_it_clears(result: ScanResult) -> None:
    finding = next(f for f in result.findings
                   if f.sink.path == "app/sanitizers.py" and f.rule_id == "SS107")
    assert any(s.action == "sanitized (for SS108)" for s in finding.steps)


SINK = "sinks:\n  - id: x\n    calls: [a.b]\n    kind: http\n    destination: d\n"
BAD = [
    (SINK + "    when: yes\n",
     "x.yaml:6: `when` must be a list"),
    (SINK + "    when: [{arg: verify}]\n",
     "x.yaml:6: a condition needs a test"),
    (SINK + "    when: [{arg: verify, equal: false}]\n",
     "x.yaml:6: unknown key 'equal' in a condition (did you mean 'equals'?)"),
    (SINK + "    when:\n      - arg: conn\n        never_called: starttls\n",
     "x.yaml:8: `never_called` tests the receiver"),
    (SINK + "    when:\n      - arg: opts\n        key: k\n        is: [a.B]\n",
     "x.yaml:8: `key` works with `present`, `equals` and `scheme`"),
    (SINK + "    replaces: [nope]\n",
     "x.yaml:2: sink 'x' replaces unknown sink 'nope'"),
    ("sanitizers:\n  - id: s\n    calls: [a.b]\n    rules: [SS999]\n",
     "x.yaml:2: 's' clears unknown rule 'SS999'"),
    ("guards:\n  - id: g\n    safe: true\n", "x.yaml:2: a guard has either `calls`"),
    ("guards:\n  - id: g\n    calls: [re.match]\n    safe: true\n", "x.yaml:2: a call guard needs `arg`"),
    ("guards:\n  - id: g\n    operator: startswith\n    safe: true\n", "x.yaml:3: unknown guard operator 'startswith'; known: in, =="),
    ("guards:\n  - id: g\n    operator: in\n    operand: middle\n    safe: true\n",
     "x.yaml:4: unknown guard operand 'middle'; known: left, right"),
    ("guards:\n  - id: g\n    operator: in\n    safe: maybe\n", "x.yaml:4: `safe` must be true or false"),
    ("settings:\n  no_return: [\"sys.exit(\"]\n", "x.yaml:2: bad call pattern"),
    ("hosts:\n  carrier: [\"https://x.example/a\"]\n", "x.yaml:2: bad host glob 'https://x.example/a'"),
]


@pytest.mark.parametrize(("text", "message"), BAD)
def test_bad_clauses_are_reported_with_file_and_line(text: str, message: str) -> None:
    with pytest.raises(RulesetError) as info:
        load_ruleset_texts([("x.yaml", text)])
    assert any(f"{f}:{line}: {m}".startswith(message) for f, line, m in info.value.problems), \
        info.value.problems
