"""Diff-aware scans: the lines changed since the merge base with a git ref.

git is run through its command line (no shell). The changed lines are those of
`git diff <merge-base>` (the work tree against the merge base, so uncommitted edits count)
plus every line of untracked files. On a shallow clone without the merge base the history
is deepened with `git fetch --deepen`; when that fails the caller falls back to a full scan
with a warning. Nothing here raises for a git problem: it returns a reason instead."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from scanner.model import Finding
from scanner.options import DiffLimits

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")
ALL_LINES = -1
"""Stands for every line of a file (untracked files)."""


@dataclass
class ChangedLines:
    """Lines changed since the merge base, per path relative to the scan root."""

    merge_base: str
    lines: dict[str, set[int]] = field(default_factory=dict)

    def touches(self, path: str, first: int, last: int = 0) -> bool:
        """Whether any of lines `first`..`last` of `path` changed."""
        changed = self.lines.get(path)
        if not changed:
            return False
        if ALL_LINES in changed:
            return True
        return any(line in changed for line in range(first, max(first, last) + 1))

    def covers(self, finding: Finding) -> bool:
        """Whether the finding's sink or any step of its trace is on a changed line."""
        if self.touches(finding.sink.path, finding.sink.line, finding.sink.end_line):
            return True
        places = [finding.source] + [s.location for s in finding.steps]
        return any(self.touches(loc.path, loc.line) for loc in places)


def _git(cwd: Path, *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-c", "core.quotepath=off", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout, check=False,
                          encoding="utf-8", errors="replace")


def changed_lines(root: Path, ref: str, limits: DiffLimits) -> ChangedLines | str:
    """The changed lines under `root` since the merge base of HEAD and `ref`, or the
    reason (text) why they cannot be known."""
    try:
        return _changed_lines(root, ref, limits)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"git could not be run: {exc}"


def _changed_lines(root: Path, ref: str, limits: DiffLimits) -> ChangedLines | str:
    t = limits.git_timeout_seconds
    top_run = _git(root, "rev-parse", "--show-toplevel", timeout=t)
    if top_run.returncode != 0:
        return f"{root} is not inside a git work tree"
    top = Path(top_run.stdout.strip()).resolve()
    base = _merge_base(root, ref, limits)
    if base is None:
        return (f"no merge base between HEAD and {ref!r} (unknown ref, or a shallow clone "
                "whose history could not be deepened)")
    diff = _git(top, "diff", "--no-color", "--no-ext-diff", "--unified=0", base, "--",
                timeout=t)
    if diff.returncode != 0:
        return f"git diff failed: {diff.stderr.strip()}"
    result = ChangedLines(base)
    current: str | None = None
    for line in diff.stdout.splitlines():
        if line.startswith("+++ "):
            name = line[4:].rstrip("\t")
            current = _root_relative(top / name[2:], root) if name.startswith("b/") else None
        elif current is not None:
            hunk = _HUNK.match(line)
            if hunk:
                start, count = int(hunk.group(1)), int(hunk.group(2) or 1)
                result.lines.setdefault(current, set()).update(range(start, start + count))
    untracked = _git(top, "ls-files", "--others", "--exclude-standard", "-z", timeout=t)
    for name in untracked.stdout.split("\0") if untracked.returncode == 0 else []:
        rel = _root_relative(top / name, root) if name else None
        if rel is not None:
            result.lines.setdefault(rel, set()).add(ALL_LINES)
    return result


def _root_relative(path: Path, root: Path) -> str | None:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return None


def _merge_base(root: Path, ref: str, limits: DiffLimits) -> str | None:
    t = limits.git_timeout_seconds
    for attempt in range(limits.deepen_attempts + 1):
        run = _git(root, "merge-base", ref, "HEAD", timeout=t)
        if run.returncode == 0 and run.stdout.strip():
            return run.stdout.strip()
        shallow = _git(root, "rev-parse", "--is-shallow-repository", timeout=t)
        if attempt == limits.deepen_attempts or shallow.stdout.strip() != "true":
            return None
        fetch = _git(root, "fetch", "--quiet", f"--deepen={limits.deepen_by}", timeout=t)
        if fetch.returncode != 0:
            return None
    return None
