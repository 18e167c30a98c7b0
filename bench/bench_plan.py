"""Benchmark of `sellerscan scan` as a review pipeline runs it: cold and warm (result
cache), with --jobs 1 and with every core, on the generated ~120k-line seller-app tree and
on a big real tree (a copy of the running Python's standard library), plus a warm re-scan
after changing one file, and semgrep CE with PII taint rules on the same trees.

    python bench/bench_plan.py                          # both trees, semgrep included
    python bench/bench_plan.py --no-stdlib --no-semgrep-compare
    python bench/bench_plan.py --real DIR               # another tree instead of the stdlib

Each run is its own process (`python -m scanner.cli scan TREE --no-semgrep --format json`);
peak memory is the largest VmHWM (peak RSS) of that process and its descendants (workers),
sampled from /proc. Not a test: figures depend on the machine and its load."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from bench_scan import count_lines, generate

SEMGREP_RULES = REPO.parent / "shared" / "bench" / "semgrep-pii-taint.yaml"


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def _hwm(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def measure(command: list[str], env: dict[str, str] | None = None) -> tuple[float, int, str]:
    """(wall seconds, peak RSS in bytes of the largest process of the tree, stdout)."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                               env=env, cwd=REPO)
    peaks: dict[int, int] = {}
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            for pid in _descendants(process.pid):
                peaks[pid] = max(peaks.get(pid, 0), _hwm(pid))
            done.wait(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, _ = process.communicate()
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    return wall, max(peaks.values(), default=0), out.decode("utf-8", "replace")


def scan(tree: Path, jobs: int, cache: Path | None) -> tuple[float, int, dict[str, object]]:
    command = [sys.executable, "-m", "scanner.cli", "scan", str(tree), "--no-semgrep",
               "--format", "json", "--no-config", "--jobs", str(jobs)]
    command += ["--cache-dir", str(cache)] if cache is not None else ["--no-cache"]
    env = dict(os.environ, PYTHONPATH=str(REPO))
    wall, peak, out = measure(command, env)
    return wall, peak, json.loads(out)


def line(label: str, wall: float, peak: int, lines: int, extra: str = "") -> None:
    print(f"  {label:<34} {wall:8.2f} s {lines / wall:>10,.0f} lines/s "
          f"{peak / 1024**2:>8,.0f} MB  {extra}", flush=True)


def change_one(tree: Path, jobs: int, cache: Path, changed: Path, label: str, lines: int) -> None:
    """A warm re-scan after appending a function to `changed` (restored afterwards)."""
    original = changed.read_bytes()
    try:
        changed.write_bytes(original + b"\n\ndef _bench_changed():\n    return 1\n")
        wall, peak, report = scan(tree, jobs, cache)
        work = report["work"]
        line(f"--jobs {jobs} warm, {label}", wall, peak, lines,
             f"parsed {work['parsed']} ({work['full_parsed']} full), "  # type: ignore[index]
             f"analysed {work['analysed']}")  # type: ignore[index]
    finally:
        changed.write_bytes(original)


def bench_tree(name: str, tree: Path, changes: dict[str, Path], job_counts: list[int],
               compare: bool, tmp: Path) -> None:
    files, lines = count_lines(tree)
    print(f"{name}: {tree} ({files} files, {lines:,} lines)", flush=True)
    for jobs in job_counts:
        cache = tmp / f"cache-{name}-{jobs}"
        wall, peak, report = scan(tree, jobs, cache)
        work = report["work"]
        line(f"--jobs {jobs} cold", wall, peak, lines,
             f"{len(report['findings'])} findings; {work}")  # type: ignore[arg-type]
        wall, peak, report = scan(tree, jobs, cache)
        line(f"--jobs {jobs} warm (nothing changed)", wall, peak, lines)
        for label, changed in changes.items():
            change_one(tree, jobs, cache, changed, label, lines)
    if compare:
        semgrep = shutil.which("semgrep") or str(Path(sys.executable).parent / "semgrep")
        wall, peak, _ = measure([semgrep, "scan", "--metrics=off", "--disable-version-check",
                                 "--config", str(SEMGREP_RULES), "--json", "--quiet", str(tree)])
        line("semgrep CE (PII taint rules)", wall, peak, lines)


def main() -> int:
    """Generate the tree, copy the standard library, run every measurement."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=120_000)
    parser.add_argument("--real", type=Path, help="a real tree (default: the stdlib)")
    parser.add_argument("--no-stdlib", action="store_true", help="only the generated tree")
    parser.add_argument("--no-generated", action="store_true", help="only the real tree")
    parser.add_argument("--no-semgrep-compare", action="store_true")
    parser.add_argument("--jobs", type=int, nargs="*", help="default: 1 and every core")
    args = parser.parse_args()
    cores = len(os.sched_getaffinity(0))
    job_counts = args.jobs or sorted({1, cores})
    compare = not args.no_semgrep_compare and SEMGREP_RULES.exists()
    with tempfile.TemporaryDirectory(prefix="sellerscan-bench-") as name:
        tmp = Path(name)
        if not args.no_generated:
            tree = tmp / "generated"
            tree.mkdir()
            generate(tree, args.lines)
            bench_tree("generated", tree, {
                "one file changed": tree / "app7" / "util_3.py",
                "one file changed in a group with a source": tree / "app0" / "util_3.py",
            }, job_counts, compare, tmp)
        if not args.no_stdlib:
            source = args.real or Path(sysconfig.get_paths()["stdlib"])
            tree = tmp / "real"
            shutil.copytree(source, tree, symlinks=True,
                            ignore=shutil.ignore_patterns("site-packages", "__pycache__"))
            changed = tree / "json" / "encoder.py"
            if not changed.exists():
                changed = min(tree.rglob("*.py"))
            bench_tree("real", tree, {"one file changed": changed}, job_counts, compare, tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
