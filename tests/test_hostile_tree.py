"""A hostile tree cannot hang, crash or trick discovery: FIFOs and sockets are listed and
never opened, symlink loops are listed, links out of the root are listed and never read,
and every such scan ends with a report and the right exit status."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from scanner.api import ScanOptions, run_scan
from scanner.cli import main

GOOD = (
    "from sp_api.api import Orders\n"
    "order = Orders().get_order('1').payload\n"
    "print(order['BuyerInfo']['BuyerEmail'])\n"
)


def _skipped(tree: Path) -> list[tuple[str, str]]:
    result = run_scan(ScanOptions(paths=[tree], root=tree))
    assert [(f.sink.path, f.sink.line, f.rule_id) for f in result.findings] == [("good.py", 3, "SS108")]
    return [(s.path, str(s.reason)) for s in result.skipped]


def test_a_fifo_is_listed_and_never_opened(tmp_path: Path) -> None:
    (tmp_path / "good.py").write_text(GOOD, encoding="utf-8")
    os.mkfifo(tmp_path / "x.py")
    assert _skipped(tmp_path) == [("x.py", "not-a-regular-file")]
    out = CliRunner().invoke(main, ["scan", str(tmp_path)])
    assert out.exit_code == 1 and "x.py: not-a-regular-file" in out.output


def test_a_socket_is_listed_and_never_opened(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "good.py").write_text(GOOD, encoding="utf-8")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        monkeypatch.chdir(tmp_path)  # AF_UNIX paths are short: bind by a relative name
        server.bind("s.py")
        assert _skipped(tmp_path) == [("s.py", "not-a-regular-file")]
    finally:
        server.close()


def test_symlink_loops_are_listed_not_fatal(tmp_path: Path) -> None:
    (tmp_path / "good.py").write_text(GOOD, encoding="utf-8")
    (tmp_path / "self.py").symlink_to(tmp_path / "self.py")
    (tmp_path / "a.py").symlink_to(tmp_path / "b.py")
    (tmp_path / "b.py").symlink_to(tmp_path / "a.py")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "up").symlink_to(tmp_path, target_is_directory=True)
    assert _skipped(tmp_path) == [("a.py", "symlink-loop"), ("b.py", "symlink-loop"),
                                  ("self.py", "symlink-loop")]
    for fmt in ("text", "json", "sarif", "html"):
        out = CliRunner().invoke(main, ["scan", str(tmp_path), "--format", fmt])
        assert out.exit_code == 1, (fmt, out.output)
        assert "self.py" in out.output


def test_a_dangling_symlink_is_listed(tmp_path: Path) -> None:
    (tmp_path / "good.py").write_text(GOOD, encoding="utf-8")
    (tmp_path / "gone.py").symlink_to(tmp_path / "missing.py")
    assert _skipped(tmp_path) == [("gone.py", "unreadable")]


def test_links_out_of_the_root_are_never_read(tmp_path: Path) -> None:
    app, evil = tmp_path / "app", tmp_path / "app_evil"
    app.mkdir()
    evil.mkdir()
    (app / "good.py").write_text(GOOD, encoding="utf-8")
    (evil / "secret.py").write_text(GOOD.replace("print(", "print('SECRET', "), encoding="utf-8")
    (app / "link.py").symlink_to(evil / "secret.py")
    (app / "abs.py").symlink_to("/etc/hostname")
    (app / "up.py").symlink_to(Path("..") / "app_evil" / "secret.py")
    assert _skipped(app) == [("abs.py", "outside-root"), ("link.py", "outside-root"),
                             ("up.py", "outside-root")]
    out = CliRunner().invoke(main, ["scan", str(app), "--format", "json"])
    assert "SECRET" not in out.output
