"""Sources and sinks that are not calls (attribute reads, handler parameters, item and
attribute assignments, return values) and tuple positions of an argument: a test-local
ruleset (fixtures/access_rules/rules.yaml) over a fixture app with exact expectations
and negative twins; the bundled web-response sinks (allowed by the policy) made a
review by a user's policy entry; and the loader's file:line errors for each new key."""

from __future__ import annotations

from pathlib import Path

import pytest
from harness import assert_findings_match

from scanner.api import ScanOptions, run_scan
from scanner.model import ScanResult
from scanner.rules.loader import RulesetError, load_ruleset_texts

ROOT = Path(__file__).resolve().parents[1] / "fixtures"
ACCESS = ROOT / "access_rules"
WEB = ROOT / "constructs" / "web_responses.py"


@pytest.fixture(scope="module")
def result() -> ScanResult:
    app = ACCESS / "app"
    return run_scan(ScanOptions(paths=[app], root=app, rulesets=[ACCESS / "rules.yaml"]))


def test_access_rules_fixture_matches_exactly(result: ScanResult) -> None:
    assert result.skipped == []
    assert_findings_match(result, ACCESS / "app")


def test_access_rules_trace_starts_at_the_read_or_parameter(result: ScanResult) -> None:
    starts = {(f.sink.path, f.sink.line): (f.steps[0].location.line, f.steps[0].action) for f in result.findings}
    assert starts[("reads.py", 12)] == (12, "`flask.request.form` holds buyer PII (email, locality)")
    assert starts[("handlers.py", 15)][0] == 12
    assert "parameter `event` of `lambda_handler()`" in starts[("handlers.py", 15)][1]
    assert [s.action for s in next(f for f in result.findings if f.sink.line == 17
                                   and f.sink.path == "returns.py").steps][-1].startswith(
        "returned by `buyer_email()` to its caller")


def test_bundled_web_responses_are_allowed_and_reviewable(tmp_path: Path) -> None:
    app = tmp_path / "app"
    app.mkdir()
    (app / "web.py").write_text(WEB.read_text(encoding="utf-8"), encoding="utf-8")
    assert run_scan(ScanOptions(paths=[app], root=app)).findings == []
    review = tmp_path / "review.yaml"
    review.write_text(
        "rules:\n  - id: ACME010\n    name: pii-in-app-response\n    severity: low\n"
        "    title: Buyer PII returned by a handler\n"
        "policy:\n  - rule: ACME010\n    verdict: review\n    destinations: [app_response]\n",
        encoding="utf-8")
    result = run_scan(ScanOptions(paths=[app], root=app, rulesets=[review]))
    lines = WEB.read_text(encoding="utf-8").splitlines()
    expected = {i for i, line in enumerate(lines, 1) if "# ok: app_response" in line}
    assert len(expected) == 6
    assert {(f.sink.line, f.rule_id) for f in result.findings} == {(n, "ACME010") for n in expected}


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("sources:\n  - id: s\n    returns: email\n", 2, "a source needs one of `calls`, `reads`, `functions`"),
        ("sources:\n  - id: s\n    reads: ['flask.request.form(']\n    returns: email\n", 3, "bad call pattern"),
        ("sources:\n  - id: s\n    functions: {named: [handler]}\n    returns: email\n", 3,
         "needs `parameter`"),
        ("sources:\n  - id: s\n    reads: [a.b]\n    parameter: event\n    returns: email\n", 4,
         "`parameter` applies to `functions` only"),
        ("sources:\n  - id: s\n    functions: {decorated: [a.b]}\n    parameter: receiver\n    returns: email\n",
         4, "`parameter` is a position"),
        (("sources:\n  - id: s\n    reads: [a.b]\n    url: 0\n    url_matches: ['https://x/*']\n"
         "    returns: email\n"), 4, "`url` applies to `calls` only"),
        ("sinks:\n  - id: k\n    functions:\n      decorate: [a.b]\n    kind: http\n    destination: log\n", 4,
         "unknown key 'decorate' in `functions` (did you mean 'decorated'?)"),
        ("sinks:\n  - id: k\n    functions: {overrides: [View]}\n    kind: http\n    destination: log\n", 3,
         "must name a base class and a method"),
        ("sinks:\n  - id: k\n    functions: {named: ['a.b']}\n    kind: http\n    destination: log\n", 3,
         "`named` is a list of function-name globs"),
        ("sinks:\n  - id: k\n    functions: [a.b]\n    kind: http\n    destination: log\n", 3,
         "`functions` must be a mapping"),
        ("sinks:\n  - id: k\n    attribute_assignments: [email]\n    kind: crm\n    destination: crm\n", 3,
         "must name an object and an attribute"),
        (("sinks:\n  - id: k\n    item_assignments: [flask.session]\n    args: [0]\n    kind: http\n"
         "    destination: log\n"), 4, "`args` applies to `calls` only"),
        ("sinks:\n  - id: k\n    kind: http\n    destination: log\n", 2,
         "a sink needs one of `calls`, `item_assignments`, `attribute_assignments`, `functions`"),
        ("sinks:\n  - id: k\n    calls: [a.b]\n    args: ['0[x]']\n    kind: http\n    destination: log\n", 4,
         "bad argument spec '0[x]'"),
    ],
)
def test_bad_access_rule_reports_file_line_and_problem(text: str, line: int, fragment: str) -> None:
    with pytest.raises(RulesetError) as info:
        load_ruleset_texts([("user.yaml", text)])
    problems = [(ln, msg) for f, ln, msg in info.value.problems if f == "user.yaml"]
    assert any(ln == line and fragment in msg for ln, msg in problems), problems


def test_access_rule_keys_load() -> None:
    ruleset = load_ruleset_texts([("user.yaml", (ACCESS / "rules.yaml").read_text(encoding="utf-8"))])
    batch = next(s for s in ruleset.sinks if s.id == "fx.partner-batch")
    assert batch.args is not None and [a.describe() for a in batch.args] == ["0[0]"]
    rpc = next(s for s in ruleset.sinks if s.id == "fx.rpc-return")
    assert rpc.functions is not None and rpc.functions.named == ("lambda_handler",)
    job = next(s for s in ruleset.sources if s.id == "fx.worker-job")
    assert job.parameter is not None and job.parameter.name == "payload" and not job.patterns
