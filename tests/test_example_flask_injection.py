"""The example ruleset that is not about Amazon (rulesets/examples/flask-injection.yaml):
the Flask app in fixtures/examples/flask_injection, scanned with it, yields exactly its
annotations (with the bundled catalog and without it); its sanitizers and guards are
what keeps the `(sanitizer)` / `(guard)` lines quiet; it validates against the JSON
Schema; its rules' examples hold; and it is shipped but never loaded by default."""

from __future__ import annotations

import io
import json
import sys
import tokenize
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from click.testing import CliRunner
from harness import annotations_in, assert_findings_match, collect_annotations

from scanner.api import ScanOptions, run_scan
from scanner.cli import main
from scanner.model import ScanResult
from scanner.rules.loader import bundled_ruleset_dir, load_ruleset_texts, load_rulesets

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

REPO = Path(__file__).resolve().parents[1]
RULESET = REPO / "rulesets" / "examples" / "flask-injection.yaml"
ROOT = REPO / "fixtures" / "examples" / "flask_injection"
FILES = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "app").glob("*.py"))
RULE_IDS = [f"FI00{n}" for n in range(1, 8)]
DOCUMENT: dict[str, Any] = yaml.safe_load(RULESET.read_text(encoding="utf-8"))


def _scan(bundled: bool, extra: list[Path] | None = None) -> ScanResult:
    return run_scan(ScanOptions(paths=[ROOT / "app"], root=ROOT, rulesets=[RULESET, *(extra or [])],
                                include_bundled_rulesets=bundled))


@pytest.fixture(scope="module")
def result() -> ScanResult:
    return _scan(bundled=True)


def test_whole_app_matches_exactly(result: ScanResult) -> None:
    assert result.skipped == []
    assert_findings_match(result, ROOT)
    assert {f.rule_id for f in result.findings} == set(RULE_IDS)


@pytest.mark.parametrize("path", FILES)
def test_file(result: ScanResult, path: str) -> None:
    assert_findings_match(result, ROOT, only=path)


def test_the_ruleset_works_without_the_amazon_catalog() -> None:
    alone = _scan(bundled=False)
    assert alone.skipped == []
    assert_findings_match(alone, ROOT)


def _cleared_lines(marker: str) -> set[tuple[str, int]]:
    """The `# ok: ... (marker)` lines: quiet only thanks to a sanitizer or a guard."""
    found = set()
    for path in (ROOT / "app").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.COMMENT and "# ok:" in tok.string and tok.string.endswith(f"({marker})"):
                found.add((path.relative_to(ROOT).as_posix(), tok.start[0]))
    return found


@pytest.mark.parametrize("section", ["sanitizers", "guards"])
def test_sanitizers_and_guards_are_what_keeps_their_lines_quiet(section: str, tmp_path: Path) -> None:
    ids = [entry["id"] for entry in DOCUMENT[section]]
    off = tmp_path / "off.yaml"
    off.write_text(yaml.safe_dump({"ruleset": "off", "disable": ids}), encoding="utf-8")
    loud = {(f.sink.path, f.sink.line) for f in _scan(bundled=False, extra=[off]).findings}
    cleared = _cleared_lines("sanitizer" if section == "sanitizers" else "guard")
    assert len(cleared) >= 4
    assert cleared <= loud, sorted(cleared - loud)
    _, quiet = collect_annotations(ROOT)
    assert not (loud & quiet) - cleared  # the other `# ok:` lines stay quiet for their own reasons


def test_request_data_is_not_buyer_pii(tmp_path: Path) -> None:
    """The Amazon rules stay quiet about request data (the example's policy allows it
    everywhere else), and the Amazon fixtures never see an FI rule."""
    app = tmp_path / "app.py"
    app.write_text("import logging\n\nimport requests\nfrom flask import request\n\n"
                   "logging.info('q %s', request.args['q'])\n"
                   "requests.post('https://collector.example.net/x', json=request.get_json(), timeout=5)\n",
                   encoding="utf-8")
    with_example = run_scan(ScanOptions(paths=[tmp_path], root=tmp_path, rulesets=[RULESET]))
    assert with_example.findings == []
    plain = run_scan(ScanOptions(paths=[ROOT / "app"], root=ROOT))
    assert not {f.rule_id for f in plain.findings} & set(RULE_IDS)


def test_validates_against_the_json_schema() -> None:
    schema = json.loads((REPO / "rulesets" / "ruleset.schema.json").read_text(encoding="utf-8"))
    errors = [e.message for e in jsonschema.Draft202012Validator(schema).iter_errors(DOCUMENT)]
    assert errors == []
    load_ruleset_texts([(str(RULESET), RULESET.read_text(encoding="utf-8"))], include_bundled=False)


def test_rule_ids_stay_out_of_the_bundled_ranges() -> None:
    rules = [r["id"] for r in DOCUMENT["rules"]]
    assert rules == RULE_IDS
    assert {p["rule"] for p in DOCUMENT["policy"] if "rule" in p} == set(RULE_IDS)


def test_shipped_but_not_loaded_by_default() -> None:
    assert (bundled_ruleset_dir() / "examples" / "flask-injection.yaml").is_file()
    assert not set(load_rulesets().rules) & set(RULE_IDS)
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    globs = pyproject["tool"]["setuptools"]["package-data"]["scanner.rulesets"]
    assert any(fnmatch("examples/flask-injection.yaml", g) for g in globs)


RULES = [load_rulesets([RULESET]).rules[i] for i in RULE_IDS]


def _scan_code(tmp_path: Path, code: str) -> set[tuple[int, str]]:
    (tmp_path / "example.py").write_text(code, encoding="utf-8")
    scanned = run_scan(ScanOptions(paths=[tmp_path], root=tmp_path, rulesets=[RULESET]))
    assert scanned.skipped == []
    return {(f.sink.line, f.rule_id) for f in scanned.findings}


@pytest.mark.parametrize("rule", RULES, ids=RULE_IDS)
def test_rule_examples(rule: Any, tmp_path: Path) -> None:
    assert rule.title and rule.explanation and rule.fix and rule.policy
    expected, _ = annotations_in(rule.bad_example, "example.py")
    assert {r for _, _, r in expected} == {rule.id}
    bad, good = tmp_path / "bad", tmp_path / "good"
    bad.mkdir()
    good.mkdir()
    assert _scan_code(bad, rule.bad_example) == {(line, r) for _, line, r in expected}
    assert _scan_code(good, rule.good_example) == set()


def test_rules_and_explain_accept_the_ruleset() -> None:
    runner = CliRunner()
    listed = runner.invoke(main, ["rules", "--ruleset", str(RULESET)])
    assert listed.exit_code == 0, listed.output
    assert all(rule in listed.output for rule in RULE_IDS)
    explained = runner.invoke(main, ["explain", "FI002", "--ruleset", str(RULESET)])
    assert explained.exit_code == 0, explained.output
    assert "SQL" in explained.output and "placeholders" in explained.output
    unknown = runner.invoke(main, ["explain", "FI002"])
    assert unknown.exit_code != 0
