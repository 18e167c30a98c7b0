"""Run semgrep once as a subprocess (never through a shell) and read its JSON output.

Semgrep runs offline: local rule files only, `--metrics=off`, the version check off (on
the command line and in the environment, else each run waits on the network), no
`.gitignore`/`.semgrepignore` filtering (the exact file list is passed). It starts in its
own process group, so a timeout ends it and everything it started. The run is started
before the taint analysis and collected after it, so the two engines overlap.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scanner.options import SemgrepOptions

PROGRAM = "semgrep"


@dataclass
class SemgrepRun:
    """The outcome of one semgrep run: raw results, scanned files, or the failure."""

    ok: bool
    message: str = ""
    version: str = ""
    results: list[dict[str, Any]] = field(default_factory=list)
    scanned: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    """Per-file problems semgrep reported (e.g. a file it could not parse)."""


def find_executable(options: SemgrepOptions) -> str | None:
    """The semgrep program: the configured one, else `semgrep` on PATH, else the one
    installed next to this Python (the package dependency)."""
    if options.executable is not None:
        found = shutil.which(options.executable)
        return found if found is not None else None
    on_path = shutil.which(PROGRAM)
    if on_path is not None:
        return on_path
    beside = Path(sys.executable).parent / PROGRAM
    return str(beside) if beside.is_file() and os.access(beside, os.X_OK) else None


def command(executable: str, configs: list[Path], targets: list[str], options: SemgrepOptions,
            max_target_bytes: int) -> list[str]:
    """The semgrep command line (no shell; targets after `--`). `--experimental` selects
    semgrep's native (OCaml) command line, which starts in a fraction of a second
    instead of the 2-3 s of the Python wrapper; it needs the config as JSON."""
    argv = [executable, "scan", "--json", "--quiet", "--metrics=off", "--disable-version-check",
            "--no-git-ignore", "--no-rewrite-rule-ids",
            *(["--experimental"] if options.native else []),
            f"--timeout={options.per_file_timeout_seconds:g}",
            f"--max-target-bytes={max_target_bytes}"]
    for config in configs:
        argv += ["--config", str(config)]
    return argv + ["--"] + targets


def run_environment() -> dict[str, str]:
    """The environment for semgrep: ours, with the version check and metrics off."""
    env = dict(os.environ)
    env["SEMGREP_ENABLE_VERSION_CHECK"] = "0"
    env["SEMGREP_SEND_METRICS"] = "off"
    return env


class SemgrepProcess:
    """A started semgrep run; `wait()` collects it (or ends it at the timeout)."""

    def __init__(self, argv: list[str], cwd: Path, timeout: float) -> None:
        self.timeout = timeout
        self.started = time.monotonic()
        self.error: str | None = None
        self.process: subprocess.Popen[bytes] | None = None
        try:
            self.process = subprocess.Popen(
                argv, cwd=str(cwd), env=run_environment(), stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        except OSError as exc:
            self.error = f"semgrep could not be started: {exc}"

    def wait(self) -> SemgrepRun:
        """Wait for semgrep (within the time left) and parse what it printed."""
        if self.process is None:
            return SemgrepRun(False, self.error or "semgrep could not be started")
        left = max(0.1, self.timeout - (time.monotonic() - self.started))
        try:
            out, err = self.process.communicate(timeout=left)
        except subprocess.TimeoutExpired:
            self._kill()
            return SemgrepRun(False, f"semgrep timed out after {self.timeout:g} s and was stopped")
        return parse_output(self.process.returncode, out, err)

    def _kill(self) -> None:
        assert self.process is not None
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except OSError:
            self.process.kill()
        self.process.communicate()


def parse_output(returncode: int, out: bytes, err: bytes) -> SemgrepRun:
    """Read semgrep's JSON; any exit status but 0/1 or unreadable output is a failure."""
    tail = err.decode("utf-8", "replace").strip().splitlines()[-3:]
    try:
        data = json.loads(out.decode("utf-8", "replace"))
    except json.JSONDecodeError:
        data = None
    if returncode not in (0, 1) or not isinstance(data, dict):
        detail = "; ".join(tail) or "no output"
        if isinstance(data, dict) and data.get("errors"):
            detail = "; ".join(_error_text(e) for e in data["errors"][:3])
        return SemgrepRun(False, f"semgrep failed (exit status {returncode}): {detail}")
    found = data.get("paths")
    paths: dict[str, Any] = found if isinstance(found, dict) else {}
    fatal = [e for e in data.get("errors", []) if isinstance(e, dict) and e.get("level") == "error"]
    if fatal:
        return SemgrepRun(False, "semgrep reported errors: "
                          + "; ".join(_error_text(e) for e in fatal[:3]))
    return SemgrepRun(
        ok=True, version=str(data.get("version", "")),
        results=[r for r in data.get("results", []) if isinstance(r, dict)],
        scanned=[str(p) for p in paths.get("scanned", [])],
        errors=[_error_text(e) for e in data.get("errors", []) if isinstance(e, dict)],
    )


def _error_text(error: dict[str, Any]) -> str:
    where = error.get("path") or error.get("rule_id") or ""
    message = str(error.get("message") or error.get("type") or "error").strip().splitlines()
    text = message[0] if message else "error"
    return f"{where}: {text}" if where else text
