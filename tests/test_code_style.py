"""ruff and mypy stay clean (run as part of the suite, so CI enforces them)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=600, check=False)


def test_ruff_is_clean() -> None:
    result = _run("ruff", "check", "scanner", "tests", "bench", "reports", "docs", "--output-format", "concise")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_is_clean() -> None:
    result = _run("mypy", "scanner")
    assert result.returncode == 0, result.stdout + result.stderr
