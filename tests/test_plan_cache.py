"""The plan (only import groups that can reach a PII source are analysed), `--jobs` and
the result cache: findings identical to analysing the whole project in one run, whatever
the number of workers, with or without the cache; a changed file is recomputed."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from scanner.api import ScanOptions, run_scan
from scanner.cache.store import FILE_NAME, ResultCache
from scanner.discover.files import find_files
from scanner.model import Finding, ScanResult
from scanner.options import AnalysisLimits, ParseLimits, no_progress
from scanner.parse.source import ParsedFile, parse_file
from scanner.plan import vetting
from scanner.plan.analyse import analyse
from scanner.plan.facts import file_facts
from scanner.plan.groups import group_files
from scanner.plan.relevance import needs_of
from scanner.rules.loader import load_rulesets

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
TREES = [FIXTURES / "constructs", FIXTURES / "apps"]

SOURCE = '''from sp_api.api import Orders

from shop import sink


def run():
    orders = Orders().get_orders(CreatedAfter="2024-01-01").payload["Orders"]
    sink.send([o["BuyerInfo"]["BuyerEmail"] for o in orders])
'''
SINK = '''import requests


def send(emails):
    requests.post("https://graph.facebook.com/v19.0/1/users", json={"data": emails})
'''
UNRELATED = '''import requests


def ping(data):
    requests.post("https://graph.facebook.com/v19.0/1/users", json={"data": data})
    print(data)
'''


def keys(findings: list[Finding]) -> list[str]:
    """Everything a report says about each finding (path, trace, message...)."""
    return [json.dumps(f.to_dict(), sort_keys=True) for f in findings]


def scan(root: Path, **changes: object) -> ScanResult:
    options = ScanOptions(paths=[root], root=root)
    options.semgrep = dataclasses.replace(options.semgrep, enabled=False)
    return run_scan(dataclasses.replace(options, **changes))  # type: ignore[arg-type]


def whole_project(root: Path) -> list[Finding]:
    """The analysis of every parseable file in one run (no plan, no grouping)."""
    files = find_files([root], root, [], True).files
    parsed = [p for p in (parse_file(s) for s in files) if isinstance(p, ParsedFile)]
    return analyse(parsed, root, load_rulesets(), AnalysisLimits(), no_progress, None).findings


def make_shop(root: Path) -> Path:
    (root / "shop").mkdir(parents=True)
    (root / "shop" / "__init__.py").write_text("", encoding="utf-8")
    (root / "shop" / "orders.py").write_text(SOURCE, encoding="utf-8")
    (root / "shop" / "sink.py").write_text(SINK, encoding="utf-8")
    (root / "tools").mkdir()
    (root / "tools" / "ping.py").write_text(UNRELATED, encoding="utf-8")
    return root


@pytest.mark.parametrize("tree", TREES, ids=lambda p: p.name)
def test_plan_gives_the_findings_of_the_whole_project(tree: Path) -> None:
    planned = scan(tree, jobs=1)
    assert keys(sorted(planned.findings, key=lambda f: f.sort_key)) == \
        keys(sorted(whole_project(tree), key=lambda f: f.sort_key))
    assert planned.findings


@pytest.mark.parametrize("tree", TREES, ids=lambda p: p.name)
def test_jobs_and_cache_do_not_change_findings(tree: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    one = scan(tree, jobs=1)
    two = scan(tree, jobs=2)
    cold = scan(tree, jobs=2, cache_dir=tmp_path)
    warm = scan(tree, jobs=2, cache_dir=tmp_path)
    inline = scan(tree, parse_limits=ParseLimits(isolated=False), cache_dir=tmp_path / "other")
    monkeypatch.setattr(vetting, "IN_PROCESS_BYTES", 0)  # every file read in a worker
    workers = scan(tree, jobs=2)
    expected = keys(one.findings)
    for result in (two, cold, warm, inline, workers):
        assert keys(result.findings) == expected
        assert result.skipped == one.skipped
        assert result.files_scanned == one.files_scanned
        assert result.lines_scanned == one.lines_scanned
    assert cold.work is not None and warm.work is not None
    assert cold.work.files_from_cache == 0 and cold.work.parsed == cold.files_scanned
    assert warm.work.parsed == 0 and warm.work.files_from_cache == warm.files_scanned
    assert warm.work.groups_from_cache >= 1 and warm.work.full_parsed == 0
    assert 0 < cold.work.full_parsed <= cold.work.analysed + len(cold.skipped)


def test_groups_that_cannot_reach_a_source_are_not_analysed(tmp_path: Path) -> None:
    root = make_shop(tmp_path / "tree")
    result = scan(root)
    assert result.work is not None
    assert (result.work.indexed, result.work.analysed) == (4, 3)
    assert result.work.groups == 2 and result.work.groups_analysed == 1
    assert {f.sink.path for f in result.findings} == {"shop/sink.py"}
    # the same sink code reached from a source is found; unreachable code stays silent
    assert [f.sink.path for f in whole_project(root)] == [f.sink.path for f in result.findings]


def test_imports_join_groups_and_relevance_follows_the_rulesets(tmp_path: Path) -> None:
    root = make_shop(tmp_path / "tree")
    parsed = [p for p in (parse_file(s) for s in find_files([root], root, [], True).files)
              if isinstance(p, ParsedFile)]
    facts = [file_facts(p) for p in parsed]
    groups = group_files(facts, root.name).groups
    assert groups == [("shop/__init__.py", "shop/orders.py", "shop/sink.py"), ("tools/ping.py",)]
    needs = needs_of(load_rulesets())
    words = {f.relpath: f.words for f in facts}
    assert needs.may_source(words["shop/orders.py"])
    assert not needs.may_source(words["tools/ping.py"] | words["shop/sink.py"])


def test_a_changed_file_is_recomputed(tmp_path: Path) -> None:
    root = make_shop(tmp_path / "tree")
    cache = tmp_path / "cache"
    first = scan(root, cache_dir=cache)
    assert len(first.findings) == 1
    (root / "tools" / "ping.py").write_text(UNRELATED.replace(
        "import requests", "import requests\nfrom sp_api.api import Orders\n"
        "ping(Orders().get_orders().payload['Orders'])"), encoding="utf-8")
    second = scan(root, cache_dir=cache)
    assert second.work is not None
    assert second.work.parsed == 1 and second.work.files_from_cache == 3
    assert second.work.full_parsed == 1  # the changed file; the others' trees are not needed
    assert second.work.groups_analysed == 2 and second.work.groups_from_cache == 1
    assert {f.sink.path for f in second.findings} == {"shop/sink.py", "tools/ping.py"}
    assert keys(second.findings) == keys(scan(root).findings)
    third = scan(root, cache_dir=cache)
    assert third.work is not None and third.work.parsed == 0
    assert keys(third.findings) == keys(second.findings)


def test_a_corrupt_cache_is_ignored_with_a_note(tmp_path: Path) -> None:
    root = make_shop(tmp_path / "tree")
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / FILE_NAME).write_bytes(b"this is not a database" * 100)
    result = scan(root, cache_dir=cache)
    assert len(result.findings) == 1
    assert any("without the cache" in note for note in result.notes)


def test_a_damaged_entry_is_a_miss(tmp_path: Path) -> None:
    root = make_shop(tmp_path / "tree")
    cache = tmp_path / "cache"
    expected = keys(scan(root, cache_dir=cache).findings)
    with sqlite3.connect(cache / FILE_NAME) as db:
        db.execute("UPDATE entries SET value = ?", (b"\x80garbage",))
    result = scan(root, cache_dir=cache)
    assert keys(result.findings) == expected
    assert result.work is not None and result.work.parsed == 4


def test_cache_entries_survive_two_writers(tmp_path: Path) -> None:
    first, second = ResultCache(tmp_path), ResultCache(tmp_path)
    for n in range(50):
        first.put("ns", f"k{n}", {"n": n})
        second.put("ns", f"k{n}", {"n": n})
    assert [first.get("ns", f"k{n}") for n in range(50)] == [{"n": n} for n in range(50)]
    assert not first.notes and not second.notes


def test_two_scans_at_once_share_one_cache(tmp_path: Path) -> None:
    root = make_shop(tmp_path / "tree")
    command = [sys.executable, "-m", "scanner.cli", "scan", str(root), "--no-semgrep",
               "--format", "json", "--cache-dir", str(tmp_path / "cache")]
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for _ in range(2)]
    outputs = [run.communicate(timeout=600) for run in runs]
    reports = [json.loads(out) for out, _ in outputs]
    assert [run.returncode for run in runs] == [1, 1]
    assert reports[0]["findings"] == reports[1]["findings"]
    assert not [n for r in reports for n in r["notes"] if "cache" in n]
    again = subprocess.run(command, capture_output=True, check=False, timeout=600)
    report = json.loads(again.stdout)
    assert report["findings"] == reports[0]["findings"]
    assert report["work"]["parsed"] == 0


LIBCST_ONLY_REJECTS = "(pars): bool = True\n"
"""Valid Python (3.6+) that libcst's grammar refuses: CPython's parser reads the file's
facts, so libcst meets it only when the analysis needs the file."""


def test_a_file_only_libcst_rejects_is_reported_when_the_analysis_needs_it(tmp_path: Path) -> None:
    root = make_shop(tmp_path / "tree")
    (root / "tools" / "odd.py").write_text(LIBCST_ONLY_REJECTS, encoding="utf-8")
    (root / "shop" / "odd.py").write_text("from shop import sink\n" + LIBCST_ONLY_REJECTS,
                                          encoding="utf-8")
    cache = tmp_path / "cache"
    for run in ("cold", "warm"):
        result = scan(root, cache_dir=cache)
        assert [(s.path, str(s.reason)) for s in result.skipped] == [("shop/odd.py", "parser-failure")], run
        assert "valid Python that libcst's grammar does not accept (line 2" in result.skipped[0].detail
        assert {f.sink.path for f in result.findings} == {"shop/sink.py"}, run
        assert result.files_scanned == 6 and result.work is not None
    assert result.work.full_parsed == 0 and result.work.groups_from_cache == 1
    inline = scan(root, parse_limits=ParseLimits(isolated=False))
    assert [(s.path, str(s.reason)) for s in inline.skipped] == [("shop/odd.py", "parser-failure")]

