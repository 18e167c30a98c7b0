"""`sellerscan batch`: each input scanned as its own app, reports per app, an index of
all of them, the exit status, and archives giving the same findings as the folder."""

from __future__ import annotations

import io
import json
import tarfile
import zipfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from scanner.batch import app as app_module
from scanner.batch.app import AppRow, BatchSettings
from scanner.batch.progress import BatchProgress
from scanner.batch.run import app_names, exit_status, run_batch
from scanner.cli import main
from scanner.options import ParseLimits, ScanOptions, SemgrepOptions

APPS = Path(__file__).resolve().parents[1] / "fixtures" / "apps"
FAST = ["--no-semgrep", "--no-parse-isolation"]


def _files(app: Path) -> dict[str, bytes]:
    return {p.relative_to(app).as_posix(): p.read_bytes()
            for p in sorted(app.rglob("*")) if p.is_file()}


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def _tgz(path: Path, members: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return path


def _batch(args: list[str], monkeypatch: pytest.MonkeyPatch, temp: Path) -> tuple[int, str]:
    temp.mkdir(exist_ok=True)
    monkeypatch.setattr(app_module.tempfile, "tempdir", str(temp))
    result = CliRunner().invoke(main, ["batch", *args])
    return result.exit_code, result.output


def _index(out: Path) -> dict[str, dict[str, Any]]:
    data = json.loads((out / "index.json").read_text(encoding="utf-8"))
    return {row["name"]: row for row in data["apps"]}


def _flows(report: Path) -> list[tuple[str, str, int, str, int]]:
    data = json.loads(report.read_text(encoding="utf-8"))
    return sorted((f["rule_id"], f["sink"]["path"], f["sink"]["line"], f["source"]["path"],
                   f["source"]["line"]) for f in data["findings"])


def _tree(folder: Path, skip: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")
            if skip not in p.parents and p != skip}


def test_a_batch_of_apps_and_hostile_archives(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    bulk = _files(APPS / "bulk_export")
    inputs = [
        APPS / "bulk_export",
        APPS / "label_printer",
        _zip(tmp_path / "bulk.zip", {f"bulk_export/{k}": v for k, v in bulk.items()}),
        _tgz(tmp_path / "bulk-1.0.tar.gz", {f"bulk-1.0/{k}": v for k, v in bulk.items()}),
        _zip(tmp_path / "bulk-1.0-py3-none-any.whl",
             {**bulk, "bulk-1.0.dist-info/METADATA": b"Name: bulk\n"}),
        _zip(tmp_path / "slip.zip", {"../evil.py": b"print(1)\n"}),
        _zip(tmp_path / "bomb.zip", {"zeros.py": b"\0" * (3 * 1024**2)}),
        tmp_path / "missing.zip",
        tmp_path / "notes.txt",
    ]
    (tmp_path / "notes.txt").write_text("hello\n")
    before = _tree(tmp_path, tmp_path / "out")
    code, output = _batch([*map(str, inputs), "-o", str(tmp_path / "out"), *FAST, "--jobs", "1"],
                          monkeypatch, tmp_path / "temp")  # one at a time: progress in input order
    assert code == 2
    rows = _index(tmp_path / "out")
    assert [(name, row["status"], row["findings"]) for name, row in rows.items()] == [
        ("bulk_export", "scanned", 2), ("label_printer", "scanned", 0), ("bulk", "scanned", 2),
        ("bulk-1.0", "scanned", 2), ("bulk-1.0-py3-none-any", "scanned", 2),
        ("slip", "error", 0), ("bomb", "error", 0), ("missing", "error", 0),
        ("notes.txt", "error", 0),
    ]
    assert rows["slip"]["error"] == "member path leaving the archive refused: '../evil.py'"
    assert "refused as a zip bomb" in rows["bomb"]["error"]
    assert rows["missing"]["error"] == f"input not found: {tmp_path / 'missing.zip'}"
    assert rows["notes.txt"]["error"].startswith("notes.txt: not a folder or a supported archive")
    assert rows["bulk_export"]["severities"] == {"critical": 0, "high": 2, "medium": 0,
                                                 "low": 2, "info": 0}
    assert rows["bulk_export"]["pii_kinds"] == {"email": 4, "name": 2}
    assert rows["bulk_export"]["destinations"] == {"file": 2, "third_party_http": 2}
    assert rows["bulk_export"]["files_not_analysed"] == 0
    assert rows["bulk_export"]["error"] == ""
    folder_flows = _flows(tmp_path / "out" / "bulk_export" / "report.json")
    assert len(folder_flows) == 4
    for name in ("bulk", "bulk-1.0", "bulk-1.0-py3-none-any"):
        assert _flows(tmp_path / "out" / name / "report.json") == folder_flows
    for name in rows:
        assert sorted(p.name for p in (tmp_path / "out" / name).iterdir()) == [
            "report.html", "report.json", "report.sarif"]
    failed = json.loads((tmp_path / "out" / "slip" / "report.sarif").read_text())
    assert failed["runs"][0]["invocations"][0]["executionSuccessful"] is False
    assert _tree(tmp_path, tmp_path / "out") == before | {"temp"}
    assert list((tmp_path / "temp").iterdir()) == []
    lines = [line for line in output.splitlines() if line.startswith("sellerscan: [")]
    assert lines[0].startswith("sellerscan: [1/9] bulk_export: 2 violation(s), 0 file(s) "
                               "not analysed (")
    assert lines[5].startswith("sellerscan: [6/9] slip: error: member path leaving the archive")
    assert len(lines) == 9


def test_exit_status_is_0_when_all_are_clean_and_1_for_violations(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clean = [str(APPS / "label_printer"), str(APPS / "erp_connector")]
    assert _batch([*clean, "-o", str(tmp_path / "a"), *FAST], monkeypatch, tmp_path / "t")[0] == 0
    code, _ = _batch([*clean, str(APPS / "bulk_export"), "-o", str(tmp_path / "b"), *FAST],
                     monkeypatch, tmp_path / "t")
    assert code == 1


def test_a_default_batch_runs_isolated_parsing_and_semgrep(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    code, _ = _batch([str(APPS / "bulk_export"), "-o", str(tmp_path / "out")], monkeypatch,
                     tmp_path / "t")
    assert code == 1
    assert _index(tmp_path / "out")["bulk_export"]["findings"] == 2


def test_app_names_are_safe_unique_folder_names() -> None:
    paths = [Path("a/My App.tar.gz"), Path("b/my app.zip"), Path("c/.hidden"),
             Path("d/index.json"), Path("e/<script>alert(1).whl"), Path("f/..."),
             Path("g/" + "x" * 200 + ".tgz"), Path("h/MY_APP")]
    assert [app.name for app in app_names(paths)] == [
        "My_App", "my_app-2", "hidden", "index.json-2", "script_alert_1", "app",
        "x" * 80, "MY_APP-3"]


def test_the_html_index_escapes_what_comes_from_the_inputs(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hostile = tmp_path / "<img src=x onerror=alert(1)>.zip"
    hostile.write_bytes(b"not a zip")
    code, _ = _batch([str(hostile), "-o", str(tmp_path / "out"), *FAST], monkeypatch,
                     tmp_path / "t")
    assert code == 2
    page = (tmp_path / "out" / "index.html").read_text()
    assert "<img" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;.zip: corrupt or unreadable archive" in page
    assert list(_index(tmp_path / "out")) == ["img_src_x_onerror_alert_1"]


def _comparable(out: Path) -> list[dict[str, Any]]:
    rows = json.loads((out / "index.json").read_text())["apps"]
    for row in rows:
        row.pop("scan_seconds")
        row["flows"] = _flows(out / row["name"] / "report.json") if row["status"] == "scanned" \
            else None
    return rows


def test_jobs_give_the_same_results_as_one_process(tmp_path: Path) -> None:
    settings = BatchSettings(scan=ScanOptions(paths=[], parse_limits=ParseLimits(isolated=False),
                                              semgrep=SemgrepOptions(enabled=False)))
    inputs = [APPS / name for name in ("bulk_export", "label_printer", "ad_audience_uploader",
                                       "payment_processor")]
    inputs.append(_zip(tmp_path / "slip.zip", {"../evil.py": b"x\n"}))
    one = run_batch(inputs, tmp_path / "one", settings, jobs=1)
    two = run_batch(inputs, tmp_path / "two", settings, jobs=2)
    assert [r.name for r in two] == [r.name for r in one]
    assert _comparable(tmp_path / "two") == _comparable(tmp_path / "one")
    assert exit_status(one) == exit_status(two) == 2


def test_a_local_dask_cluster_gives_the_same_results(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    inputs = [str(APPS / "bulk_export"), str(APPS / "label_printer"),
              str(_zip(tmp_path / "slip.zip", {"../evil.py": b"x\n"}))]
    code, _ = _batch([*inputs, "-o", str(tmp_path / "one"), *FAST], monkeypatch, tmp_path / "t")
    dask_code, output = _batch([*inputs, "-o", str(tmp_path / "dask"), "--dask", "local",
                                "--jobs", "2", "--no-semgrep"], monkeypatch, tmp_path / "t")
    assert code == dask_code == 2, output
    assert _comparable(tmp_path / "dask") == _comparable(tmp_path / "one")


def test_an_unreachable_dask_scheduler_is_an_error(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    code, output = _batch([str(APPS / "label_printer"), "-o", str(tmp_path / "out"),
                           "--dask", "tcp://127.0.0.1:9", "--dask-timeout", "1", *FAST], monkeypatch, tmp_path / "t")
    assert code == 2
    assert "sellerscan: error: cannot reach the Dask scheduler at tcp://127.0.0.1:9" in output


def test_an_app_whose_worker_fails_is_an_error_row(tmp_path: Path) -> None:
    unpicklable = ScanOptions(paths=[], progress=lambda done, total, label: None)
    rows = run_batch([APPS / "label_printer", APPS / "erp_connector"], tmp_path / "out",
                     BatchSettings(scan=unpicklable), jobs=2)
    assert [(r.name, r.status) for r in rows] == [("label_printer", "error"),
                                                  ("erp_connector", "error")]
    assert all(r.error.startswith("the worker scanning this app failed: ") for r in rows)
    assert exit_status(rows) == 2
    assert list(_index(tmp_path / "out")) == ["label_printer", "erp_connector"]


def test_a_terminal_gets_a_progress_bar_and_the_app_lines_unformatted() -> None:
    stream = io.StringIO()
    row = AppRow(name="app", input="app.zip", status="error", error="[bold]x[/bold] \x1b[2J")
    with BatchProgress(2, stream, terminal=True) as progress:
        progress.done(1, 2, row)
    text = stream.getvalue()
    assert "sellerscan: [1/2] app: error: [bold]x[/bold] \\x1b[2J (0.0 s)" in text
    assert "sellerscan batch" in text and "ETA" in text
    plain = io.StringIO()
    with BatchProgress(2, plain, terminal=False) as progress:
        progress.done(2, 2, row)
    assert plain.getvalue() == "sellerscan: [2/2] app: error: [bold]x[/bold] \\x1b[2J (0.0 s)\n"
