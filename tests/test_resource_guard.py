"""No single file can exhaust the machine or hang the scan: each file is read, and each
file the analysis needs is vetted by libcst, in a worker process with a memory and a
CPU-time limit; a file past either is listed as `too-much-memory` or `too-slow` and the
rest of the scan goes on. A file that cannot reach PII is read by CPython's parser only,
so libcst never sees it."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from scanner.api import ParseLimits, ScanOptions, run_scan
from scanner.cli import main
from scanner.workers.pool import Failed, GuardedPool, Limits, WorkerError, _death

GOOD = (
    "from sp_api.api import Orders\n"
    "order = Orders().get_order('1').payload\n"
    "print(order['BuyerInfo']['BuyerEmail'])\n"
)


SOURCED = "from sp_api.api import Orders\nrows = Orders().get_orders()\n"
"""Makes a file one the analysis needs (it calls a source)."""


def _tree(tmp_path: Path, name: str, text: str) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "good.py").write_text(GOOD, encoding="utf-8")
    (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def _outcome(tree: Path, limits: ParseLimits) -> tuple[list[tuple[str, str]], list[tuple[str, int]]]:
    result = run_scan(ScanOptions(paths=[tree], root=tree, parse_limits=limits))
    return ([(s.path, str(s.reason)) for s in result.skipped],
            [(f.sink.path, f.sink.line) for f in result.findings])


def test_a_file_that_needs_too_much_memory_is_listed(tmp_path: Path) -> None:
    tree = _tree(tmp_path, "lambdas.py", SOURCED + "x = " + "lambda: " * 1200 + "1\n")
    limits = ParseLimits(worker_memory_bytes=250 * 1024**2)
    assert _outcome(tree, limits) == ([("lambdas.py", "too-much-memory")], [("good.py", 3)])


def test_a_limit_verdict_is_not_cached_under_other_limits(tmp_path: Path) -> None:
    tree = _tree(tmp_path / "app", "lambdas.py", SOURCED + "x = " + "lambda: " * 1200 + "1\n")
    cache = tmp_path / "cache"
    small = run_scan(ScanOptions(paths=[tree], root=tree, cache_dir=cache,
                                 parse_limits=ParseLimits(worker_memory_bytes=250 * 1024**2)))
    assert [(s.path, str(s.reason)) for s in small.skipped] == [("lambdas.py", "too-much-memory")]
    default = run_scan(ScanOptions(paths=[tree], root=tree, cache_dir=cache))
    assert default.skipped == [] and default.work is not None
    assert default.work.full_parsed == 1 and default.work.files_from_cache == 2


def test_libcst_never_sees_a_file_that_cannot_reach_pii(tmp_path: Path) -> None:
    tree = _tree(tmp_path, "lambdas.py", "x = " + "lambda: " * 1200 + "1\n")
    result = run_scan(ScanOptions(paths=[tree], root=tree,
                                  parse_limits=ParseLimits(worker_memory_bytes=250 * 1024**2)))
    assert result.skipped == [] and [(f.sink.path, f.sink.line) for f in result.findings] == [("good.py", 3)]
    assert result.work is not None
    assert (result.work.parsed, result.work.full_parsed, result.work.analysed) == (2, 1, 1)


def test_a_file_that_parses_too_slowly_is_listed(tmp_path: Path) -> None:
    body = "".join(f"def f{i}(a, b):\n    return {{'k': a + b * {i}, 'v': [a, b]}}\n" for i in range(12_000))
    tree = _tree(tmp_path, "slow.py", SOURCED + body)
    started = time.monotonic()
    assert _outcome(tree, ParseLimits(worker_cpu_seconds=1)) == ([("slow.py", "too-slow")], [("good.py", 3)])
    assert time.monotonic() - started < 60


def test_the_limits_are_command_line_options(tmp_path: Path) -> None:
    tree = _tree(tmp_path, "lambdas.py", SOURCED + "x = " + "lambda: " * 1200 + "1\n")
    out = CliRunner().invoke(main, ["scan", str(tree), "--parse-memory-limit", "250", "--parse-time-limit", "30"])
    assert out.exit_code == 1
    assert "lambdas.py: too-much-memory (parsing needs more than 250 MB (--parse-memory-limit)" in out.stdout


def test_without_isolation_the_same_files_are_analysed(tmp_path: Path) -> None:
    tree = _tree(tmp_path, "syntax.py", "def f(:\n")
    isolated = _outcome(tree, ParseLimits())
    assert isolated == ([("syntax.py", "syntax-error")], [("good.py", 3)])
    assert _outcome(tree, ParseLimits(isolated=False)) == isolated
    out = CliRunner().invoke(main, ["scan", str(tree), "--no-parse-isolation"])
    assert out.exit_code == 1 and "syntax.py: syntax-error" in out.stdout


def test_a_worker_that_cannot_answer_fails_the_scan_loudly() -> None:
    with pytest.raises(WorkerError, match="exited with status 3"):
        _death(3)
    assert _death(-9) == Failed("time", "went past the CPU-time limit")


def test_the_caller_works_while_the_workers_do() -> None:
    done: list[int] = []

    def piece() -> bool:
        done.append(1)
        return len(done) < 3

    pool = GuardedPool(1, Limits(1024**3, 10, 30.0))
    try:
        assert list(pool.run(time.sleep, [("nap", 0.5)], idle=piece)) == [("nap", None)]
    finally:
        pool.close()
    assert len(done) == 3  # every piece, while the worker slept; none after it said no more

