"""Bad input never crashes or hangs a scan: each problem file is listed with its reason,
the other files are still analysed, and only --strict changes the exit status."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from scanner.api import AnalysisLimits, ParseLimits, ScanInputError, ScanOptions, run_scan
from scanner.cli import main

GOOD = (
    "from sp_api.api import Orders\n"
    "order = Orders().get_order('1').payload\n"
    "print(order['BuyerInfo']['BuyerEmail'])\n"
)

BAD_FILES: dict[str, tuple[bytes, str, str]] = {
    "syntax.py": (b"def f(:\n", "syntax-error", "line 1"),
    "merge.py": (b"x = 1\n<<<<<<< HEAD\ny = 2\n=======\ny = 3\n>>>>>>> feature\n", "merge-conflict",
                 "merge-conflict markers"),
    "py2_tuple_params.py": (b"def f((a, b)):\n    print a\n", "python2-untranslatable",
                            "would move lines"),
    "latin1.py": (b'x = "caf\xe9"\n', "undecodable", "decode"),
    "nul.py": (b"x = 1\x00\n", "binary", "NUL"),
    "deep_parens.py": (b"x = " + b"(" * 5000 + b"1" + b")" * 5000 + b"\n", "too-deep", "nested"),
    "deep_indent.py": (
        "".join(" " * i + "if x:\n" for i in range(120)).encode() + b" " * 120 + b"pass\n",
        "too-deep", "indentation"),
    "long_chain.py": (b"x = " + b" + ".join([b'"a"'] * 3000) + b"\n", "too-complex", "chain"),
}


@pytest.fixture()
def tree(tmp_path: Path) -> Path:
    (tmp_path / "good.py").write_text(GOOD, encoding="utf-8")
    for name, (data, _, _) in BAD_FILES.items():
        (tmp_path / name).write_bytes(data)
    (tmp_path / "cookie.py").write_bytes(b"# -*- coding: latin-1 -*-\nx = 'caf\xe9'\n")
    (tmp_path / "big.py").write_text("x = 1\n" * 50_000, encoding="utf-8")
    return tmp_path


def test_every_bad_file_is_reported_and_the_rest_is_analysed(tree: Path) -> None:
    result = run_scan(ScanOptions(paths=[tree], root=tree, parse_limits=ParseLimits(max_file_bytes=200_000)))
    reasons = {s.path: (s.reason, s.detail) for s in result.skipped}
    for name, (_, reason, fragment) in BAD_FILES.items():
        assert name in reasons, name
        assert reasons[name][0] == reason, (name, reasons[name])
        assert fragment.lower() in reasons[name][1].lower(), (name, reasons[name])
    assert reasons["big.py"][0] == "too-large"
    assert "cookie.py" not in reasons  # a PEP 263 cookie is honoured
    assert [(f.sink.path, f.sink.line, f.rule_id) for f in result.findings] == [("good.py", 3, "SS108")]
    assert result.files_scanned == 2


def test_skipped_files_appear_in_every_format(tree: Path) -> None:
    runner = CliRunner()
    for fmt in ("text", "json", "sarif", "html"):
        out = runner.invoke(main, ["scan", str(tree), "--format", fmt, "--max-file-size", "200000"])
        assert out.exit_code == 1, (fmt, out.output)
        for name in BAD_FILES:
            assert name in out.output, (fmt, name)


def test_strict_turns_skipped_files_into_exit_2(tree: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["scan", str(tree / "syntax.py")]).exit_code == 0
    strict = runner.invoke(main, ["scan", str(tree / "syntax.py"), "--strict"])
    assert strict.exit_code == 2
    assert "could not be analysed" in strict.output


def test_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(ScanInputError):
        run_scan(ScanOptions(paths=[tmp_path / "nope"]))
    out = CliRunner().invoke(main, ["scan", str(tmp_path / "nope")])
    assert out.exit_code == 2 and "no such file" in out.output


def test_failed_scan_never_writes_a_clean_sarif(tmp_path: Path) -> None:
    bad_rules = tmp_path / "rules.yaml"
    bad_rules.write_text("sinks: 3\n", encoding="utf-8")
    (tmp_path / "a.py").write_text("x = 1\n", encoding="utf-8")
    report = tmp_path / "out.sarif"
    out = CliRunner().invoke(main, ["scan", str(tmp_path / "a.py"), "--ruleset", str(bad_rules),
                                    "--format", "sarif", "--output", str(report)])
    assert out.exit_code == 2
    assert '"executionSuccessful": false' in report.read_text(encoding="utf-8")


def test_directory_symlink_loops_are_not_followed(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text(GOOD, encoding="utf-8")
    (tmp_path / "pkg" / "loop").symlink_to(tmp_path, target_is_directory=True)
    result = run_scan(ScanOptions(paths=[tmp_path], root=tmp_path))
    assert result.files_scanned == 1


def test_a_file_symlink_into_a_sibling_folder_with_the_same_prefix_is_outside(tmp_path: Path) -> None:
    app, evil = tmp_path / "app", tmp_path / "app_evil"
    app.mkdir()
    evil.mkdir()
    (app / "a.py").write_text("x = 1\n", encoding="utf-8")
    (evil / "secret.py").write_text(GOOD, encoding="utf-8")
    (app / "link.py").symlink_to(evil / "secret.py")
    (app / "inside.py").symlink_to(app / "a.py")
    result = run_scan(ScanOptions(paths=[app], root=app))
    assert result.files_scanned == 2  # a.py and the link that stays inside
    assert result.findings == []
    assert [(s.path, s.reason) for s in result.skipped] == [("link.py", "outside-root")]


def test_deep_but_valid_nesting_is_analysed(tmp_path: Path) -> None:
    depth = 150
    source = GOOD.replace("print(order['BuyerInfo']['BuyerEmail'])",
                          "print(" + "str(" * depth + "order['BuyerInfo']['BuyerEmail']" + ")" * depth + ")")
    (tmp_path / "deep.py").write_text(source, encoding="utf-8")
    result = run_scan(ScanOptions(paths=[tmp_path], root=tmp_path))
    assert result.skipped == []
    assert [(f.sink.line, f.rule_id) for f in result.findings] == [(3, "SS108")]


def test_work_budget_stops_the_analysis_with_a_note(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(GOOD + "".join(f"def f{i}(x):\n    return x\n" for i in range(50)),
                                   encoding="utf-8")
    result = run_scan(ScanOptions(paths=[tmp_path], root=tmp_path,
                                  limits=AnalysisLimits(max_analyses=5)))
    assert any("work budget" in note for note in result.notes)
    assert not any("fixpoint" in note for note in result.notes)
